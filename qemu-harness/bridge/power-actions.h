/* The SpicePowerInterface (API v2) of the bridge: each action becomes QMP commands sent without
 * waiting (docs/power-channel.md §12.1–§12.3), and every action of every client is logged on one
 * line with its result. */
#ifndef SPP_BRIDGE_POWER_ACTIONS_H
#define SPP_BRIDGE_POWER_ACTIONS_H

#include <spice.h>

#include "qemu-monitor.h"

/* An instance offering exactly the actions asked for: spice-server announces only these and answers
 * the others UNSUPPORTED itself. */
SpicePowerInstance *spp_power_actions_new(SppQemuMonitor *monitor, gboolean reset, gboolean poweroff, gboolean poweron);

/* Before spice_server_destroy(): completes the actions under way with FAILED and fails new ones at
 * once. */
void spp_power_actions_stop(SpicePowerInstance *sin);

/* After spice_server_destroy(). */
void spp_power_actions_free(SpicePowerInstance *sin);

#endif /* SPP_BRIDGE_POWER_ACTIONS_H */
