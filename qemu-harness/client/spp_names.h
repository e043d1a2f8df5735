/* Names of the wire values that messages and logs print: link errors (§3.2), power states (§5.3),
 * result codes (§5.4) and actions (§5.1). The one table of each for all C code of the project
 * (the Wireshark dissector keeps its own value_strings). Every function is bounded: a value
 * outside the table gets a placeholder, never an out-of-range read. */
#ifndef SPP_NAMES_H
#define SPP_NAMES_H

#include <stdint.h>

#include <spicepower/protocol.h>

#ifdef __cplusplus
extern "C" {
#endif

/* spice-server offers multi-client mode only through this environment variable, read by
 * spice_server_init(); without it a new client's main channel disconnects the previous client. */
#define SPP_SPICE_MULTI_CLIENT_VARIABLE "SPICE_DEBUG_ALLOW_MC"

const char *spp_link_error_name(uint32_t error);  /* "unknown link error" outside the table */
const char *spp_power_state_name(int state);       /* "UNKNOWN", "ON", "OFF", "PAUSED"; else "?" */
const char *spp_power_result_name(uint32_t code);  /* "OK" ... "INVALID_STATE"; else "?" */
const char *spp_power_action_name(uint16_t type);  /* "RESET", "POWEROFF", "POWERON"; else "?" */
const char *spp_channel_type_name(uint8_t type);   /* "main" ... "power", as SPICE names them; else "?" */

#ifdef __cplusplus
}
#endif

#endif /* SPP_NAMES_H */
