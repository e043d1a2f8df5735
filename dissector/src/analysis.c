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

#define SPP_KEY_FRAME_TRANSACTIONS 0x100  /* p_add_proto_data key (file scope): the frame's transactions */

static int hf_response_in = -1;
static int hf_request_in = -1;
static int hf_response_time = -1;
static int hf_request_type = -1;

static expert_field ei_spp_no_request = EI_INIT;
static expert_field ei_spp_too_many_open = EI_INIT;

/* What a request past SPP_MAX_OPEN_REQUESTS maps to, so that every pass flags it alike. */
static spp_transaction_t spp_untracked;

spp_pending_t *
spp_pending_new(void)
{
    spp_pending_t *p = wmem_new0(wmem_file_scope(), spp_pending_t);
    for (int i = 0; i < SPP_POWER_ACTIONS; i++)
        p->by_action[i] = wmem_list_new(wmem_file_scope());
    return p;
}

static wmem_list_t *
spp_pending_queue(spp_pending_t *p, guint16 type)
{
    if (type < SPP_MSGC_POWER_RESET || type >= SPP_MSGC_POWER_RESET + SPP_POWER_ACTIONS)
        return NULL;
    return p->by_action[type - SPP_MSGC_POWER_RESET];
}

/* The transactions of a frame's PDUs, found in one lookup whatever the number of PDUs in the
 * frame (a proto data key per PDU would make every lookup walk the frame's whole list). Most
 * frames carry one tracked PDU, so the first is kept in place and a map made only for more. */
typedef struct {
    guint32            first_index;
    spp_transaction_t *first;
    wmem_map_t        *more;    /* PDU index -> transaction, for the frame's other tracked PDUs */
} spp_frame_transactions_t;

static spp_transaction_t *
spp_pdu_transaction(packet_info *pinfo, const spp_ctx_t *ctx)
{
    spp_frame_transactions_t *f = (spp_frame_transactions_t *)p_get_proto_data(
        wmem_file_scope(), pinfo, proto_spicepower, SPP_KEY_FRAME_TRANSACTIONS);
    if (!f)
        return NULL;
    if (f->first_index == ctx->pdu_index)
        return f->first;
    return f->more ? (spp_transaction_t *)wmem_map_lookup(f->more, GUINT_TO_POINTER(ctx->pdu_index)) : NULL;
}

static void
spp_set_pdu_transaction(packet_info *pinfo, const spp_ctx_t *ctx, spp_transaction_t *t)
{
    spp_frame_transactions_t *f = (spp_frame_transactions_t *)p_get_proto_data(
        wmem_file_scope(), pinfo, proto_spicepower, SPP_KEY_FRAME_TRANSACTIONS);
    if (!f) {
        f = wmem_new0(wmem_file_scope(), spp_frame_transactions_t);
        f->first_index = ctx->pdu_index;
        f->first = t;
        p_add_proto_data(wmem_file_scope(), pinfo, proto_spicepower, SPP_KEY_FRAME_TRANSACTIONS, f);
        return;
    }
    if (!f->more)
        f->more = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    wmem_map_insert(f->more, GUINT_TO_POINTER(ctx->pdu_index), t);
}

void
spp_track_request(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, guint16 type)
{
    spp_transaction_t *t;
    wmem_list_t *queue;
    proto_item *ti;

    if (!ctx->pending || !(queue = spp_pending_queue(ctx->pending, type)))
        return;
    t = spp_pdu_transaction(pinfo, ctx);
    if (!t && !PINFO_FD_VISITED(pinfo)) {
        if (ctx->pending->open >= SPP_MAX_OPEN_REQUESTS) {
            t = &spp_untracked;
        } else {
            t = wmem_new0(wmem_file_scope(), spp_transaction_t);
            t->req_frame = pinfo->num;
            t->req_time = pinfo->abs_ts;
            t->req_type = type;
            t->seq = ctx->pending->next_seq++;
            wmem_list_append(queue, t);
            ctx->pending->open++;
        }
        spp_set_pdu_transaction(pinfo, ctx, t);
    }
    if (t == &spp_untracked) {
        expert_add_info_format(pinfo, proto_tree_get_parent(tree), &ei_spp_too_many_open,
                               "More than %u power requests without an answer: this one is not tracked",
                               SPP_MAX_OPEN_REQUESTS);
        return;
    }
    if (t && t->rsp_frame) {
        ti = proto_tree_add_uint(tree, hf_response_in, tvb, 0, 0, t->rsp_frame);
        proto_item_set_generated(ti);
    }
}

static spp_transaction_t *
spp_pending_pop_head(spp_pending_t *p, wmem_list_t *queue)
{
    wmem_list_frame_t *head = wmem_list_head(queue);
    spp_transaction_t *t = (spp_transaction_t *)wmem_list_frame_data(head);
    wmem_list_remove_frame(queue, head);
    p->open--;
    return t;
}

/* A RESULT answers the oldest open request of the type it names. */
static spp_transaction_t *
spp_pending_take_oldest(spp_pending_t *p, guint16 request)
{
    wmem_list_t *queue = spp_pending_queue(p, request);
    return queue && wmem_list_head(queue) ? spp_pending_pop_head(p, queue) : NULL;
}

/* A NOTIFY error answers the newest open request of any type; the older ones are taken to have
 * succeeded silently. Each request leaves a queue once, so this is amortised constant time. */
static spp_transaction_t *
spp_pending_take_newest(spp_pending_t *p)
{
    wmem_list_t *newest = NULL;
    spp_transaction_t *t;

    for (int i = 0; i < SPP_POWER_ACTIONS; i++) {
        wmem_list_frame_t *tail = wmem_list_tail(p->by_action[i]);
        if (tail && (!newest || ((spp_transaction_t *)wmem_list_frame_data(tail))->seq >
                                ((spp_transaction_t *)wmem_list_frame_data(wmem_list_tail(newest)))->seq))
            newest = p->by_action[i];
    }
    if (!newest)
        return NULL;
    t = (spp_transaction_t *)wmem_list_frame_data(wmem_list_tail(newest));
    wmem_list_remove_frame(newest, wmem_list_tail(newest));
    p->open--;
    for (int i = 0; i < SPP_POWER_ACTIONS; i++)
        while (wmem_list_head(p->by_action[i]) &&
               ((spp_transaction_t *)wmem_list_frame_data(wmem_list_head(p->by_action[i])))->seq < t->seq)
            spp_pending_pop_head(p, p->by_action[i]);
    return t;
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
        t = from_notify ? spp_pending_take_newest(ctx->pending) : spp_pending_take_oldest(ctx->pending, request);
        if (t) {
            t->rsp_frame = pinfo->num;
            spp_set_pdu_transaction(pinfo, ctx, t);
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
        { &ei_spp_too_many_open,
          { "spicepower.expert.too_many_open_requests", PI_SEQUENCE, PI_NOTE,
            "Too many power requests without an answer: this one is not tracked", EXPFILL } },
    };

    proto_register_field_array(proto_spicepower, hf, array_length(hf));
    expert_register_field_array(expert, ei, array_length(ei));
}
