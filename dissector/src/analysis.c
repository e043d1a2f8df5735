/* analysis.c
 * Request/response tracking of the SPICE power dissector: each RESET, POWEROFF or POWERON
 * is linked to the RESULT that answers it (or, without the RESULT cap, to the NOTIFY error
 * that stands in for it).
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

static expert_field ei_spp_no_request = EI_INIT;

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
spp_analysis_register(expert_module_t *expert)
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
        { &ei_spp_no_request,
          { "spicepower.expert.no_request", PI_SEQUENCE, PI_WARN,
            "RESULT without an open request of that type", EXPFILL } },
    };

    proto_register_field_array(proto_spicepower, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
}
