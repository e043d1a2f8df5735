#include "glib-core.h"

#include <glib-unix.h>
#include <glib.h>

struct SpiceTimer {
    SpiceTimerFunc func;
    void *opaque;
    guint source;
};

struct SpiceWatch {
    int fd;
    SpiceWatchFunc func;
    void *opaque;
    guint source;
};

static gboolean timer_fired(gpointer data)
{
    SpiceTimer *t = data;
    t->source = 0; /* one-shot: spice-server re-arms it when it wants to */
    t->func(t->opaque);
    return G_SOURCE_REMOVE;
}

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *t = g_new0(SpiceTimer, 1);
    t->func = func;
    t->opaque = opaque;
    return t;
}

static void timer_cancel(SpiceTimer *t)
{
    if (t->source)
        g_source_remove(t->source);
    t->source = 0;
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
    timer_cancel(t);
    t->source = g_timeout_add(ms, timer_fired, t);
}

static void timer_remove(SpiceTimer *t)
{
    timer_cancel(t);
    g_free(t);
}

static gboolean watch_ready(gint fd, GIOCondition cond, gpointer data)
{
    SpiceWatch *w = data;
    int events = 0;
    /* Errors and hang-ups are reported as readable so the server reads, fails and cleans up. */
    if (cond & (G_IO_IN | G_IO_ERR | G_IO_HUP))
        events |= SPICE_WATCH_EVENT_READ;
    if (cond & G_IO_OUT)
        events |= SPICE_WATCH_EVENT_WRITE;
    w->func(fd, events, w->opaque);
    return G_SOURCE_CONTINUE;
}

static void watch_update_mask(SpiceWatch *w, int mask)
{
    if (w->source)
        g_source_remove(w->source);
    w->source = 0;
    GIOCondition cond = 0;
    if (mask & SPICE_WATCH_EVENT_READ)
        cond |= G_IO_IN | G_IO_ERR | G_IO_HUP;
    if (mask & SPICE_WATCH_EVENT_WRITE)
        cond |= G_IO_OUT;
    if (cond)
        w->source = g_unix_fd_add(w->fd, cond, watch_ready, w);
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *w = g_new0(SpiceWatch, 1);
    w->fd = fd;
    w->func = func;
    w->opaque = opaque;
    watch_update_mask(w, mask);
    return w;
}

static void watch_remove(SpiceWatch *w)
{
    if (w->source)
        g_source_remove(w->source);
    g_free(w);
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
    (void)event;
    (void)info;
}

SpiceCoreInterface *spp_glib_core(void)
{
    static SpiceCoreInterface core = {
        .base = {.type = SPICE_INTERFACE_CORE,
                 .description = "spice-power-bridge GLib core",
                 .major_version = SPICE_INTERFACE_CORE_MAJOR,
                 .minor_version = SPICE_INTERFACE_CORE_MINOR},
        .timer_add = timer_add,
        .timer_start = timer_start,
        .timer_cancel = timer_cancel,
        .timer_remove = timer_remove,
        .watch_add = watch_add,
        .watch_update_mask = watch_update_mask,
        .watch_remove = watch_remove,
        .channel_event = channel_event,
    };
    return &core;
}
