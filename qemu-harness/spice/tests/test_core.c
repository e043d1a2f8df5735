/* The shared GLib core (../glib-core) on a private GMainContext, iterated by a dedicated thread. */
#include <glib-unix.h>

#include "spice-glib-core.h"
#include "test_core.h"

struct TestCore {
    SpiceCoreInterface *iface;
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
};

TestCore *test_core_new(void)
{
    TestCore *core = g_new0(TestCore, 1);
    core->context = g_main_context_new();
    core->loop = g_main_loop_new(core->context, FALSE);
    core->iface = spp_spice_glib_core_new(core->context);
    g_assert(core->iface != NULL);
    return core;
}

SpiceCoreInterface *test_core_interface(TestCore *core)
{
    return core->iface;
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
    spp_spice_glib_core_free(core->iface);
    g_main_loop_unref(core->loop);
    g_main_context_unref(core->context);
    g_free(core);
}
