#include "qemu-link.h"

#include <string.h>

#include <spicepower/protocol.h>

#include "qmp-client.h"

#define QMP_TIMEOUT_MS 5000
#define RECONNECT_INTERVAL_MS 250

struct SppQemuLink {
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

static void schedule_reconnect(SppQemuLink *link);

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

static void set_power_state(SppQemuLink *link, int state)
{
    if (state == link->power_state)
        return;
    link->power_state = state;
    link->on_state(state, link->user_data);
}

static void disconnect(SppQemuLink *link)
{
    if (link->qmp_source) {
        g_source_destroy(link->qmp_source);
        g_source_unref(link->qmp_source);
        link->qmp_source = NULL;
    }
    spp_qmp_client_free(link->qmp);
    link->qmp = NULL;
}

/* The client must outlive its source, so a lost connection is torn down from an idle callback,
 * outside the source's dispatch. */
static gboolean teardown_lost_connection(gpointer data)
{
    SppQemuLink *link = data;
    link->teardown_source = 0;
    disconnect(link);
    set_power_state(link, SPP_POWER_STATE_UNKNOWN);
    schedule_reconnect(link);
    return G_SOURCE_REMOVE;
}

static void connection_lost(SppQemuLink *link, const char *why)
{
    if (link->teardown_source || !link->qmp)
        return;
    g_printerr("spice-power-bridge: lost QEMU's QMP socket (%s); power state UNKNOWN, reconnecting\n", why);
    link->teardown_source = g_idle_add(teardown_lost_connection, link);
}

static void on_qmp_closed(const GError *error, gpointer data)
{
    connection_lost(data, error ? error->message : "closed");
}

static gboolean refresh(gpointer data)
{
    SppQemuLink *link = data;
    link->refresh_source = 0;
    g_autoptr(GError) err = NULL;
    g_autofree char *state = spp_qemu_link_run_state(link, &err);
    if (state)
        set_power_state(link, spp_power_state_from_run_state(state));
    return G_SOURCE_REMOVE;
}

void spp_qemu_link_refresh_soon(SppQemuLink *link)
{
    if (!link->refresh_source)
        link->refresh_source = g_idle_add(refresh, link);
}

/* One event alone does not tell "off" from "paused" (§12.4), so every run-state event leads to a
 * query-status; events that arrive during an action coalesce into one refresh after it. */
static gboolean on_qmp_event(const SppQmpEvent *event, gpointer data)
{
    static const char *const relevant[] = {"STOP", "RESUME", "RESET", "SHUTDOWN", NULL};
    if (g_strv_contains(relevant, event->name))
        spp_qemu_link_refresh_soon(data);
    return TRUE; /* consumed: the bridge keeps no event queue */
}

static gboolean try_connect(gpointer data)
{
    SppQemuLink *link = data;
    link->reconnect_source = 0;
    g_autoptr(GError) err = NULL;
    link->qmp = spp_qmp_client_connect(link->socket_path, 1000, &err);
    if (!link->qmp) {
        schedule_reconnect(link);
        return G_SOURCE_REMOVE;
    }
    spp_qmp_client_set_event_callback(link->qmp, on_qmp_event, link, NULL);
    link->qmp_source = spp_qmp_client_create_source(link->qmp, on_qmp_closed, link, NULL);
    g_source_attach(link->qmp_source, NULL);
    g_printerr("spice-power-bridge: connected to QEMU at %s\n", link->socket_path);
    refresh(link);
    return G_SOURCE_REMOVE;
}

static void schedule_reconnect(SppQemuLink *link)
{
    if (!link->reconnect_source)
        link->reconnect_source = g_timeout_add(RECONNECT_INTERVAL_MS, try_connect, link);
}

SppQemuLink *spp_qemu_link_new(const char *socket_path, SppPowerStateFunc on_state, gpointer user_data)
{
    SppQemuLink *link = g_new0(SppQemuLink, 1);
    link->socket_path = g_strdup(socket_path);
    link->power_state = SPP_POWER_STATE_UNKNOWN;
    link->on_state = on_state;
    link->user_data = user_data;
    try_connect(link);
    return link;
}

void spp_qemu_link_free(SppQemuLink *link)
{
    if (!link)
        return;
    g_clear_handle_id(&link->reconnect_source, g_source_remove);
    g_clear_handle_id(&link->refresh_source, g_source_remove);
    g_clear_handle_id(&link->teardown_source, g_source_remove);
    disconnect(link);
    g_free(link->socket_path);
    g_free(link);
}

static gboolean usable(SppQemuLink *link, GError **error)
{
    if (link->qmp && !link->teardown_source && spp_qmp_client_is_connected(link->qmp))
        return TRUE;
    g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED, "QEMU is not connected");
    return FALSE;
}

static JsonNode *execute(SppQemuLink *link, const char *command, GError **error)
{
    if (!usable(link, error))
        return NULL;
    GError *err = NULL;
    JsonNode *ret = spp_qmp_client_execute(link->qmp, command, NULL, QMP_TIMEOUT_MS, &err);
    if (!ret) {
        if (err->domain == SPP_QMP_ERROR && err->code != SPP_QMP_ERROR_TIMEOUT)
            connection_lost(link, err->message);
        g_propagate_error(error, err);
    }
    return ret;
}

gboolean spp_qemu_link_execute(SppQemuLink *link, const char *command, GError **error)
{
    g_autoptr(JsonNode) ret = execute(link, command, error);
    return ret != NULL;
}

char *spp_qemu_link_run_state(SppQemuLink *link, GError **error)
{
    g_autoptr(JsonNode) ret = execute(link, "query-status", error);
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

int spp_qemu_link_power_state(SppQemuLink *link)
{
    return link->power_state;
}
