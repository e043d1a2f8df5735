#include "power-actions.h"

#include <spicepower/protocol.h>

#include "spp_names.h"

typedef struct {
    SpicePowerInstance sin; /* first: spice-server hands this pointer back */
    SpicePowerInterface iface;
    SppQemuMonitor *monitor;
} SppPowerActions;

/* Runs the QMP commands in order, stopping at the first failure, and logs the outcome. */
static int run(SpicePowerInstance *sin, uint16_t action, const char *const *commands)
{
    SppPowerActions *self = (SppPowerActions *)sin;
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) err = NULL;
    g_autofree char *sequence = g_strjoinv(" + ", (char **)commands);
    int code = SPP_POWER_RESULT_OK;
    for (const char *const *c = commands; *c; c++) {
        if (!spp_qemu_monitor_execute(self->monitor, *c, &err)) {
            code = SPP_POWER_RESULT_FAILED;
            break;
        }
    }
    g_printerr("spice-power-bridge: %s -> %s (%s, %.1f ms)%s%s\n", spp_power_action_name(action),
               spp_power_result_name((uint32_t)code), sequence, (g_get_monotonic_time() - start) / 1000.0,
               err ? ": " : "", err ? err->message : "");
    spp_qemu_monitor_refresh_soon(self->monitor);
    return code;
}

static int do_reset(SpicePowerInstance *sin)
{
    static const char *const commands[] = {"system_reset", NULL};
    return run(sin, SPP_MSGC_POWER_RESET, commands);
}

static int do_poweroff(SpicePowerInstance *sin)
{
    /* Held in reset while stopped is "off": the process stays, so POWERON can follow (§12.2). */
    static const char *const commands[] = {"stop", "system_reset", NULL};
    return run(sin, SPP_MSGC_POWER_POWEROFF, commands);
}

static int do_poweron(SpicePowerInstance *sin)
{
    SppPowerActions *self = (SppPowerActions *)sin;
    g_autoptr(GError) err = NULL;
    g_autofree char *state = spp_qemu_monitor_run_state(self->monitor, &err);
    /* A guest that switched itself off under -no-shutdown needs a reset before cont (§12.3). */
    static const char *const after_shutdown[] = {"system_reset", "cont", NULL};
    static const char *const from_off[] = {"cont", NULL};
    return run(sin, SPP_MSGC_POWER_POWERON, g_strcmp0(state, "shutdown") == 0 ? after_shutdown : from_off);
}

/* API v2, answered synchronously for now: the QMP commands still block the main loop. */
static int on_request(SpicePowerInstance *sin, SpicePowerRequest *request)
{
    switch (spice_power_request_get_action(request)) {
    case SPP_MSGC_POWER_RESET:
        return do_reset(sin);
    case SPP_MSGC_POWER_POWEROFF:
        return do_poweroff(sin);
    case SPP_MSGC_POWER_POWERON:
        return do_poweron(sin);
    }
    return SPP_POWER_RESULT_FAILED;
}

SpicePowerInstance *spp_power_actions_new(SppQemuMonitor *monitor, gboolean reset, gboolean poweroff, gboolean poweron)
{
    SppPowerActions *self = g_new0(SppPowerActions, 1);
    self->monitor = monitor;
    self->iface.base.type = SPICE_INTERFACE_POWER;
    self->iface.base.description = "spice-power-bridge (QMP)";
    self->iface.base.major_version = SPICE_INTERFACE_POWER_MAJOR;
    self->iface.base.minor_version = SPICE_INTERFACE_POWER_MINOR;
    self->iface.actions = (reset ? SPP_CAP_MASK(SPP_POWER_CAP_RESET) : 0) |
                          (poweroff ? SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) : 0) |
                          (poweron ? SPP_CAP_MASK(SPP_POWER_CAP_POWERON) : 0);
    self->iface.request = on_request;
    self->sin.base.sif = &self->iface.base;
    return &self->sin;
}
