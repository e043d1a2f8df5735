/* power-channel.md §2 to §5 and §10: the channel's existence, the link and its framing, the
 * capabilities a client announces, and the action messages, at the wire. */
#include <string.h>

#include "case-list.h"
#include "power.h"

#define ACTION_CAPS                                                                                    \
    (SPP_CAP_MASK(SPP_POWER_CAP_RESET) | SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) | SPP_CAP_MASK(SPP_POWER_CAP_POWERON))
#define MAX_CHANNELS 64
#define QUIET_MS 500 /* how long a server that has nothing to say is watched */

/* How many times the server's CHANNELS_LIST names channel (type, id). */
static guint listed(VcPowerClient *c, uint8_t type, uint8_t id, const VcCitation *required)
{
    uint8_t channels[2 * MAX_CHANNELS];
    uint32_t n = 0;
    int st = spp_main_channels_list(c->session->main_conn, 5000, channels, MAX_CHANNELS, &n);
    VC_REQUIRE(c->ctx, st == SPP_OK, required, "no CHANNELS_LIST: %s", spp_conn_error(c->session->main_conn));
    guint count = 0;
    for (uint32_t i = 0; i < MIN(n, MAX_CHANNELS); i++)
        count += channels[2 * i] == type && channels[2 * i + 1] == id;
    return count;
}

/* The main channel of the session is still open: messages may come, a close may not. */
static gboolean main_channel_alive(VcPowerClient *c, int ms)
{
    gint64 deadline = g_get_monotonic_time() + ms * 1000;
    for (;;) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        SppMessage msg = {0};
        int st = left > 0 ? spp_recv(c->session->main_conn, &msg, left) : SPP_ERR_TIMEOUT;
        spp_message_clear(&msg);
        if (st == SPP_ERR_TIMEOUT)
            return TRUE;
        if (st != SPP_OK)
            return FALSE;
    }
}

VC_CASE_FN(power, enabled_channel_is_listed_once)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    const VcCitation *required = VC_REQ(PC, "2.3", "an enabled power channel is announced in the channel list");
    guint count = listed(c, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID, required);
    VC_REQUIRE(ctx, count == 1, required, "CHANNELS_LIST names power channel 0 %u times", count);
    VC_REQUIRE(ctx, main_channel_alive(c, QUIET_MS),
               VC_REQ(PC, "10.1", "a client that never links the power channel keeps its session"),
               "the main channel closed: %s", spp_conn_error(c->session->main_conn));
}

/* A server without the channel: not listed, a link to it refused either way §2.2 allows, and the
 * rest of the session unharmed (another channel still links). */
static void require_no_power_channel(VcPowerTarget *t, const VcCitation *required)
{
    VcContext *ctx = t->ctx;
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    guint count = listed(c, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID, required);
    VC_REQUIRE(ctx, count == 0, required, "CHANNELS_LIST names the power channel");
    SppLinkParams params;
    uint32_t caps = VC_STATE_AND_RESULT;
    spp_link_params_init(&params, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID);
    params.connection_id = c->session->id;
    params.channel_caps = &caps;
    params.num_channel_caps = 1;
    vc_power_client_link(c, t, &params);
    const SppLinkInfo *link = &c->power->link;
    gboolean without_reply = c->power->link_status != SPP_OK && !link->reply_received;
    gboolean not_available = link->error == SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE ||
                             link->result == SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE;
    vc_diag(ctx, "power_link", "%s", c->power->link_status == SPP_OK ? "accepted" : vc_power_error(c));
    VC_REQUIRE(ctx, without_reply || (c->power->link_status == SPP_ERR_LINK && not_available), required,
               "power link: %s", c->power->link_status == SPP_OK ? "accepted" : vc_power_error(c));
    g_autoptr(SppConn) inputs = spp_conn_new();
    int st = spp_channel_connect(inputs, t->host, t->port, c->session->id, SPP_CHANNEL_INPUTS, 0, NULL, 0, NULL,
                                 5000, NULL);
    const VcCitation *session_lives = VC_REQ(PC, "10.2", "a refused power link leaves the rest of the session working");
    VC_REQUIRE(ctx, st == SPP_OK, session_lives, "the inputs channel did not link afterwards: %s",
               spp_conn_error(inputs));
    VC_REQUIRE(ctx, main_channel_alive(c, QUIET_MS), session_lives, "the main channel closed: %s",
               spp_conn_error(c->session->main_conn));
}

VC_CASE_FN(power, no_power_interface_no_channel)
{
    /* A --power-qemu target brings its patched spice-server along (its other cases link the
     * channel through it): run it as it is, without power-control=on. Any other QEMU is given
     * the patched spice-server of this build through LD_LIBRARY_PATH. */
    const char *libdir = vc_options(ctx)->builtin_power ? NULL : VMCONFORM_SPICE_LIBDIR;
    if (libdir && !*libdir)
        vc_skip(ctx, "the patched spice-server is not built (configure with WITH_SPICE)");
    g_autoptr(VcPowerTarget) t = vc_power_target_qemu_spice(ctx, libdir);
    require_no_power_channel(t, VC_REQ(PC, "2.3",
                                       "without the power interface the server neither lists nor links the channel"));
}

VC_CASE_FN(power, server_without_channel_refuses_power_link)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_qemu_spice(ctx, NULL);
    require_no_power_channel(
        t, VC_REQ(PC, "10.2", "a server without the channel closes the link or answers CHANNEL_NOT_AVAILABLE"));
}

VC_CASE_FN(power, unknown_session_id_is_refused)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    SppLinkParams params;
    uint32_t caps = VC_STATE_AND_RESULT;
    spp_link_params_init(&params, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID);
    params.connection_id = c->session->id + 1;
    params.channel_caps = &caps;
    params.num_channel_caps = 1;
    vc_power_client_link(c, t, &params);
    const SppLinkInfo *link = &c->power->link;
    VC_REQUIRE(ctx,
               c->power->link_status == SPP_ERR_LINK && (link->error == SPP_LINK_ERR_BAD_CONNECTION_ID ||
                                                          link->result == SPP_LINK_ERR_BAD_CONNECTION_ID),
               VC_REQ(PC, "3.1", "a link with an unknown session id is refused with BAD_CONNECTION_ID"),
               "power link with session id %u (the session's is %u): %s", params.connection_id, c->session->id,
               c->power->link_status == SPP_OK ? "accepted" : vc_power_error(c));
}

/* Sends a link header announcing `size` bytes, then `size` bytes of link message whose channel caps
 * count is num_channel_caps; the server must refuse it. */
static void require_link_refused(VcPowerTarget *t, uint32_t session_id, uint32_t size, uint32_t num_channel_caps,
                                 const VcCitation *required)
{
    g_autoptr(SppConn) conn = vc_power_raw_connect(t);
    g_autofree guint8 *bytes = g_malloc0(SPP_LINK_HEADER_SIZE + size);
    memcpy(bytes, SPP_LINK_MAGIC, 4);
    spp_put_le32(bytes + 4, SPP_VERSION_MAJOR);
    spp_put_le32(bytes + 8, SPP_VERSION_MINOR);
    spp_put_le32(bytes + 12, size);
    guint8 *mess = bytes + SPP_LINK_HEADER_SIZE;
    if (size >= SPP_LINK_MESS_SIZE) {
        spp_put_le32(mess, session_id);
        mess[4] = SPP_CHANNEL_POWER;
        spp_put_le32(mess + 10, num_channel_caps);
        spp_put_le32(mess + 14, SPP_LINK_MESS_SIZE);
    }
    spp_send_raw(conn, bytes, SPP_LINK_HEADER_SIZE + size, 3000);
    g_autoptr(GByteArray) got = g_byte_array_new();
    gboolean closed = vc_raw_closed_within(t->ctx, conn, 3000, got);
    /* A link reply, if any came: header, then the error code. */
    guint32 error = got->len >= SPP_LINK_HEADER_SIZE + 4 ? spp_le32(got->data + SPP_LINK_HEADER_SIZE) : SPP_LINK_ERR_OK;
    vc_diag(t->ctx, "refusal", "link of %u bytes, %u channel cap words: %s, %u bytes back, error %u", size,
            num_channel_caps, closed ? "closed" : "still open", got->len, error);
    VC_REQUIRE(t->ctx, closed && (got->len == 0 || error == SPP_LINK_ERR_INVALID_DATA), required,
               "a link message of %u bytes with %u channel cap words: connection %s, link error %u", size,
               num_channel_caps, closed ? "closed" : "still open after 3 s", error);
}

VC_CASE_FN(power, link_outside_size_limits_is_refused)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    const VcCitation *required = VC_REQ(PC, "3.1",
                                        "a link message outside 18..4096 bytes or 1024 cap words is refused");
    require_link_refused(t, c->session->id, SPP_LINK_MESS_MIN_SIZE - 1, 0, required);
    require_link_refused(t, c->session->id, SPP_LINK_MESS_MAX_SIZE + 1, 0, required);
    require_link_refused(t, c->session->id, SPP_LINK_MESS_SIZE + 8, SPP_LINK_MAX_CAP_WORDS + 1, required);
    /* The refusals cost the server nothing: a valid link still works. */
    g_autoptr(VcPowerClient) after = vc_power_client_connect(t, VC_STATE_AND_RESULT, NULL);
    vc_power_client_require_linked(after);
}

/* Reads messages up to the RESULT answering `action`, each one's serial checked against the count
 * of messages received so far (SET_ACK and PING included): serials start at 1 and step by one. */
static uint32_t full_header_result(VcPowerClient *c, uint16_t action)
{
    const VcCitation *serials = VC_REQ(PC, "3.5", "with full headers the serial starts at 1 and steps by one");
    for (;;) {
        SppMessage msg = {0};
        int st = vc_power_next(c, &msg, 5000);
        VC_REQUIRE(c->ctx, st == SPP_OK, VC_REQ(PC, "6.3", "the server answers every action with one RESULT"),
                   "no RESULT for %u: %s", action, vc_power_error(c));
        uint64_t count = spp_conn_stats(c->power->conn)->messages_received;
        VC_REQUIRE(c->ctx, msg.serial == count, serials, "message %" G_GUINT64_FORMAT " has serial %" G_GUINT64_FORMAT,
                   count, msg.serial);
        uint16_t request = 0;
        uint32_t code = 0;
        gboolean is_result = msg.type == SPP_MSG_POWER_RESULT && spp_power_read_result(&msg, &request, &code, NULL);
        spp_message_clear(&msg);
        if (!is_result)
            continue;
        VC_REQUIRE(c->ctx, request == action,
                   VC_REQ(PC, "3.5", "a receiver reads exactly size bytes per message, so the next one is intact"),
                   "RESULT answers %u, expected %u", request, action);
        return code;
    }
}

VC_CASE_FN(power, full_headers_frame_messages_exactly)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    static const uint32_t no_mini_header[] = {SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) |
                                              SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE)};
    uint32_t caps = VC_STATE_AND_RESULT;
    SppLinkParams params;
    spp_link_params_init(&params, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID);
    params.connection_id = c->session->id;
    params.common_caps = no_mini_header;
    params.channel_caps = &caps;
    params.num_channel_caps = 1;
    vc_power_client_link(c, t, &params);
    vc_power_client_require_linked(c);
    VC_REQUIRE(ctx, !spp_conn_mini_header(c->power->conn), VC_STEP("the link settles on full headers"),
               "the link uses mini headers although the client did not announce MINI_HEADER");
    /* RESET with 8 bytes more than it needs, and POWERON right behind it: the server must take
     * exactly `size` bytes for the first to find the second. */
    vc_power_send(c, SPP_MSGC_POWER_RESET, 8);
    vc_power_send(c, SPP_MSGC_POWER_POWERON, 0);
    uint32_t reset = full_header_result(c, SPP_MSGC_POWER_RESET);
    uint32_t poweron = full_header_result(c, SPP_MSGC_POWER_POWERON);
    VC_REQUIRE(ctx, reset == SPP_POWER_RESULT_OK && poweron == SPP_POWER_RESULT_INVALID_STATE,
               VC_REQ(PC, "3.5", "both messages are read whole, in order"), "RESET -> %s, POWERON -> %s",
               spp_power_result_name(reset), spp_power_result_name(poweron));
}

VC_CASE_FN(power, base_messages_keep_channel_working)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    /* The client's base messages, unasked: an ACK_SYNC, a PONG and an ACK are SPICE's ordinary
     * traffic on every channel, nothing to close it over. */
    const VcCitation *required = VC_REQ(PC, "3.6", "base messages are handled as SPICE does, the channel goes on");
    guint8 generation[4] = {0};
    guint8 pong[SPP_MSG_PING_SIZE] = {0};
    spp_put_le32(pong, 1);
    VC_REQUIRE(ctx, spp_send(c->power->conn, SPP_MSGC_ACK_SYNC, generation, sizeof generation) == SPP_OK, required,
               "ACK_SYNC: %s", vc_power_error(c));
    VC_REQUIRE(ctx, spp_send(c->power->conn, SPP_MSGC_PONG, pong, sizeof pong) == SPP_OK, required, "PONG: %s",
               vc_power_error(c));
    VC_REQUIRE(ctx, spp_send(c->power->conn, SPP_MSGC_ACK, NULL, 0) == SPP_OK, required, "ACK: %s",
               vc_power_error(c));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_RESET, required);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, required, "RESET after ACK_SYNC, PONG and ACK: %s",
               spp_power_result_name(code));
    const SppConnStats *stats = spp_conn_stats(c->power->conn);
    vc_diag(ctx, "server_base_messages", "SET_ACK %u, PING %u (answered by the client)", stats->ack_syncs_sent,
            stats->pings_answered);
}

VC_CASE_FN(power, client_action_bits_are_ignored)
{
    if (vc_options(ctx)->spice_target)
        vc_skip(ctx, "needs a server configured without POWEROFF");
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_reset_only);
    VcVm *vm = vc_power_target_vm(t);
    const VcCitation *required = VC_REQ(PC, "4.3", "the server ignores the action bits a client announces");
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT | ACTION_CAPS);
    VC_REQUIRE(ctx, !spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_POWEROFF), required,
               "a reset-only server announced POWEROFF to a client that announced it");
    g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_POWEROFF, required);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_UNSUPPORTED, required, "POWEROFF from a client announcing it: %s",
               spp_power_result_name(code));
    vc_power_require_vm_untouched(ctx, vm, required);
    /* Action bits without STATE or RESULT: a PoC client all the same. */
    g_autoptr(VcPowerClient) poc = vc_power_linked_client(t, ACTION_CAPS);
    SppMessage msg = {0};
    int st = vc_power_next(poc, &msg, QUIET_MS);
    uint16_t type = msg.type;
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, st == SPP_ERR_TIMEOUT,
               VC_REQ(PC, "4.3", "a client announcing neither STATE nor RESULT is a PoC client"),
               "a client with only action bits received message type %u", type);
}

VC_CASE_FN(power, unknown_cap_bits_are_ignored)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    /* Every bit from 6 up in the first word, and a second word full of them. */
    uint32_t caps[2] = {VC_STATE_AND_RESULT | ~UINT32_C(0x3f), UINT32_MAX};
    SppLinkParams params;
    spp_link_params_init(&params, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID);
    params.connection_id = c->session->id;
    params.channel_caps = caps;
    params.num_channel_caps = G_N_ELEMENTS(caps);
    vc_power_client_link(c, t, &params);
    const VcCitation *required = VC_REQ(PC, "4.5", "a receiver ignores channel capability bits it does not know");
    VC_REQUIRE(ctx, c->power->link_status == SPP_OK, required, "a link with unknown bits set was refused: %s",
               vc_power_error(c));
    int state = vc_power_expect_state(c, 5000, required);
    VC_REQUIRE(ctx, t->vm == NULL || state == SPP_POWER_STATE_ON, required, "initial STATE %s",
               spp_power_state_name(state));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_RESET, required);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, required, "RESET: %s", spp_power_result_name(code));
}

/* Sends the action as its 6 bytes on the wire (§11.6) and returns the code of its RESULT. */
static uint32_t act_raw(VcPowerClient *c, uint16_t action)
{
    guint8 bytes[SPP_MINI_DATA_HEADER_SIZE] = {0};
    spp_put_le16(bytes, action);
    vc_power_send_raw(c, bytes, sizeof bytes);
    g_autoptr(GError) err = NULL;
    uint32_t code = 0;
    VC_REQUIRE(c->ctx, spp_power_channel_expect_result(c->power, action, 5000, &code, &err),
               VC_REQ(PC, "5.1", "an action is a message of its type with an empty body"), "%u with an empty body: %s",
               action, err ? err->message : "");
    return code;
}

VC_CASE_FN(power, actions_are_empty_messages_101_to_103)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    const VcCitation *required = VC_REQ(PC, "5.1", "RESET is 101, POWEROFF 102, POWERON 103, each with no body");
    uint32_t code = act_raw(c, SPP_MSGC_POWER_RESET);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, required, "65 00 00 00 00 00 (RESET): %s",
               spp_power_result_name(code));
    if (t->vm)
        vc_vm_wait_line(t->vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "7.1", "RESET restarts the guest"));
    code = act_raw(c, SPP_MSGC_POWER_POWEROFF);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, required, "66 00 00 00 00 00 (POWEROFF): %s",
               spp_power_result_name(code));
    vc_power_expect_state(c, 5000, VC_REQ(PC, "6.6", "STATE after POWEROFF"));
    code = act_raw(c, SPP_MSGC_POWER_POWERON);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, required, "67 00 00 00 00 00 (POWERON): %s",
               spp_power_result_name(code));
}
