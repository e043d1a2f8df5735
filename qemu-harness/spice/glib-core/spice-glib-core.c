#include "spice-glib-core.h"

#include <glib-unix.h>

typedef struct {
    SpiceCoreInterface iface; /* first: the interface pointer is the core */
    GMainContext *context;
} GlibCore;

struct SpiceTimer {
    GMainContext *context;
    SpiceTimerFunc func;
    void *opaque;
    GSource *source;
};

struct SpiceWatch {
    GMainContext *context;
    int fd;
    SpiceWatchFunc func;
    void *opaque;
    GSource *source;
};

static GlibCore *current;

static void drop_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

static gboolean timer_fired(gpointer data)
{
    SpiceTimer *timer = data;
    /* One-shot: spice-server re-arms a timer when it wants it again. */
    drop_source(&timer->source);
    timer->func(timer->opaque);
    return G_SOURCE_REMOVE;
}

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *timer = g_new0(SpiceTimer, 1);
    timer->context = current->context;
    timer->func = func;
    timer->opaque = opaque;
    return timer;
}

static void timer_cancel(SpiceTimer *timer)
{
    drop_source(&timer->source);
}

static void timer_start(SpiceTimer *timer, uint32_t ms)
{
    timer_cancel(timer);
    timer->source = g_timeout_source_new(ms);
    g_source_set_callback(timer->source, timer_fired, timer, NULL);
    g_source_attach(timer->source, timer->context);
}

static void timer_remove(SpiceTimer *timer)
{
    timer_cancel(timer);
    g_free(timer);
}

static gboolean watch_ready(gint fd, GIOCondition cond, gpointer data)
{
    SpiceWatch *watch = data;
    int events = 0;
    /* Errors and hang-ups are reported as readable, so the server reads, fails and cleans up. */
    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
        events |= SPICE_WATCH_EVENT_READ;
    if (cond & G_IO_OUT)
        events |= SPICE_WATCH_EVENT_WRITE;
    watch->func(fd, events, watch->opaque);
    return G_SOURCE_CONTINUE;
}

static void watch_update_mask(SpiceWatch *watch, int mask)
{
    drop_source(&watch->source);
    GIOCondition cond = 0;
    if (mask & SPICE_WATCH_EVENT_READ)
        cond |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (mask & SPICE_WATCH_EVENT_WRITE)
        cond |= G_IO_OUT;
    if (!cond)
        return;
    watch->source = g_unix_fd_source_new(watch->fd, cond);
    g_source_set_callback(watch->source, (GSourceFunc)(void (*)(void))watch_ready, watch, NULL);
    g_source_attach(watch->source, watch->context);
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *watch = g_new0(SpiceWatch, 1);
    watch->context = current->context;
    watch->fd = fd;
    watch->func = func;
    watch->opaque = opaque;
    watch_update_mask(watch, mask);
    return watch;
}

static void watch_remove(SpiceWatch *watch)
{
    drop_source(&watch->source);
    g_free(watch);
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    (void)event;
    (void)info;
}

SpiceCoreInterface *spp_spice_glib_core_new(GMainContext *context)
{
    g_return_val_if_fail(current == NULL, NULL);
    GlibCore *core = g_new0(GlibCore, 1);
    core->iface.base.type = SPICE_INTERFACE_CORE;
    core->iface.base.description = "spicepower GLib core";
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
    core->context = context ? g_main_context_ref(context) : NULL;
    current = core;
    return &core->iface;
}

void spp_spice_glib_core_free(SpiceCoreInterface *iface)
{
    GlibCore *core = (GlibCore *)iface;
    if (!core)
        return;
    if (core->context)
        g_main_context_unref(core->context);
    if (current == core)
        current = NULL;
    g_free(core);
}
