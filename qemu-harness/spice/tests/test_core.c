/* SpiceCoreInterface on a private GMainContext, iterated by a dedicated thread. */
#include <glib-unix.h>

#include "test_core.h"

struct TestCore {
    SpiceCoreInterface iface;
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
};

struct SpiceTimer {
    TestCore *core;
    SpiceTimerFunc func;
    void *opaque;
    GSource *source;
};

struct SpiceWatch {
    TestCore *core;
    int fd;
    SpiceWatchFunc func;
    void *opaque;
    GSource *source;
};

/* Only one TestCore exists at a time: the interface callbacks have no context argument. */
static TestCore *current;

static gboolean timer_dispatch(gpointer data)
{
    SpiceTimer *timer = data;
    g_source_destroy(timer->source);
    g_source_unref(timer->source);
    timer->source = NULL;
    timer->func(timer->opaque);
    return G_SOURCE_REMOVE;
}

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *timer = g_new0(SpiceTimer, 1);
    timer->core = current;
    timer->func = func;
    timer->opaque = opaque;
    return timer;
}

static void timer_cancel(SpiceTimer *timer)
{
    if (timer->source) {
        g_source_destroy(timer->source);
        g_source_unref(timer->source);
        timer->source = NULL;
    }
}

static void timer_start(SpiceTimer *timer, uint32_t ms)
{
    timer_cancel(timer);
    timer->source = g_timeout_source_new(ms);
    g_source_set_callback(timer->source, timer_dispatch, timer, NULL);
    g_source_attach(timer->source, timer->core->context);
}

static void timer_remove(SpiceTimer *timer)
{
    timer_cancel(timer);
    g_free(timer);
}

static gboolean watch_dispatch(gint fd, GIOCondition cond, gpointer data)
{
    SpiceWatch *watch = data;
    int events = 0;
    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
        events |= SPICE_WATCH_EVENT_READ;
    if (cond & G_IO_OUT)
        events |= SPICE_WATCH_EVENT_WRITE;
    watch->func(fd, events, watch->opaque);
    return G_SOURCE_CONTINUE;
}

static void watch_update_mask(SpiceWatch *watch, int mask)
{
    if (watch->source) {
        g_source_destroy(watch->source);
        g_source_unref(watch->source);
        watch->source = NULL;
    }
    GIOCondition cond = 0;
    if (mask & SPICE_WATCH_EVENT_READ)
        cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (mask & SPICE_WATCH_EVENT_WRITE)
        cond |= G_IO_OUT;
    if (!cond)
        return;
    watch->source = g_unix_fd_source_new(watch->fd, cond);
    g_source_set_callback(watch->source, (GSourceFunc)(void (*)(void))watch_dispatch, watch, NULL);
    g_source_attach(watch->source, watch->core->context);
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *watch = g_new0(SpiceWatch, 1);
    watch->core = current;
    watch->fd = fd;
    watch->func = func;
    watch->opaque = opaque;
    watch_update_mask(watch, mask);
    return watch;
}

static void watch_remove(SpiceWatch *watch)
{
    watch_update_mask(watch, 0);
    g_free(watch);
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    (void)event;
    (void)info;
}

TestCore *test_core_new(void)
{
    g_assert(current == NULL);
    TestCore *core = g_new0(TestCore, 1);
    core->iface.base.type = SPICE_INTERFACE_CORE;
    core->iface.base.description = "spicepower test core";
    core->iface.base.major_version = SPICE_INTERFACE_CORE_MAJOR;
    core->iface.base.minor_version = SPICE_INTERFACE_CORE_MINOR;
    core->iface.timer_add = timer_add;
    core->iface.timer_start = timer_start;
    core->iface.timer_cancel = timer_cancel;
    core->iface.timer_remove = timer_remove;
    core->iface.watch_add = watch_add;
    core->iface.watch_update_mask = watch_update_mask;
    core->iface.watch_remove = watch_remove;
    core->iface.channel_event = channel_event;
    core->context = g_main_context_new();
    core->loop = g_main_loop_new(core->context, FALSE);
    current = core;
    return core;
}

SpiceCoreInterface *test_core_interface(TestCore *core)
{
    return &core->iface;
}

static gpointer thread_main(gpointer data)
{
    TestCore *core = data;
    g_main_context_push_thread_default(core->context);
    g_main_loop_run(core->loop);
    g_main_context_pop_thread_default(core->context);
    return NULL;
}

void test_core_start(TestCore *core)
{
    core->thread = g_thread_new("spice-server", thread_main, core);
}

static gboolean quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void test_core_stop(TestCore *core)
{
    if (!core->thread)
        return;
    GSource *s = g_idle_source_new();
    g_source_set_callback(s, quit_loop, core->loop, NULL);
    g_source_attach(s, core->context);
    g_source_unref(s);
    g_thread_join(core->thread);
    core->thread = NULL;
}

typedef struct {
    void (*func)(void *data);
    void *data;
    GMutex lock;
    GCond cond;
    gboolean done;
} Call;

static gboolean call_dispatch(gpointer user)
{
    Call *call = user;
    call->func(call->data);
    g_mutex_lock(&call->lock);
    call->done = TRUE;
    g_cond_signal(&call->cond);
    g_mutex_unlock(&call->lock);
    return G_SOURCE_REMOVE;
}

void test_core_call(TestCore *core, void (*func)(void *data), void *data)
{
    Call call = {.func = func, .data = data};
    g_mutex_init(&call.lock);
    g_cond_init(&call.cond);
    GSource *s = g_idle_source_new();
    g_source_set_callback(s, call_dispatch, &call, NULL);
    g_source_attach(s, core->context);
    g_source_unref(s);
    g_mutex_lock(&call.lock);
    while (!call.done)
        g_cond_wait(&call.cond, &call.lock);
    g_mutex_unlock(&call.lock);
    g_mutex_clear(&call.lock);
    g_cond_clear(&call.cond);
}

void test_core_free(TestCore *core)
{
    test_core_stop(core);
    g_main_loop_unref(core->loop);
    g_main_context_unref(core->context);
    if (current == core)
        current = NULL;
    g_free(core);
}
