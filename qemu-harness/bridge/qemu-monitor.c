#include "qemu-monitor.h"

#include <string.h>

#include <spicepower/protocol.h>

struct SppQemuMonitor {
    char *socket_path;
    SppQmpAsync *qmp;        /* the connection or the attempt under way; NULL while waiting to retry */
    gboolean connected;      /* qmp's handshake is done */
    guint reconnect_source;
    guint backoff_ms;
    char *last_failure;      /* logged once, not at every retry */
    gboolean settled;
    gboolean refreshing;     /* a query-status is under way */
    gboolean refresh_again;  /* and another was asked for meanwhile */
    guint holds;             /* actions under way: the state is derived once they are done */
    int power_state;
    SppPowerStateFunc on_state;
    gpointer user_data;
};

static void start_attempt(SppQemuMonitor *monitor);

int spp_power_state_from_run_state(const char *run_state)
{
    if (!run_state)
        return SPP_POWER_STATE_UNKNOWN;
    if (strcmp(run_state, "running") == 0)
        return SPP_POWER_STATE_ON;
    if (strcmp(run_state, "prelaunch") == 0 || strcmp(run_state, "shutdown") == 0)
        return SPP_POWER_STATE_OFF;
    return SPP_POWER_STATE_PAUSED;
}

const char *spp_qemu_status_of(JsonNode *result)
{
    if (!result || !JSON_NODE_HOLDS_OBJECT(result))
        return NULL;
    JsonNode *status = json_object_get_member(json_node_get_object(result), "status");
    if (!status || !JSON_NODE_HOLDS_VALUE(status) || json_node_get_value_type(status) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(status);
}

static void set_power_state(SppQemuMonitor *monitor, int state)
{
    if (state == monitor->power_state)
        return;
    monitor->power_state = state;
    monitor->on_state(state, monitor->user_data);
}

static void on_refresh(JsonNode *result, const GError *error, gpointer data)
{
    SppQemuMonitor *monitor = data;
    (void)error; /* a lost connection reports itself through on_closed */
    monitor->refreshing = FALSE;
    if (result) {
        set_power_state(monitor, spp_power_state_from_run_state(spp_qemu_status_of(result)));
        monitor->settled = TRUE;
    }
    if (monitor->refresh_again && !monitor->holds) {
        monitor->refresh_again = FALSE;
        spp_qemu_monitor_refresh(monitor);
    }
}

void spp_qemu_monitor_refresh(SppQemuMonitor *monitor)
{
    if (!monitor->connected)
        return;
    if (monitor->refreshing || monitor->holds) {
        monitor->refresh_again = TRUE;
        return;
    }
    monitor->refreshing = spp_qmp_async_execute(monitor->qmp, "query-status", 0, on_refresh, monitor, NULL);
}

void spp_qemu_monitor_hold(SppQemuMonitor *monitor)
{
    monitor->holds++;
}

void spp_qemu_monitor_release(SppQemuMonitor *monitor)
{
    g_return_if_fail(monitor->holds > 0);
    if (--monitor->holds == 0 && monitor->refresh_again && !monitor->refreshing) {
        monitor->refresh_again = FALSE;
        spp_qemu_monitor_refresh(monitor);
    }
}

static void on_ready(gpointer data)
{
    SppQemuMonitor *monitor = data;
    monitor->connected = TRUE;
    monitor->backoff_ms = SPP_QEMU_MONITOR_BACKOFF_MIN_MS;
    g_clear_pointer(&monitor->last_failure, g_free);
    g_printerr("spice-power-bridge: connected to QEMU at %s\n", monitor->socket_path);
    spp_qemu_monitor_refresh(monitor);
}

/* One event alone does not tell "off" from "paused" (§12.4), so every run-state event leads to a
 * query-status. */
static void on_event(const char *name, gpointer data)
{
    static const char *const relevant[] = {"STOP", "RESUME", "RESET", "SHUTDOWN", NULL};
    if (g_strv_contains(relevant, name))
        spp_qemu_monitor_refresh(data);
}

static gboolean retry(gpointer data)
{
    SppQemuMonitor *monitor = data;
    monitor->reconnect_source = 0;
    start_attempt(monitor);
    return G_SOURCE_REMOVE;
}

static void log_failure(SppQemuMonitor *monitor, gboolean was_connected, const GError *error)
{
    if (was_connected) {
        g_printerr("spice-power-bridge: lost QEMU's QMP socket (%s); power state UNKNOWN, reconnecting\n",
                   error->message);
    } else if (g_strcmp0(monitor->last_failure, error->message) != 0) {
        g_printerr("spice-power-bridge: cannot reach QEMU at %s (%s); retrying, at least every %d ms\n",
                   monitor->socket_path, error->message, SPP_QEMU_MONITOR_BACKOFF_MAX_MS);
    }
    g_free(monitor->last_failure);
    monitor->last_failure = g_strdup(error->message);
}

static void on_closed(const GError *error, gpointer data)
{
    SppQemuMonitor *monitor = data;
    log_failure(monitor, monitor->connected, error);
    spp_qmp_async_free(monitor->qmp); /* error belongs to it */
    monitor->qmp = NULL;
    monitor->connected = FALSE;
    monitor->refreshing = monitor->refresh_again = FALSE;
    monitor->settled = TRUE;
    set_power_state(monitor, SPP_POWER_STATE_UNKNOWN);
    monitor->reconnect_source = g_timeout_add(monitor->backoff_ms, retry, monitor);
    monitor->backoff_ms = MIN(monitor->backoff_ms * 2, SPP_QEMU_MONITOR_BACKOFF_MAX_MS);
}

static void start_attempt(SppQemuMonitor *monitor)
{
    static const SppQmpAsyncCallbacks callbacks = {.ready = on_ready, .event = on_event, .closed = on_closed};
    monitor->qmp = spp_qmp_async_new(monitor->socket_path, &callbacks, monitor);
}

SppQemuMonitor *spp_qemu_monitor_new(const char *socket_path, SppPowerStateFunc on_state, gpointer user_data)
{
    SppQemuMonitor *monitor = g_new0(SppQemuMonitor, 1);
    monitor->socket_path = g_strdup(socket_path);
    monitor->power_state = SPP_POWER_STATE_UNKNOWN;
    monitor->backoff_ms = SPP_QEMU_MONITOR_BACKOFF_MIN_MS;
    monitor->on_state = on_state;
    monitor->user_data = user_data;
    start_attempt(monitor);
    return monitor;
}

void spp_qemu_monitor_free(SppQemuMonitor *monitor)
{
    if (!monitor)
        return;
    g_clear_handle_id(&monitor->reconnect_source, g_source_remove);
    spp_qmp_async_free(monitor->qmp);
    g_free(monitor->last_failure);
    g_free(monitor->socket_path);
    g_free(monitor);
}

gboolean spp_qemu_monitor_settled(SppQemuMonitor *monitor)
{
    return monitor->settled;
}

gboolean spp_qemu_monitor_connected(SppQemuMonitor *monitor)
{
    return monitor->connected;
}

gboolean spp_qemu_monitor_execute(SppQemuMonitor *monitor, const char *command, SppQmpAsyncReplyFunc func,
                                  gpointer user_data, GError **error)
{
    /* One slot stays free for the query-status of spp_qemu_monitor_refresh(). */
    return spp_qmp_async_execute(monitor->connected ? monitor->qmp : NULL, command, 1, func, user_data, error);
}

int spp_qemu_monitor_power_state(SppQemuMonitor *monitor)
{
    return monitor->power_state;
}
