/* stats.c
 * Statistics: every PDU the dissector decodes is queued to the "spicepower" tap, and a
 * stats_tree (tshark -z spicepower,tree; Statistics > SPICE Power in Wireshark) counts
 * messages by direction and name, power actions, results per request and code, and states.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "spicepower.h"
#include "ws-compat.h"

#include <epan/tap.h>
#include <epan/stats_tree.h>

static int spp_tap = -1;

static int st_node_messages = -1;
static int st_node_actions = -1;
static int st_node_results = -1;
static int st_node_states = -1;

static const char st_str_messages[] = "Messages";
static const char st_str_actions[] = "Power actions";
static const char st_str_results[] = "Results by request";
static const char st_str_states[] = "Power states reported";

void
spp_tap_queue(packet_info *pinfo, const spp_tap_info_t *info)
{
    spp_tap_info_t *copy;

    if (!have_tap_listener(spp_tap))
        return;
    copy = wmem_new(pinfo->pool, spp_tap_info_t);
    *copy = *info;
    tap_queue_packet(spp_tap, pinfo, copy);
}

static void
spp_stats_tree_init(stats_tree *st)
{
    st_node_messages = stats_tree_create_node(st, st_str_messages, 0, STAT_DT_INT, TRUE);
    st_node_actions = stats_tree_create_node(st, st_str_actions, 0, STAT_DT_INT, TRUE);
    st_node_results = stats_tree_create_node(st, st_str_results, 0, STAT_DT_INT, TRUE);
    st_node_states = stats_tree_create_node(st, st_str_states, 0, STAT_DT_INT, TRUE);
}

static tap_packet_status
spp_stats_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p,
                      tap_flags_t flags _U_)
{
    const spp_tap_info_t *info = (const spp_tap_info_t *)p;
    const value_string *names = info->dir == SPP_FROM_CLIENT ? spp_client_msg_vals : spp_server_msg_vals;
    const char *name;
    int node;

    if (!info->is_data)
        return TAP_PACKET_DONT_REDRAW;

    name = spp_val_to_str(pinfo->pool, info->type, names, "Unknown (%u)");
    tick_stat_node(st, st_str_messages, 0, TRUE);
    node = tick_stat_node(st, info->dir == SPP_FROM_CLIENT ? "Client to server" : "Server to client",
                          st_node_messages, TRUE);
    tick_stat_node(st, name, node, FALSE);

    if (info->dir == SPP_FROM_CLIENT && info->type > 100 && try_val_to_str(info->type, spp_client_msg_vals)) {
        tick_stat_node(st, st_str_actions, 0, TRUE);
        tick_stat_node(st, name, st_node_actions, FALSE);
    }
    if (info->has_result) {
        tick_stat_node(st, st_str_results, 0, TRUE);
        node = tick_stat_node(st, spp_val_to_str(pinfo->pool, info->request, spp_client_msg_vals, "request %u"),
                              st_node_results, TRUE);
        tick_stat_node(st, spp_val_to_str(pinfo->pool, info->code, spp_power_result_vals, "code %u"), node, FALSE);
    }
    if (info->has_state) {
        tick_stat_node(st, st_str_states, 0, TRUE);
        tick_stat_node(st, spp_val_to_str(pinfo->pool, info->state, spp_power_state_vals, "state %u"),
                       st_node_states, FALSE);
    }
    return TAP_PACKET_REDRAW;
}

void
spp_stats_register(void)
{
    spp_tap = register_tap("spicepower");
    stats_tree_register_plugin("spicepower", "spicepower", "SPICE Power", 0,
                               spp_stats_tree_packet, spp_stats_tree_init, NULL);
}
