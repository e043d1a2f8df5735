/* spice-server's SpiceCoreInterface (timers and fd watches) on a GLib main context. Used by
 * spice-power-bridge (the default context) and by the tests (a private context in a thread).
 * The interface's callbacks carry no context argument, so one core exists per process at a time. */
#ifndef SPP_SPICE_GLIB_CORE_H
#define SPP_SPICE_GLIB_CORE_H

#include <glib.h>
#include <spice.h>

/* A core whose timers and watches are attached to context (NULL: the default context).
 * Pass it to spice_server_init(); free it after spice_server_destroy(). */
SpiceCoreInterface *spp_spice_glib_core_new(GMainContext *context);
void spp_spice_glib_core_free(SpiceCoreInterface *core);

#endif /* SPP_SPICE_GLIB_CORE_H */
