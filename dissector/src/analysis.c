/* analysis.c
 * Expert info of the SPICE power dissector, and request/response tracking: each RESET,
 * POWEROFF or POWERON is linked to the RESULT that answers it (or, without the RESULT cap,
 * to the NOTIFY error that stands in for it).
 *
 * Matching happens on the first pass, in capture order. A RESULT answers the oldest open
 * request of the type it names. A NOTIFY error names no type; it answers the newest open
 * request, and the older open ones are taken to have succeeded silently (without the RESULT
 * cap success is not reported).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "spicepower.h"

#include <epan/proto_data.h>

#define SPP_KEY_PDU_BASE 0x100  /* p_add_proto_data key of PDU n of a frame: base + n */

static int hf_response_in = -1;
static int hf_request_in = -1;
static int hf_response_time = -1;
static int hf_request_type = -1;

expert_field ei_spp_unannounced = EI_INIT;
expert_field ei_spp_reserved_cap = EI_INIT;
expert_field ei_spp_cap_count = EI_INIT;
expert_field ei_spp_size_beyond_data = EI_INIT;
expert_field ei_spp_unknown_type = EI_INIT;
expert_field ei_spp_state_without_cap = EI_INIT;
expert_field ei_spp_result_without_cap = EI_INIT;
expert_field ei_spp_trailing = EI_INIT;
expert_field ei_spp_short_body = EI_INIT;
expert_field ei_spp_link_error = EI_INIT;
expert_field ei_spp_request_failed = EI_INIT;
expert_field ei_spp_bad_magic = EI_INIT;
expert_field ei_spp_version = EI_INIT;
expert_field ei_spp_link_size = EI_INIT;
expert_field ei_spp_channel_id = EI_INIT;
expert_field ei_spp_undecoded = EI_INIT;
expert_field ei_spp_no_request = EI_INIT;
expert_field ei_spp_not_nul_terminated = EI_INIT;
expert_field ei_spp_bad_caps_offset = EI_INIT;
expert_field ei_spp_bad_value = EI_INIT;
expert_field ei_spp_midstream = EI_INIT;

static spp_transaction_t *
spp_pdu_transaction(packet_info *pinfo, const spp_ctx_t *ctx)
{
    return (spp_transaction_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_spicepower,
                                                 SPP_KEY_PDU_BASE + ctx->pdu_index);
}

void
spp_track_request(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, guint16 type)
{
    spp_transaction_t *t;
    proto_item *ti;

    if (!ctx->pending)
        return;
    t = spp_pdu_transaction(pinfo, ctx);
    if (!t && !PINFO_FD_VISITED(pinfo)) {
        t = wmem_new0(wmem_file_scope(), spp_transaction_t);
        t->req_frame = pinfo->num;
        t->req_time = pinfo->abs_ts;
        t->req_type = type;
        wmem_list_append(ctx->pending, t);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_spicepower, SPP_KEY_PDU_BASE + ctx->pdu_index, t);
    }
    if (t && t->rsp_frame) {
        ti = proto_tree_add_uint(tree, hf_response_in, tvb, 0, 0, t->rsp_frame);
        proto_item_set_generated(ti);
    }
}

guint16
spp_track_response(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx,
                   guint16 request, gboolean from_notify)
{
    spp_transaction_t *t;
    proto_item *ti;
    nstime_t delta;

    if (!ctx->pending)
        return request;
    t = spp_pdu_transaction(pinfo, ctx);
    if (!t && !PINFO_FD_VISITED(pinfo)) {
        wmem_list_frame_t *f, *match = NULL;

        if (from_notify) {
            match = wmem_list_tail(ctx->pending);
        } else {
            for (f = wmem_list_head(ctx->pending); f && !match; f = wmem_list_frame_next(f))
                if (((spp_transaction_t *)wmem_list_frame_data(f))->req_type == request)
                    match = f;
        }
        if (match) {
            t = (spp_transaction_t *)wmem_list_frame_data(match);
            t->rsp_frame = pinfo->num;
            if (from_notify) {
                while (wmem_list_head(ctx->pending) != match)
                    wmem_list_remove_frame(ctx->pending, wmem_list_head(ctx->pending));
            }
            wmem_list_remove_frame(ctx->pending, match);
            p_add_proto_data(wmem_file_scope(), pinfo, proto_spicepower, SPP_KEY_PDU_BASE + ctx->pdu_index, t);
        }
    }
    if (!t) {
        if (!from_notify)
            expert_add_info(pinfo, proto_tree_get_parent(tree), &ei_spp_no_request);
        return request;
    }
    if (from_notify) {
        ti = proto_tree_add_uint(tree, hf_request_type, tvb, 0, 0, t->req_type);
        proto_item_set_generated(ti);
    }
    ti = proto_tree_add_uint(tree, hf_request_in, tvb, 0, 0, t->req_frame);
    proto_item_set_generated(ti);
    nstime_delta(&delta, &pinfo->abs_ts, &t->req_time);
    ti = proto_tree_add_time(tree, hf_response_time, tvb, 0, 0, &delta);
    proto_item_set_generated(ti);
    return t->req_type;
}

void
spp_analysis_register(void)
{
    static hf_register_info hf[] = {
        { &hf_response_in,
          { "Response in", "spicepower.response_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "The answer to this power request is in this frame", HFILL } },
        { &hf_request_in,
          { "Request in", "spicepower.request_in", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "This answers the power request in this frame", HFILL } },
        { &hf_response_time,
          { "Response time", "spicepower.response_time", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time between the request and its answer", HFILL } },
        { &hf_request_type,
          { "Answered request", "spicepower.notify.request", FT_UINT16, BASE_DEC, VALS(spp_client_msg_vals), 0x0,
            "Power request this NOTIFY error answers", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_spp_unannounced,
          { "spicepower.expert.unannounced", PI_PROTOCOL, PI_WARN,
            "Power action the server did not announce", EXPFILL } },
        { &ei_spp_reserved_cap,
          { "spicepower.expert.reserved_cap", PI_PROTOCOL, PI_WARN,
            "Reserved power cap bit 0 is set", EXPFILL } },
        { &ei_spp_cap_count,
          { "spicepower.expert.cap_count", PI_MALFORMED, PI_ERROR,
            "Absurd cap counts", EXPFILL } },
        { &ei_spp_size_beyond_data,
          { "spicepower.expert.size_beyond_data", PI_MALFORMED, PI_ERROR,
            "Message size beyond the data present", EXPFILL } },
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
        { &ei_spp_link_error,
          { "spicepower.expert.link_error", PI_RESPONSE_CODE, PI_WARN,
            "Link refused", EXPFILL } },
        { &ei_spp_request_failed,
          { "spicepower.expert.request_failed", PI_RESPONSE_CODE, PI_NOTE,
            "Power request failed", EXPFILL } },
        { &ei_spp_bad_magic,
          { "spicepower.expert.bad_magic", PI_MALFORMED, PI_ERROR,
            "Link header magic is not \"" SPP_LINK_MAGIC "\"", EXPFILL } },
        { &ei_spp_version,
          { "spicepower.expert.version", PI_PROTOCOL, PI_WARN,
            "Unsupported protocol version", EXPFILL } },
        { &ei_spp_link_size,
          { "spicepower.expert.link_size", PI_MALFORMED, PI_ERROR,
            "Link message size out of range", EXPFILL } },
        { &ei_spp_channel_id,
          { "spicepower.expert.channel_id", PI_PROTOCOL, PI_WARN,
            "Power channel id other than 0", EXPFILL } },
        { &ei_spp_undecoded,
          { "spicepower.expert.undecoded", PI_UNDECODED, PI_NOTE,
            "Data not decoded (SASL, or after a refused link or a lost message boundary)", EXPFILL } },
        { &ei_spp_no_request,
          { "spicepower.expert.no_request", PI_SEQUENCE, PI_WARN,
            "RESULT without an open request of that type", EXPFILL } },
        { &ei_spp_not_nul_terminated,
          { "spicepower.expert.not_nul_terminated", PI_PROTOCOL, PI_NOTE,
            "NOTIFY text is not followed by a NUL", EXPFILL } },
        { &ei_spp_bad_caps_offset,
          { "spicepower.expert.caps_offset", PI_MALFORMED, PI_ERROR,
            "Caps offset outside the link message", EXPFILL } },
        { &ei_spp_bad_value,
          { "spicepower.expert.bad_value", PI_PROTOCOL, PI_WARN,
            "Value not defined by the protocol", EXPFILL } },
        { &ei_spp_midstream,
          { "spicepower.expert.midstream", PI_ASSUMPTION, PI_NOTE,
            "Capture starts after the link phase; header kind and server side assumed, caps unknown", EXPFILL } },
    };
    expert_module_t *expert;

    proto_register_field_array(proto_spicepower, hf, array_length(hf));
    expert = expert_register_protocol(proto_spicepower);
    expert_register_field_array(expert, ei, array_length(ei));
}
