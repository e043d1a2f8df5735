/* plugin.c
 * Plugin entry points of the SPICE power channel dissector: the symbols Wireshark's plugin
 * loader looks for, protocol registration and handoff. Everything else lives in the other
 * files of this directory (see spicepower.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#include "spicepower.h"

#ifndef SPICEPOWER_VERSION
#define SPICEPOWER_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = SPICEPOWER_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

int proto_spicepower = -1;

static void
proto_register_spicepower(void)
{
    expert_module_t *expert;

    proto_spicepower = proto_register_protocol("SPICE Power", "SPICE Power", "spicepower");
    expert = expert_register_protocol(proto_spicepower);

    /* One expert module for the protocol; each file registers the expert fields it raises. */
    spp_conv_register(expert);
    spp_link_register(expert);
    spp_data_register(expert);
    spp_analysis_register(expert);
    spp_stats_register();
}

static void
proto_reg_handoff_spicepower(void)
{
    spp_conv_handoff();
}

void
plugin_register(void)
{
    static proto_plugin plug;

    plug.register_protoinfo = proto_register_spicepower;
    plug.register_handoff = proto_reg_handoff_spicepower;
    proto_register_plugin(&plug);
}
