/* spice-server's SpiceCoreInterface (timers and fd watches) on the default GLib main context. */
#ifndef SPP_BRIDGE_GLIB_CORE_H
#define SPP_BRIDGE_GLIB_CORE_H

#include <spice.h>

/* The core to pass to spice_server_init(); lives as long as the process. */
SpiceCoreInterface *spp_glib_core(void);

#endif /* SPP_BRIDGE_GLIB_CORE_H */
