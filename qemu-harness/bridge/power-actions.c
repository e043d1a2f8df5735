#include "power-actions.h"

#include <spicepower/protocol.h>

#include "spp_names.h"

typedef struct SppPowerActions SppPowerActions;

/* One action under way: its QMP commands, sent one after the other (docs/power-channel.md §12). */
typedef struct {
    SppPowerActions *owner;
    SpicePowerRequest *request;
    int action;                  /* SPP_MSGC_POWER_* */
    const char *const *commands; /* NULL-terminated; POWERON's is chosen after its query-status */
    gboolean probed;             /* POWERON's query-status is done */
    gboolean migration_checked;  /* query-migrate said no migration is under way */
    guint next;
    gint64 start_us;
} Run;

struct SppPowerActions {
    SpicePowerInstance sin; /* first: spice-server hands this pointer back */
    SpicePowerInterface iface;
    SppQemuMonitor *monitor;
    GQueue runs; /* of Run*, under way */
    gboolean stopping;
    /* What the bridge knows of the action whose code spice-server is about to report: the commands,
     * the time and the error. reported() runs while the code is handed over (complete(), or the
     * return of request()), and the request's address says which action it is about. */
    const SpicePowerRequest *explained;
    char *explanation;
};

/* Why actions fail once SIGTERM or SIGINT has stopped the main loop. */
#define STOPPING "the bridge is stopping"

static const char *const reset_commands[] = {"system_reset", NULL};
/* Held in reset while stopped is "off": the process stays, so POWERON can follow (§12.2). */
static const char *const poweroff_commands[] = {"stop", "system_reset", NULL};
static const char *const poweron_commands[] = {"cont", NULL};
/* A guest that switched itself off under -no-shutdown needs a reset before cont (§12.3). */
static const char *const poweron_after_shutdown[] = {"system_reset", "cont", NULL};
/* POWERON looks at the run state first to choose between the two. */
static const char *const poweron_probe[] = {"query-status", NULL};
/* Every action first asks whether a migration is under way: then it is answered FAILED (§9). */
static const char *const migration_probe[] = {"query-migrate", NULL};

/* query-migrate's "status" names a migration under way (QEMU's MigrationStatus, less none,
 * cancelled, completed and failed). No status at all: no migration was ever started. */
static gboolean migration_under_way(JsonNode *result)
{
    static const char *const settled[] = {"none", "cancelled", "completed", "failed", NULL};
    const char *status = spp_qemu_status_of(result);
    return status && !g_strv_contains(settled, status);
}

static void on_step(JsonNode *result, const GError *error, gpointer data);

static const char *const *commands_of(int action)
{
    switch (action) {
    case SPP_MSGC_POWER_RESET:
        return reset_commands;
    case SPP_MSGC_POWER_POWEROFF:
        return poweroff_commands;
    case SPP_MSGC_POWER_POWERON:
        return poweron_probe;
    default:
        return NULL; /* spice-server passes on announced actions only */
    }
}

/* "stop + system_reset, 0.4 ms: why" for the log line of reported(). */
static char *describe(const Run *run, const char *why)
{
    g_autofree char *sequence = run->commands ? g_strjoinv(" + ", (char **)run->commands) : g_strdup("no command");
    return g_strdup_printf("%s%s%s, %.1f ms%s%s", run->migration_checked ? "query-migrate + " : "",
                           run->probed ? "query-status + " : "", sequence,
                           (g_get_monotonic_time() - run->start_us) / 1000.0, why ? ": " : "", why ? why : "");
}

static void explain(SppPowerActions *self, const SpicePowerRequest *request, char *explanation)
{
    g_free(self->explanation);
    self->explained = request;
    self->explanation = explanation;
}

/* Hands the code to spice-server, which reports it (reported() below) and answers the client. */
static void finish(Run *run, int code, const char *why)
{
    SppPowerActions *self = run->owner;
    g_queue_remove(&self->runs, run);
    explain(self, run->request, describe(run, why));
    spice_server_power_complete(run->request, code);
    explain(self, NULL, NULL);
    spp_qemu_monitor_release(self->monitor);
    g_free(run);
}

/* Sends the run's next command; FALSE with error when the monitor refuses it at once. */
static gboolean send_next(Run *run, GError **error)
{
    return spp_qemu_monitor_execute(run->owner->monitor, run->commands[run->next], on_step, run, error);
}

static void on_step(JsonNode *result, const GError *error, gpointer data)
{
    Run *run = data;
    if (!result) {
        finish(run, SPP_POWER_RESULT_FAILED, error->message);
        return;
    }
    if (run->commands == migration_probe) {
        if (migration_under_way(result)) {
            finish(run, SPP_POWER_RESULT_FAILED, "a migration is under way (§9)");
            return;
        }
        run->migration_checked = TRUE;
        run->commands = commands_of(run->action);
        run->next = 0;
    } else if (run->commands == poweron_probe) {
        run->probed = TRUE;
        gboolean shut_down = g_strcmp0(spp_qemu_status_of(result), "shutdown") == 0;
        run->commands = shut_down ? poweron_after_shutdown : poweron_commands;
        run->next = 0;
    } else if (!run->commands[++run->next]) {
        finish(run, SPP_POWER_RESULT_OK, NULL);
        return;
    }
    g_autoptr(GError) refused = NULL;
    if (!send_next(run, &refused))
        finish(run, SPP_POWER_RESULT_FAILED, refused->message);
}

/* spice-server calls this for announced actions only, one at a time per client. It must not wait:
 * the action completes from on_step(), or fails here at once. */
static int request_action(SpicePowerInstance *sin, SpicePowerRequest *request)
{
    SppPowerActions *self = (SppPowerActions *)sin;
    Run *run = g_new0(Run, 1);
    run->owner = self;
    run->request = request;
    run->action = spice_power_request_get_action(request);
    run->commands = commands_of(run->action) ? migration_probe : NULL;
    run->start_us = g_get_monotonic_time();
    g_autoptr(GError) refused = NULL;
    if (self->stopping || !run->commands || !send_next(run, &refused)) {
        const char *why = refused ? refused->message : self->stopping ? STOPPING : "not an action";
        explain(self, request, describe(run, why));
        g_free(run);
        return SPP_POWER_RESULT_FAILED;
    }
    g_queue_push_tail(&self->runs, run);
    spp_qemu_monitor_hold(self->monitor);
    explain(self, NULL, NULL);
    return SPICE_POWER_RESULT_PENDING;
}

/* One line per action of every client, refused ones included: who asked (the peer's numeric address
 * as spice-server saw it, TLS or not, the session), what, and the outcome. */
static void reported(SpicePowerInstance *sin, const SpicePowerRequest *request, int result)
{
    SppPowerActions *self = (SppPowerActions *)sin;
    const char *explanation = request == self->explained ? self->explanation : NULL;
    g_printerr("spice-power-bridge: %s -> %s (client %s, tls %s, connection %u%s%s)\n",
               spp_power_action_name((uint16_t)spice_power_request_get_action(request)),
               spp_power_result_name((uint32_t)result), spice_power_request_get_peer(request),
               spice_power_request_is_tls(request) ? "yes" : "no", spice_power_request_get_connection_id(request),
               explanation ? "; " : "", explanation ? explanation : "");
    if (request == self->explained)
        explain(self, NULL, NULL);
}

SpicePowerInstance *spp_power_actions_new(SppQemuMonitor *monitor, gboolean reset, gboolean poweroff, gboolean poweron)
{
    SppPowerActions *self = g_new0(SppPowerActions, 1);
    self->monitor = monitor;
    g_queue_init(&self->runs);
    self->iface.base.type = SPICE_INTERFACE_POWER;
    self->iface.base.description = "spice-power-bridge (QMP)";
    self->iface.base.major_version = SPICE_INTERFACE_POWER_MAJOR;
    self->iface.base.minor_version = SPICE_INTERFACE_POWER_MINOR;
    self->iface.actions = (reset ? SPP_CAP_MASK(SPP_POWER_CAP_RESET) : 0) |
                          (poweroff ? SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) : 0) |
                          (poweron ? SPP_CAP_MASK(SPP_POWER_CAP_POWERON) : 0);
    self->iface.request = request_action;
    self->iface.reported = reported;
    self->sin.base.sif = &self->iface.base;
    return &self->sin;
}

void spp_power_actions_stop(SpicePowerInstance *sin)
{
    SppPowerActions *self = (SppPowerActions *)sin;
    self->stopping = TRUE;
    Run *run;
    while ((run = g_queue_peek_head(&self->runs)) != NULL)
        finish(run, SPP_POWER_RESULT_FAILED, STOPPING);
}

void spp_power_actions_free(SpicePowerInstance *sin)
{
    SppPowerActions *self = (SppPowerActions *)sin;
    if (!self)
        return;
    explain(self, NULL, NULL);
    g_free(self);
}
