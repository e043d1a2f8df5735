/* The bridge's monitor of QEMU: a QMP connection that reconnects by itself, and the power state
 * derived from QEMU's run state (docs/power-channel.md §12.4, §12.5). */
#ifndef SPP_BRIDGE_QEMU_MONITOR_H
#define SPP_BRIDGE_QEMU_MONITOR_H

#include <glib.h>

typedef struct SppQemuMonitor SppQemuMonitor;

/* Called on the main loop whenever the derived power state (SPP_POWER_STATE_*) changes. */
typedef void (*SppPowerStateFunc)(int power_state, gpointer user_data);

/* Starts connecting to the QMP socket at once and keeps retrying while it is absent. */
SppQemuMonitor *spp_qemu_monitor_new(const char *socket_path, SppPowerStateFunc on_state, gpointer user_data);
void spp_qemu_monitor_free(SppQemuMonitor *monitor);

/* Runs a QMP command without arguments. FALSE with error when QEMU is not connected, went away,
 * or refused the command. */
gboolean spp_qemu_monitor_execute(SppQemuMonitor *monitor, const char *command, GError **error);

/* query-status's run state ("running", "prelaunch", ...), or NULL with error. */
char *spp_qemu_monitor_run_state(SppQemuMonitor *monitor, GError **error);

/* The power state as last derived. */
int spp_qemu_monitor_power_state(SppQemuMonitor *monitor);

/* Re-derive the power state from query-status once the main loop is idle. */
void spp_qemu_monitor_refresh_soon(SppQemuMonitor *monitor);

/* The mapping of §12.4: run state name -> SPP_POWER_STATE_*. */
int spp_power_state_from_run_state(const char *run_state);

#endif /* SPP_BRIDGE_QEMU_MONITOR_H */
