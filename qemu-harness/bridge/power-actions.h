/* The SpicePowerInterface of the bridge: each action becomes QMP commands
 * (docs/power-channel.md §12.1–§12.3), and is logged on one line with its result. */
#ifndef SPP_BRIDGE_POWER_ACTIONS_H
#define SPP_BRIDGE_POWER_ACTIONS_H

#include <spice.h>

#include "qemu-monitor.h"

/* An instance offering exactly the actions asked for; the others stay NULL, so spice-server
 * neither announces nor performs them. */
SpicePowerInstance *spp_power_actions_new(SppQemuMonitor *monitor, gboolean reset, gboolean poweroff, gboolean poweron);

#endif /* SPP_BRIDGE_POWER_ACTIONS_H */
