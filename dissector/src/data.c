/* data.c
 * The data phase: the mini or full data header as negotiated, the base messages every
 * SPICE channel carries, and the power channel's own messages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "spicepower.h"
#include "ws-compat.h"

static int hf_msg_serial = -1;
static int hf_msg_type = -1;
static int hf_client_type = -1;
static int hf_server_type = -1;
static int hf_msg_size = -1;
static int hf_msg_sub_list = -1;
static int hf_msg_body = -1;
static int hf_msg_trailing = -1;
static int hf_set_ack_generation = -1;
static int hf_set_ack_window = -1;
static int hf_ack_sync_generation = -1;
static int hf_ping_id = -1;
static int hf_ping_timestamp = -1;
static int hf_ping_data = -1;
static int hf_pong_id = -1;
static int hf_pong_timestamp = -1;
static int hf_migrate_flags = -1;
static int hf_wait_count = -1;
static int hf_wait_channel_type = -1;
static int hf_wait_channel_id = -1;
static int hf_wait_serial = -1;
static int hf_disconnecting_time_stamp = -1;
static int hf_disconnecting_reason = -1;
static int hf_notify_time_stamp = -1;
static int hf_notify_severity = -1;
static int hf_notify_visibility = -1;
static int hf_notify_what = -1;
static int hf_notify_message_len = -1;
static int hf_notify_message = -1;
static int hf_notify_terminator = -1;
static int hf_state = -1;
static int hf_result_request = -1;
static int hf_result_code = -1;

static gint ett_data_header = -1;
static gint ett_wait = -1;

static expert_field ei_spp_unannounced = EI_INIT;
static expert_field ei_spp_unknown_type = EI_INIT;
static expert_field ei_spp_state_without_cap = EI_INIT;
static expert_field ei_spp_result_without_cap = EI_INIT;
static expert_field ei_spp_trailing = EI_INIT;
static expert_field ei_spp_short_body = EI_INIT;
static expert_field ei_spp_request_failed = EI_INIT;
static expert_field ei_spp_not_nul_terminated = EI_INIT;

const value_string spp_server_msg_vals[] = {
    { SPP_MSG_MIGRATE,           "MIGRATE" },
    { SPP_MSG_MIGRATE_DATA,      "MIGRATE_DATA" },
    { SPP_MSG_SET_ACK,           "SET_ACK" },
    { SPP_MSG_PING,              "PING" },
    { SPP_MSG_WAIT_FOR_CHANNELS, "WAIT_FOR_CHANNELS" },
    { SPP_MSG_DISCONNECTING,     "DISCONNECTING" },
    { SPP_MSG_NOTIFY,            "NOTIFY" },
    { SPP_MSG_LIST,              "LIST" },
    { SPP_MSG_POWER_STATE,       "STATE" },
    { SPP_MSG_POWER_RESULT,      "RESULT" },
    { 0, NULL }
};

const value_string spp_client_msg_vals[] = {
    { SPP_MSGC_ACK_SYNC,           "ACK_SYNC" },
    { SPP_MSGC_ACK,                "ACK" },
    { SPP_MSGC_PONG,               "PONG" },
    { SPP_MSGC_MIGRATE_FLUSH_MARK, "MIGRATE_FLUSH_MARK" },
    { SPP_MSGC_MIGRATE_DATA,       "MIGRATE_DATA" },
    { SPP_MSGC_DISCONNECTING,      "DISCONNECTING" },
    { SPP_MSGC_POWER_RESET,        "RESET" },
    { SPP_MSGC_POWER_POWEROFF,     "POWEROFF" },
    { SPP_MSGC_POWER_POWERON,      "POWERON" },
    { 0, NULL }
};

const value_string spp_power_state_vals[] = {
    { SPP_POWER_STATE_UNKNOWN, "UNKNOWN" },
    { SPP_POWER_STATE_ON,      "ON" },
    { SPP_POWER_STATE_OFF,     "OFF" },
    { SPP_POWER_STATE_PAUSED,  "PAUSED" },
    { 0, NULL }
};

const value_string spp_power_result_vals[] = {
    { SPP_POWER_RESULT_OK,            "OK" },
    { SPP_POWER_RESULT_UNSUPPORTED,   "UNSUPPORTED" },
    { SPP_POWER_RESULT_FAILED,        "FAILED" },
    { SPP_POWER_RESULT_DENIED,        "DENIED" },
    { SPP_POWER_RESULT_INVALID_STATE, "INVALID_STATE" },
    { 0, NULL }
};

static const value_string spp_power_request_vals[] = {
    { SPP_MSGC_POWER_RESET,    "RESET" },
    { SPP_MSGC_POWER_POWEROFF, "POWEROFF" },
    { SPP_MSGC_POWER_POWERON,  "POWERON" },
    { 0, NULL }
};

static const value_string spp_notify_severity_vals[] = {
    { SPP_NOTIFY_SEVERITY_INFO,  "INFO" },
    { SPP_NOTIFY_SEVERITY_WARN,  "WARN" },
    { SPP_NOTIFY_SEVERITY_ERROR, "ERROR" },
    { 0, NULL }
};

static const value_string spp_notify_visibility_vals[] = {
    { SPP_NOTIFY_VISIBILITY_LOW,    "LOW" },
    { SPP_NOTIFY_VISIBILITY_MEDIUM, "MEDIUM" },
    { SPP_NOTIFY_VISIBILITY_HIGH,   "HIGH" },
    { 0, NULL }
};

/* Wait-for-channels entry: channel type, channel id, serial. */
#define SPP_WAIT_ENTRY_LEN 10

/* Mini or full data header: mini when both sides announced MINI_HEADER, unless the fuzz entry
 * or a connection captured mid-stream forced one (conv.c sets the flags). Decided here, by the
 * data phase that is its only user, so that conv.c and data.c do not call each other: conv.c
 * hands PDUs to data.c, and data.c needs no function of conv.c. */
static gboolean
spp_mini_header(const spp_state_t *st)
{
    if (st->full_header_forced)
        return FALSE;
    if (st->mini_header_forced)
        return TRUE;
    return (st->common_caps[SPP_FROM_CLIENT] & SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER)) &&
           (st->common_caps[SPP_FROM_SERVER] & SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER));
}

static gboolean
spp_is_power(const spp_ctx_t *ctx)
{
    return ctx->st->channel_type == SPP_CHANNEL_POWER;
}

guint
spp_data_pdu_len(tvbuff_t *tvb, int offset, spp_ctx_t *ctx)
{
    gboolean mini = spp_mini_header(ctx->st);
    guint hdr = mini ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
    guint32 size;

    if ((guint)tvb_captured_length_remaining(tvb, offset) < hdr)
        return 0;
    size = tvb_get_letohl(tvb, offset + (mini ? 2 : 10));
    /* Sizes beyond any sane message: do not wait for them, flag what is there. */
    if (size > SPP_DISSECTOR_MAX_MSG_SIZE)
        return (guint)tvb_reported_length_remaining(tvb, offset);
    return hdr + size;
}

/* FALSE (with an expert note) if the body is shorter than the fixed part of its message. */
static gboolean
spp_need(tvbuff_t *body, packet_info *pinfo, proto_tree *tree, guint fixed, const char *name)
{
    proto_item *ti;

    if (tvb_reported_length(body) >= fixed)
        return TRUE;
    ti = proto_tree_add_item(tree, hf_msg_body, body, 0, -1, ENC_NA);
    expert_add_info_format(pinfo, ti, &ei_spp_short_body, "%s needs %u bytes, has %u",
                           name, fixed, tvb_reported_length(body));
    return FALSE;
}

/* ---- base messages -------------------------------------------------------------------- */

static int
spp_disconnecting(tvbuff_t *body, packet_info *pinfo, proto_tree *tree)
{
    guint32 reason;

    if (!spp_need(body, pinfo, tree, 12, "DISCONNECTING"))
        return tvb_reported_length(body);
    proto_tree_add_item(tree, hf_disconnecting_time_stamp, body, 0, 8, ENC_LITTLE_ENDIAN);
    proto_tree_add_item_ret_uint(tree, hf_disconnecting_reason, body, 8, 4, ENC_LITTLE_ENDIAN, &reason);
    col_append_fstr(pinfo->cinfo, COL_INFO, " %s", spp_val_to_str(pinfo->pool, reason, spp_link_error_vals, "%u"));
    return 12;
}

static int
spp_notify(tvbuff_t *body, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, spp_tap_info_t *tap)
{
    proto_item *what_item, *len_item, *ti;
    guint32 severity, visibility, what, len, present;
    char *text = NULL;

    if (!spp_need(body, pinfo, tree, SPP_MSG_NOTIFY_SIZE, "NOTIFY"))
        return tvb_reported_length(body);
    proto_tree_add_item(tree, hf_notify_time_stamp, body, 0, 8, ENC_LITTLE_ENDIAN);
    proto_tree_add_item_ret_uint(tree, hf_notify_severity, body, 8, 4, ENC_LITTLE_ENDIAN, &severity);
    proto_tree_add_item_ret_uint(tree, hf_notify_visibility, body, 12, 4, ENC_LITTLE_ENDIAN, &visibility);
    what_item = proto_tree_add_item_ret_uint(tree, hf_notify_what, body, 16, 4, ENC_LITTLE_ENDIAN, &what);
    len_item = proto_tree_add_item_ret_uint(tree, hf_notify_message_len, body, 20, 4, ENC_LITTLE_ENDIAN, &len);
    present = tvb_reported_length(body) - SPP_MSG_NOTIFY_SIZE;
    if (len > present) {
        expert_add_info_format(pinfo, len_item, &ei_spp_short_body,
                               "Message length %u beyond the %u bytes present", len, present);
        len = present;
    }
    proto_tree_add_item_ret_display_string(tree, hf_notify_message, body, SPP_MSG_NOTIFY_SIZE, len,
                                           ENC_UTF_8, pinfo->pool, &text);
    col_append_fstr(pinfo->cinfo, COL_INFO, " %s \"%s\"",
                    spp_val_to_str(pinfo->pool, severity, spp_notify_severity_vals, "severity %u"), text ? text : "");

    if (present > len) {
        guint32 nul;
        ti = proto_tree_add_item_ret_uint(tree, hf_notify_terminator, body, SPP_MSG_NOTIFY_SIZE + len, 1,
                                          ENC_NA, &nul);
        if (nul != 0)
            expert_add_info(pinfo, ti, &ei_spp_not_nul_terminated);
        len++;
    } else {
        expert_add_info(pinfo, len_item, &ei_spp_not_nul_terminated);
    }

    /* Without the RESULT cap a failed power request is answered this way, with the result
     * code in "what". */
    if (spp_is_power(ctx) && severity == SPP_NOTIFY_SEVERITY_ERROR &&
        visibility == SPP_NOTIFY_VISIBILITY_HIGH &&
        !(ctx->st->channel_caps[SPP_FROM_CLIENT] & SPP_CAP_MASK(SPP_POWER_CAP_RESULT))) {
        proto_item_append_text(what_item, " (%s)", spp_val_to_str(pinfo->pool, what, spp_power_result_vals, "result %u"));
        expert_add_info_format(pinfo, what_item, &ei_spp_request_failed, "Power request failed: %s",
                               spp_val_to_str(pinfo->pool, what, spp_power_result_vals, "result %u"));
        tap->has_result = TRUE;
        tap->code = what;
        tap->request = spp_track_response(body, pinfo, tree, ctx, 0, TRUE);
    }
    return SPP_MSG_NOTIFY_SIZE + len;
}

static int
spp_base_server(tvbuff_t *body, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, guint32 type,
                spp_tap_info_t *tap)
{
    guint32 count, i;
    proto_tree *wt;

    switch (type) {
    case SPP_MSG_MIGRATE:
        if (!spp_need(body, pinfo, tree, 4, "MIGRATE"))
            return tvb_reported_length(body);
        proto_tree_add_item(tree, hf_migrate_flags, body, 0, 4, ENC_LITTLE_ENDIAN);
        return 4;
    case SPP_MSG_SET_ACK:
        if (!spp_need(body, pinfo, tree, SPP_MSG_SET_ACK_SIZE, "SET_ACK"))
            return tvb_reported_length(body);
        proto_tree_add_item(tree, hf_set_ack_generation, body, 0, 4, ENC_LITTLE_ENDIAN);
        proto_tree_add_item(tree, hf_set_ack_window, body, 4, 4, ENC_LITTLE_ENDIAN);
        return SPP_MSG_SET_ACK_SIZE;
    case SPP_MSG_PING:
        if (!spp_need(body, pinfo, tree, SPP_MSG_PING_SIZE, "PING"))
            return tvb_reported_length(body);
        proto_tree_add_item(tree, hf_ping_id, body, 0, 4, ENC_LITTLE_ENDIAN);
        proto_tree_add_item(tree, hf_ping_timestamp, body, 4, 8, ENC_LITTLE_ENDIAN);
        if (tvb_reported_length(body) > SPP_MSG_PING_SIZE)
            proto_tree_add_item(tree, hf_ping_data, body, SPP_MSG_PING_SIZE, -1, ENC_NA);
        return tvb_reported_length(body);
    case SPP_MSG_WAIT_FOR_CHANNELS:
        if (!spp_need(body, pinfo, tree, 1, "WAIT_FOR_CHANNELS"))
            return tvb_reported_length(body);
        proto_tree_add_item_ret_uint(tree, hf_wait_count, body, 0, 1, ENC_NA, &count);
        if (!spp_need(body, pinfo, tree, 1 + count * SPP_WAIT_ENTRY_LEN, "WAIT_FOR_CHANNELS"))
            return tvb_reported_length(body);
        for (i = 0; i < count; i++) {
            int off = 1 + i * SPP_WAIT_ENTRY_LEN;
            wt = proto_tree_add_subtree_format(tree, body, off, SPP_WAIT_ENTRY_LEN, ett_wait, NULL, "Wait #%u", i);
            proto_tree_add_item(wt, hf_wait_channel_type, body, off, 1, ENC_NA);
            proto_tree_add_item(wt, hf_wait_channel_id, body, off + 1, 1, ENC_NA);
            proto_tree_add_item(wt, hf_wait_serial, body, off + 2, 8, ENC_LITTLE_ENDIAN);
        }
        return 1 + count * SPP_WAIT_ENTRY_LEN;
    case SPP_MSG_DISCONNECTING:
        return spp_disconnecting(body, pinfo, tree);
    case SPP_MSG_NOTIFY:
        return spp_notify(body, pinfo, tree, ctx, tap);
    default:    /* MIGRATE_DATA, LIST: opaque */
        if (tvb_reported_length(body) > 0)
            proto_tree_add_item(tree, hf_msg_body, body, 0, -1, ENC_NA);
        return tvb_reported_length(body);
    }
}

static int
spp_base_client(tvbuff_t *body, packet_info *pinfo, proto_tree *tree, guint32 type)
{
    switch (type) {
    case SPP_MSGC_ACK_SYNC:
        if (!spp_need(body, pinfo, tree, 4, "ACK_SYNC"))
            return tvb_reported_length(body);
        proto_tree_add_item(tree, hf_ack_sync_generation, body, 0, 4, ENC_LITTLE_ENDIAN);
        return 4;
    case SPP_MSGC_PONG:
        if (!spp_need(body, pinfo, tree, 12, "PONG"))
            return tvb_reported_length(body);
        proto_tree_add_item(tree, hf_pong_id, body, 0, 4, ENC_LITTLE_ENDIAN);
        proto_tree_add_item(tree, hf_pong_timestamp, body, 4, 8, ENC_LITTLE_ENDIAN);
        return 12;
    case SPP_MSGC_DISCONNECTING:
        return spp_disconnecting(body, pinfo, tree);
    case SPP_MSGC_ACK:
    case SPP_MSGC_MIGRATE_FLUSH_MARK:
        return 0;
    default:    /* MIGRATE_DATA: opaque */
        if (tvb_reported_length(body) > 0)
            proto_tree_add_item(tree, hf_msg_body, body, 0, -1, ENC_NA);
        return tvb_reported_length(body);
    }
}

/* ---- power messages ------------------------------------------------------------------- */

static int
spp_power_client(tvbuff_t *body, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, guint32 type,
                 proto_item *type_item)
{
    guint cap;

    /* The server cap that offers the action (§4.1). Only the three actions get here. */
    switch (type) {
    case SPP_MSGC_POWER_RESET:
        cap = SPP_POWER_CAP_RESET;
        break;
    case SPP_MSGC_POWER_POWEROFF:
        cap = SPP_POWER_CAP_POWEROFF;
        break;
    default:
        cap = SPP_POWER_CAP_POWERON;
        break;
    }
    if (ctx->st->link_seen[SPP_FROM_SERVER] && !(ctx->st->channel_caps[SPP_FROM_SERVER] & SPP_CAP_MASK(cap)))
        expert_add_info_format(pinfo, type_item, &ei_spp_unannounced,
                               "%s requested, but the server did not announce it",
                               val_to_str_const(type, spp_client_msg_vals, "?"));
    spp_track_request(body, pinfo, tree, ctx, (guint16)type);
    return 0;   /* empty body; anything else is trailing */
}

static int
spp_power_server(tvbuff_t *body, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, guint32 type,
                 proto_item *type_item, spp_tap_info_t *tap)
{
    guint32 client_caps = ctx->st->channel_caps[SPP_FROM_CLIENT];
    gboolean client_known = ctx->st->link_seen[SPP_FROM_CLIENT];
    proto_item *ti;
    guint32 value, request;

    if (type == SPP_MSG_POWER_STATE) {
        if (client_known && !(client_caps & SPP_CAP_MASK(SPP_POWER_CAP_STATE)))
            expert_add_info(pinfo, type_item, &ei_spp_state_without_cap);
        if (!spp_need(body, pinfo, tree, SPP_MSG_POWER_STATE_SIZE, "STATE"))
            return tvb_reported_length(body);
        ti = proto_tree_add_item_ret_uint(tree, hf_state, body, 0, 1, ENC_NA, &value);
        if (!try_val_to_str(value, spp_power_state_vals))
            expert_add_info_format(pinfo, ti, &ei_spp_bad_value, "Undefined power state %u", value);
        col_append_fstr(pinfo->cinfo, COL_INFO, " %s", spp_val_to_str(pinfo->pool, value, spp_power_state_vals, "%u"));
        tap->has_state = TRUE;
        tap->state = (guint8)value;
        return SPP_MSG_POWER_STATE_SIZE;
    }

    /* RESULT */
    if (client_known && !(client_caps & SPP_CAP_MASK(SPP_POWER_CAP_RESULT)))
        expert_add_info(pinfo, type_item, &ei_spp_result_without_cap);
    /* Captured after the link: a server sends RESULT only to a client that announced the cap,
     * so from here on a NOTIFY error is a notification, not an answer (spp_notify). */
    if (ctx->st->midstream)
        ctx->st->channel_caps[SPP_FROM_CLIENT] |= SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    if (!spp_need(body, pinfo, tree, SPP_MSG_POWER_RESULT_SIZE, "RESULT"))
        return tvb_reported_length(body);
    ti = proto_tree_add_item_ret_uint(tree, hf_result_request, body, 0, 2, ENC_LITTLE_ENDIAN, &request);
    if (!try_val_to_str(request, spp_power_request_vals))
        expert_add_info_format(pinfo, ti, &ei_spp_bad_value, "Result for %u, which is no power request", request);
    ti = proto_tree_add_item_ret_uint(tree, hf_result_code, body, 2, 4, ENC_LITTLE_ENDIAN, &value);
    if (value != SPP_POWER_RESULT_OK)
        expert_add_info_format(pinfo, ti, &ei_spp_request_failed, "%s failed: %s",
                               spp_val_to_str(pinfo->pool, request, spp_power_request_vals, "request %u"),
                               spp_val_to_str(pinfo->pool, value, spp_power_result_vals, "result %u"));
    col_append_fstr(pinfo->cinfo, COL_INFO, " %s", spp_val_to_str(pinfo->pool, value, spp_power_result_vals, "%u"));
    tap->has_result = TRUE;
    tap->request = (guint16)request;
    tap->code = value;
    spp_track_response(body, pinfo, tree, ctx, (guint16)request, FALSE);
    return SPP_MSG_POWER_RESULT_SIZE;
}

/* ---- one data message ----------------------------------------------------------------- */

int
spp_data_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx)
{
    gboolean mini = spp_mini_header(ctx->st);
    int hdr = mini ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
    int off = mini ? 0 : 8;
    proto_tree *ht;
    proto_item *type_item, *size_item, *ti;
    guint32 type, size, present;
    const char *name;
    tvbuff_t *body;
    int used;
    gboolean truncated;
    spp_tap_info_t tap = { 0 };

    /* A header cut short is malformed before any of it is shown, the same on every release: 4.0's
     * subtree checks its length against the data, 4.4's and later do not. */
    tvb_ensure_bytes_exist(tvb, 0, hdr);
    ht = proto_tree_add_subtree(tree, tvb, 0, hdr, ett_data_header, NULL, mini ? "Mini header" : "Header");
    if (!mini)
        proto_tree_add_item(ht, hf_msg_serial, tvb, 0, 8, ENC_LITTLE_ENDIAN);
    /* Type names depend on the direction, so each direction has a field of its own, with names
     * that work in filters and columns; spicepower.msg.type, hidden, matches either direction. */
    ti = proto_tree_add_item(ht, hf_msg_type, tvb, off, 2, ENC_LITTLE_ENDIAN);
    proto_item_set_hidden(ti);
    type_item = proto_tree_add_item_ret_uint(ht, ctx->dir == SPP_FROM_CLIENT ? hf_client_type : hf_server_type,
                                             tvb, off, 2, ENC_LITTLE_ENDIAN, &type);
    size_item = proto_tree_add_item_ret_uint(ht, hf_msg_size, tvb, off + 2, 4, ENC_LITTLE_ENDIAN, &size);
    if (!mini)
        proto_tree_add_item(ht, hf_msg_sub_list, tvb, 14, 4, ENC_LITTLE_ENDIAN);

    /* Types from 101 up belong to the channel; only the power channel's are known here. */
    name = try_val_to_str(type, ctx->dir == SPP_FROM_CLIENT ? spp_client_msg_vals : spp_server_msg_vals);
    if (type > 100 && !spp_is_power(ctx))
        name = NULL;
    proto_item_append_text(type_item, " (%s)", name ? name : "Unknown");
    if (name)
        col_append_sep_str(pinfo->cinfo, COL_INFO, ", ", name);
    else
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, ", ", "Unknown (%u)", type);

    present = (guint32)tvb_captured_length_remaining(tvb, hdr);
    truncated = size > present;
    if (truncated) {
        expert_add_info_format(pinfo, size_item, &ei_spp_size_beyond_data,
                               "Size %u beyond the %u bytes present", size, present);
        if (size > SPP_DISSECTOR_MAX_MSG_SIZE)    /* no message boundary can be trusted after this */
            ctx->st->phase[ctx->dir] = SPP_PHASE_OPAQUE;
        size = present;
    }
    body = tvb_new_subset_length(tvb, hdr, size);

    tap.dir = ctx->dir;
    tap.is_data = TRUE;
    tap.type = (guint16)type;

    if (!name) {
        if (spp_is_power(ctx))
            expert_add_info_format(pinfo, type_item, &ei_spp_unknown_type, "Unknown %s message type %u",
                                   ctx->dir == SPP_FROM_CLIENT ? "client" : "server", type);
        if (size > 0)
            proto_tree_add_item(tree, hf_msg_body, body, 0, -1, ENC_NA);
        used = size;
    } else if (ctx->dir == SPP_FROM_CLIENT) {
        used = type > 100 ? spp_power_client(body, pinfo, tree, ctx, type, type_item)
                          : spp_base_client(body, pinfo, tree, type);
    } else {
        used = type > 100 ? spp_power_server(body, pinfo, tree, ctx, type, type_item, &tap)
                          : spp_base_server(body, pinfo, tree, ctx, type, &tap);
    }

    if (!truncated && (guint32)used < size) {
        ti = proto_tree_add_item(tree, hf_msg_trailing, body, used, size - used, ENC_NA);
        expert_add_info_format(pinfo, ti, &ei_spp_trailing, "%u trailing bytes after %s",
                               size - used, name ? name : "message");
    }
    spp_tap_queue(pinfo, &tap);
    return hdr + size;
}

void
spp_data_register(expert_module_t *expert)
{
    static hf_register_info hf[] = {
        { &hf_msg_serial,
          { "Serial", "spicepower.msg.serial", FT_UINT64, BASE_DEC, NULL, 0x0,
            "Message serial (full header only)", HFILL } },
        { &hf_msg_type,
          { "Type", "spicepower.msg.type", FT_UINT16, BASE_DEC, NULL, 0x0,
            "Message type in either direction (hidden; the named fields are spicepower.client.type "
            "and spicepower.server.type)", HFILL } },
        { &hf_client_type,
          { "Type", "spicepower.client.type", FT_UINT16, BASE_DEC, VALS(spp_client_msg_vals), 0x0,
            "Type of a message from the client", HFILL } },
        { &hf_server_type,
          { "Type", "spicepower.server.type", FT_UINT16, BASE_DEC, VALS(spp_server_msg_vals), 0x0,
            "Type of a message from the server", HFILL } },
        { &hf_msg_size,
          { "Size", "spicepower.msg.size", FT_UINT32, BASE_DEC, NULL, 0x0, "Body size", HFILL } },
        { &hf_msg_sub_list,
          { "Sub-list offset", "spicepower.msg.sub_list", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Full header only", HFILL } },
        { &hf_msg_body,
          { "Body", "spicepower.msg.body", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Body that is not decoded further", HFILL } },
        { &hf_msg_trailing,
          { "Trailing bytes", "spicepower.msg.trailing", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Bytes after the fields of the message", HFILL } },
        { &hf_set_ack_generation,
          { "Generation", "spicepower.set_ack.generation", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_set_ack_window,
          { "Window", "spicepower.set_ack.window", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_ack_sync_generation,
          { "Generation", "spicepower.ack_sync.generation", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_ping_id,
          { "Id", "spicepower.ping.id", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_ping_timestamp,
          { "Timestamp", "spicepower.ping.timestamp", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_ping_data,
          { "Data", "spicepower.ping.data", FT_BYTES, BASE_NONE, NULL, 0x0, "Optional ping payload", HFILL } },
        { &hf_pong_id,
          { "Id", "spicepower.pong.id", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_pong_timestamp,
          { "Timestamp", "spicepower.pong.timestamp", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_migrate_flags,
          { "Flags", "spicepower.migrate.flags", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        { &hf_wait_count,
          { "Count", "spicepower.wait.count", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_wait_channel_type,
          { "Channel type", "spicepower.wait.channel_type", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_wait_channel_id,
          { "Channel id", "spicepower.wait.channel_id", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_wait_serial,
          { "Message serial", "spicepower.wait.serial", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_disconnecting_time_stamp,
          { "Time stamp", "spicepower.disconnecting.time_stamp", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_disconnecting_reason,
          { "Reason", "spicepower.disconnecting.reason", FT_UINT32, BASE_DEC, VALS(spp_link_error_vals), 0x0,
            NULL, HFILL } },
        { &hf_notify_time_stamp,
          { "Time stamp", "spicepower.notify.time_stamp", FT_UINT64, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_notify_severity,
          { "Severity", "spicepower.notify.severity", FT_UINT32, BASE_DEC, VALS(spp_notify_severity_vals), 0x0,
            NULL, HFILL } },
        { &hf_notify_visibility,
          { "Visibility", "spicepower.notify.visibility", FT_UINT32, BASE_DEC, VALS(spp_notify_visibility_vals),
            0x0, NULL, HFILL } },
        { &hf_notify_what,
          { "What", "spicepower.notify.what", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Power result code when it answers a request", HFILL } },
        { &hf_notify_message_len,
          { "Message length", "spicepower.notify.message_len", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_notify_message,
          { "Message", "spicepower.notify.message", FT_STRING, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_notify_terminator,
          { "Terminator", "spicepower.notify.terminator", FT_UINT8, BASE_HEX, NULL, 0x0,
            "NUL after the message text", HFILL } },
        { &hf_state,
          { "Power state", "spicepower.state", FT_UINT8, BASE_DEC, VALS(spp_power_state_vals), 0x0, NULL, HFILL } },
        { &hf_result_request,
          { "Request", "spicepower.result.request", FT_UINT16, BASE_DEC, VALS(spp_power_request_vals), 0x0,
            "Client message type this result answers", HFILL } },
        { &hf_result_code,
          { "Result", "spicepower.result.code", FT_UINT32, BASE_DEC, VALS(spp_power_result_vals), 0x0,
            NULL, HFILL } },
    };
    static gint *ett[] = { &ett_data_header, &ett_wait };
    static ei_register_info ei[] = {
        { &ei_spp_unannounced,
          { "spicepower.expert.unannounced", PI_PROTOCOL, PI_WARN,
            "Power action the server did not announce", EXPFILL } },
        { &ei_spp_unknown_type,
          { "spicepower.expert.unknown_type", PI_PROTOCOL, PI_WARN,
            "Unknown message type", EXPFILL } },
        { &ei_spp_state_without_cap,
          { "spicepower.expert.state_without_cap", PI_PROTOCOL, PI_WARN,
            "STATE sent, but the client did not announce the STATE cap", EXPFILL } },
        { &ei_spp_result_without_cap,
          { "spicepower.expert.result_without_cap", PI_PROTOCOL, PI_WARN,
            "RESULT sent, but the client did not announce the RESULT cap", EXPFILL } },
        { &ei_spp_trailing,
          { "spicepower.expert.trailing", PI_PROTOCOL, PI_NOTE,
            "Trailing bytes after the message fields", EXPFILL } },
        { &ei_spp_short_body,
          { "spicepower.expert.short_body", PI_MALFORMED, PI_ERROR,
            "Message body shorter than its fields", EXPFILL } },
        { &ei_spp_request_failed,
          { "spicepower.expert.request_failed", PI_RESPONSE_CODE, PI_NOTE,
            "Power request failed", EXPFILL } },
        { &ei_spp_not_nul_terminated,
          { "spicepower.expert.not_nul_terminated", PI_PROTOCOL, PI_NOTE,
            "NOTIFY text is not followed by a NUL", EXPFILL } },
    };

    proto_register_field_array(proto_spicepower, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));
}
