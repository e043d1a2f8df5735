/* The bridge's monitor of QEMU: a QMP connection (qmp-async.h) that is re-made with backoff when it
 * fails, and the power state derived from QEMU's run state (docs/power-channel.md §12.4, §12.5).
 * Everything runs on the default main context and nothing blocks. */
#ifndef SPP_BRIDGE_QEMU_MONITOR_H
#define SPP_BRIDGE_QEMU_MONITOR_H

#include <glib.h>

#include "qmp-async.h"

/* Reconnect attempts start this long after a failure and double up to the maximum; a connection
 * that completes its handshake starts the series again. */
#define SPP_QEMU_MONITOR_BACKOFF_MIN_MS 250
#define SPP_QEMU_MONITOR_BACKOFF_MAX_MS 2000

typedef struct SppQemuMonitor SppQemuMonitor;

/* Called on the main loop whenever the derived power state (SPP_POWER_STATE_*) changes. */
typedef void (*SppPowerStateFunc)(int power_state, gpointer user_data);

/* Starts connecting to the QMP socket and keeps at it while QEMU is unreachable. */
SppQemuMonitor *spp_qemu_monitor_new(const char *socket_path, SppPowerStateFunc on_state, gpointer user_data);
/* Closes the connection; commands still waiting are dropped without their callbacks. */
void spp_qemu_monitor_free(SppQemuMonitor *monitor);

/* TRUE once the first attempt is over: the power state is known, or QEMU was not reachable. */
gboolean spp_qemu_monitor_settled(SppQemuMonitor *monitor);

/* TRUE while the handshake is done and the connection lasts. */
gboolean spp_qemu_monitor_connected(SppQemuMonitor *monitor);

/* Sends a QMP command without arguments; func gets its outcome later, from the main loop. FALSE with
 * error, and func never called, when QEMU is not connected or too many commands wait (one slot
 * stays free for the monitor's own query-status). */
gboolean spp_qemu_monitor_execute(SppQemuMonitor *monitor, const char *command, SppQmpAsyncReplyFunc func,
                                  gpointer user_data, GError **error);

/* The power state as last derived. */
int spp_qemu_monitor_power_state(SppQemuMonitor *monitor);

/* Re-derive the power state from query-status. Calls made while one is under way coalesce into one
 * more after it, so a flood of events costs one command at a time. */
void spp_qemu_monitor_refresh(SppQemuMonitor *monitor);

/* While an action's commands run (POWEROFF is stop, then system_reset), the run states between them
 * are not power states a client should see (a POWEROFF would show PAUSED on its way to OFF): a held
 * monitor defers re-deriving the state until the last hold is released. */
void spp_qemu_monitor_hold(SppQemuMonitor *monitor);
void spp_qemu_monitor_release(SppQemuMonitor *monitor);

/* The mapping of §12.4: run state name -> SPP_POWER_STATE_*. */
int spp_power_state_from_run_state(const char *run_state);

/* The string "status" of a QMP return (query-status: the run state; query-migrate: the migration's
 * state), or NULL when it has none (borrowed from result). */
const char *spp_qemu_status_of(JsonNode *result);

#endif /* SPP_BRIDGE_QEMU_MONITOR_H */
