#include "qemu-monitor.h"

#include <string.h>

#include <spicepower/protocol.h>

#include "qmp-client.h"

#define QMP_TIMEOUT_MS 5000
#define RECONNECT_INTERVAL_MS 250

struct SppQemuMonitor {
    char *socket_path;
    SppQmpClient *qmp;
    GSource *qmp_source;
    guint reconnect_source;
    guint refresh_source;
    guint teardown_source;
    int power_state;
    SppPowerStateFunc on_state;
    gpointer user_data;
};

static void schedule_reconnect(SppQemuMonitor *monitor);

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

static void set_power_state(SppQemuMonitor *monitor, int state)
{
    if (state == monitor->power_state)
        return;
    monitor->power_state = state;
    monitor->on_state(state, monitor->user_data);
}

static void disconnect(SppQemuMonitor *monitor)
{
    if (monitor->qmp_source) {
        g_source_destroy(monitor->qmp_source);
        g_source_unref(monitor->qmp_source);
        monitor->qmp_source = NULL;
    }
    spp_qmp_client_free(monitor->qmp);
    monitor->qmp = NULL;
}

/* The client must outlive its source, so a lost connection is torn down from an idle callback,
 * outside the source's dispatch. */
static gboolean teardown_lost_connection(gpointer data)
{
    SppQemuMonitor *monitor = data;
    monitor->teardown_source = 0;
    disconnect(monitor);
    set_power_state(monitor, SPP_POWER_STATE_UNKNOWN);
    schedule_reconnect(monitor);
    return G_SOURCE_REMOVE;
}

static void connection_lost(SppQemuMonitor *monitor, const char *why)
{
    if (monitor->teardown_source || !monitor->qmp)
        return;
    g_printerr("spice-power-bridge: lost QEMU's QMP socket (%s); power state UNKNOWN, reconnecting\n", why);
    monitor->teardown_source = g_idle_add(teardown_lost_connection, monitor);
}

static void on_qmp_closed(const GError *error, gpointer data)
{
    connection_lost(data, error ? error->message : "closed");
}

static gboolean refresh(gpointer data)
{
    SppQemuMonitor *monitor = data;
    monitor->refresh_source = 0;
    g_autoptr(GError) err = NULL;
    g_autofree char *state = spp_qemu_monitor_run_state(monitor, &err);
    if (state)
        set_power_state(monitor, spp_power_state_from_run_state(state));
    return G_SOURCE_REMOVE;
}

void spp_qemu_monitor_refresh_soon(SppQemuMonitor *monitor)
{
    if (!monitor->refresh_source)
        monitor->refresh_source = g_idle_add(refresh, monitor);
}

/* One event alone does not tell "off" from "paused" (§12.4), so every run-state event leads to a
 * query-status; events that arrive during an action coalesce into one refresh after it. */
static gboolean on_qmp_event(const SppQmpEvent *event, gpointer data)
{
    static const char *const relevant[] = {"STOP", "RESUME", "RESET", "SHUTDOWN", NULL};
    if (g_strv_contains(relevant, event->name))
        spp_qemu_monitor_refresh_soon(data);
    return TRUE; /* consumed: the bridge keeps no event queue */
}

static gboolean try_connect(gpointer data)
{
    SppQemuMonitor *monitor = data;
    monitor->reconnect_source = 0;
    g_autoptr(GError) err = NULL;
    monitor->qmp = spp_qmp_client_connect(monitor->socket_path, 1000, &err);
    if (!monitor->qmp) {
        schedule_reconnect(monitor);
        return G_SOURCE_REMOVE;
    }
    spp_qmp_client_set_event_callback(monitor->qmp, on_qmp_event, monitor, NULL);
    monitor->qmp_source = spp_qmp_client_create_source(monitor->qmp, on_qmp_closed, monitor, NULL);
    g_source_attach(monitor->qmp_source, NULL);
    g_printerr("spice-power-bridge: connected to QEMU at %s\n", monitor->socket_path);
    refresh(monitor);
    return G_SOURCE_REMOVE;
}

static void schedule_reconnect(SppQemuMonitor *monitor)
{
    if (!monitor->reconnect_source)
        monitor->reconnect_source = g_timeout_add(RECONNECT_INTERVAL_MS, try_connect, monitor);
}

SppQemuMonitor *spp_qemu_monitor_new(const char *socket_path, SppPowerStateFunc on_state, gpointer user_data)
{
    SppQemuMonitor *monitor = g_new0(SppQemuMonitor, 1);
    monitor->socket_path = g_strdup(socket_path);
    monitor->power_state = SPP_POWER_STATE_UNKNOWN;
    monitor->on_state = on_state;
    monitor->user_data = user_data;
    try_connect(monitor);
    return monitor;
}

void spp_qemu_monitor_free(SppQemuMonitor *monitor)
{
    if (!monitor)
        return;
    g_clear_handle_id(&monitor->reconnect_source, g_source_remove);
    g_clear_handle_id(&monitor->refresh_source, g_source_remove);
    g_clear_handle_id(&monitor->teardown_source, g_source_remove);
    disconnect(monitor);
    g_free(monitor->socket_path);
    g_free(monitor);
}

static gboolean usable(SppQemuMonitor *monitor, GError **error)
{
    if (monitor->qmp && !monitor->teardown_source && spp_qmp_client_is_connected(monitor->qmp))
        return TRUE;
    g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED, "QEMU is not connected");
    return FALSE;
}

static JsonNode *execute(SppQemuMonitor *monitor, const char *command, GError **error)
{
    if (!usable(monitor, error))
        return NULL;
    GError *err = NULL;
    JsonNode *ret = spp_qmp_client_execute(monitor->qmp, command, NULL, QMP_TIMEOUT_MS, &err);
    if (!ret) {
        if (err->domain == SPP_QMP_ERROR && err->code != SPP_QMP_ERROR_TIMEOUT)
            connection_lost(monitor, err->message);
        g_propagate_error(error, err);
    }
    return ret;
}

gboolean spp_qemu_monitor_execute(SppQemuMonitor *monitor, const char *command, GError **error)
{
    g_autoptr(JsonNode) ret = execute(monitor, command, error);
    return ret != NULL;
}

char *spp_qemu_monitor_run_state(SppQemuMonitor *monitor, GError **error)
{
    g_autoptr(JsonNode) ret = execute(monitor, "query-status", error);
    if (!ret)
        return NULL;
    JsonObject *o = JSON_NODE_HOLDS_OBJECT(ret) ? json_node_get_object(ret) : NULL;
    const char *status = o ? json_object_get_string_member_with_default(o, "status", NULL) : NULL;
    if (!status) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "query-status has no status");
        return NULL;
    }
    return g_strdup(status);
}

int spp_qemu_monitor_power_state(SppQemuMonitor *monitor)
{
    return monitor->power_state;
}
