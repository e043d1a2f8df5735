/* ws-compat.h
 * The few places where the Wireshark API the plugin uses differs between the releases it builds
 * for (4.0 to 4.6). CMake's feature tests (dissector/CMakeLists.txt) decide, not version numbers,
 * so that a release in between needs no change here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SPICEPOWER_WS_COMPAT_H
#define SPICEPOWER_WS_COMPAT_H

#include <stdbool.h>
#include <epan/packet.h>

/* Heuristic dissectors return bool from 4.2 or 4.4 on (gboolean, an int, before). */
#ifdef SPP_WS_HEUR_RETURNS_BOOL
typedef bool spp_heur_result_t;
#else
typedef gboolean spp_heur_result_t;
#endif

/* The g-typed tvb accessors are deprecated where the stdint-named ones exist. */
#ifdef SPP_WS_HAS_TVB_GET_UINT8
#define spp_tvb_get_uint8 tvb_get_uint8
#else
#define spp_tvb_get_uint8 tvb_get_guint8
#endif

/* val_to_str() takes the allocator from 4.6 on; before, that was val_to_str_wmem(). */
#ifdef SPP_WS_VAL_TO_STR_TAKES_SCOPE
#define spp_val_to_str(scope, val, vs, fmt) val_to_str((scope), (val), (vs), (fmt))
#else
#define spp_val_to_str(scope, val, vs, fmt) val_to_str_wmem((scope), (val), (vs), (fmt))
#endif

/* SPP_WS_TCPINFO_HAS_STREAM: TCP passes its stream index to subdissectors from 4.2 on (conv.c
 * uses it to skip a conversation lookup; without it, the lookup is made). */

#endif /* SPICEPOWER_WS_COMPAT_H */
