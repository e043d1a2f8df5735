/* conv.c
 * Getting hold of SPICE power connections and keeping their state:
 *  - a TCP heuristic that claims every SPICE link ("REDQ") and routes it: channel 12 to this
 *    dissector, every other channel to Wireshark's built-in SPICE dissector;
 *  - the same routing for Decode As (tcp.port), and connections that Decode As finds after
 *    their link phase (captured mid-session): data phase assumed, see spp_midstream();
 *  - per-conversation state, with the state at the start of every frame where it changed, so
 *    that re-dissection starts from the state the first pass saw;
 *  - tcp_dissect_pdus for reassembly;
 *  - "spicepower.fuzz", a stateless entry point that takes its context from the first byte.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "spicepower.h"
#include "ws-compat.h"

#include <epan/conversation.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <epan/dissectors/packet-tcp.h>

/* p_add_proto_data key (packet scope); analysis.c keeps file-scope data under
 * SPP_KEY_PDU_BASE + PDU index. */
#define SPP_KEY_WORK        1   /* spp_work_t */

static dissector_handle_t spp_tcp_handle;
static dissector_handle_t spp_fuzz_handle;
static dissector_handle_t spice_handle;     /* built-in SPICE, looked up in the handoff */

static int hf_spp_direction = -1;
static int hf_spp_fuzz_control = -1;
static int hf_spp_fuzz_dir = -1;
static int hf_spp_fuzz_full_header = -1;
static int hf_spp_fuzz_phase = -1;
static int hf_spp_fuzz_client_caps = -1;
static int hf_spp_fuzz_server_caps = -1;
static int hf_spp_opaque = -1;

static gint ett_spp = -1;
static gint ett_spp_fuzz = -1;

static expert_field ei_spp_undecoded = EI_INIT;
static expert_field ei_spp_midstream = EI_INIT;

/* Conversation data. */
typedef struct {
    spp_state_t  live;          /* state after the last PDU of the first pass */
    wmem_tree_t *versions;      /* frame number -> state at the start of that frame, stored
                                   only when it differs from the previous frame's */
    spp_state_t *last_version;
    conversation_t *conv;
    address      server_addr;
    guint32      server_port;
    address      client_addr;
    guint32      client_port;
    gboolean     routed;        /* handed to the built-in SPICE dissector */
    spp_pending_t *pending;     /* power requests awaiting an answer (first pass) */
    const char  *midstream;     /* captured after the link: what was assumed, else NULL */
    guint32      midstream_frame;   /* frame of its first PDU, which carries the expert note */
} spp_conv_t;

/* spicepower.midstream_header: the header of a connection captured after its link phase. */
enum {
    SPP_MIDSTREAM_MINI = 0,
    SPP_MIDSTREAM_FULL = 1,
    SPP_MIDSTREAM_AUTO = 2
};

static const enum_val_t spp_midstream_header_vals[] = {
    { "mini", "Mini (6-byte) headers", SPP_MIDSTREAM_MINI },
    { "full", "Full (18-byte) headers", SPP_MIDSTREAM_FULL },
    { "auto", "Detect from the first segment, else mini", SPP_MIDSTREAM_AUTO },
    { NULL, NULL, -1 }
};

static gint spp_pref_midstream_header = SPP_MIDSTREAM_MINI;

/* Packet-scope working data: the state being advanced through this frame's PDUs. */
typedef struct {
    spp_state_t *st;
    guint32      pdu_count;
} spp_work_t;

static const value_string spp_direction_vals[] = {
    { SPP_FROM_CLIENT, "Client to server" },
    { SPP_FROM_SERVER, "Server to client" },
    { 0, NULL }
};

static const value_string spp_fuzz_phase_vals[] = {
    { 0, "Data" },
    { 1, "Link" },
    { 2, "Auth mechanism" },
    { 3, "Ticket" },
    { 4, "Link result" },
    { 5, "SASL" },
    { 0, NULL }
};

/* The client's phase after its link message depends on both link messages: auth selection
 * happens only if both sides announced it. */
static spp_phase_t
spp_phase(const spp_ctx_t *ctx)
{
    spp_phase_t phase = (spp_phase_t)ctx->st->phase[ctx->dir];

    if (phase == SPP_PHASE_AUTH) {
        const guint32 sel = SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION);
        gboolean server_sel = ctx->st->link_seen[SPP_FROM_SERVER] ?
            (ctx->st->common_caps[SPP_FROM_SERVER] & sel) != 0 : TRUE;
        phase = ((ctx->st->common_caps[SPP_FROM_CLIENT] & sel) && server_sel) ?
            SPP_PHASE_AUTH_MECH : SPP_PHASE_TICKET;
    }
    return phase;
}

/* Length of the PDU at offset, 0 if more bytes are needed to know. Never throws. */
static guint
spp_pdu_len(tvbuff_t *tvb, int offset, spp_ctx_t *ctx)
{
    switch (spp_phase(ctx)) {
    case SPP_PHASE_LINK:
        return spp_link_pdu_len(tvb, offset, ctx);
    case SPP_PHASE_AUTH_MECH:
    case SPP_PHASE_LINK_RESULT:
        return 4;
    case SPP_PHASE_TICKET:
        return SPP_TICKET_ENCRYPTED_BYTES;
    case SPP_PHASE_DATA:
        return spp_data_pdu_len(tvb, offset, ctx);
    default:
        return (guint)tvb_reported_length_remaining(tvb, offset);
    }
}

/* Dissects one PDU with the state in ctx and advances it. Shared by the TCP path and the
 * fuzz entry. */
static int
spp_dissect_one(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx)
{
    proto_item *ti;
    spp_phase_t phase = spp_phase(ctx);

    ti = proto_tree_add_uint(tree, hf_spp_direction, tvb, 0, 0, ctx->dir);
    proto_item_set_generated(ti);

    switch (phase) {
    case SPP_PHASE_DATA:
        return spp_data_dissect(tvb, pinfo, tree, ctx);
    case SPP_PHASE_SASL:
    case SPP_PHASE_OPAQUE:
        ti = proto_tree_add_item(tree, hf_spp_opaque, tvb, 0, -1, ENC_NA);
        expert_add_info(pinfo, ti, &ei_spp_undecoded);
        col_append_sep_str(pinfo->cinfo, COL_INFO, ", ", phase == SPP_PHASE_SASL ? "SASL" : "Undecoded");
        return tvb_captured_length(tvb);
    default:
        ctx->st->phase[ctx->dir] = (guint8)phase;   /* AUTH resolved */
        return spp_link_dissect(tvb, pinfo, tree, ctx);
    }
}

/* ---- TCP path ------------------------------------------------------------------------- */

/* Channel type of a client link message at the start of tvb, or -1 if tvb is not (yet) one. */
static int
spp_peek_link_channel(tvbuff_t *tvb)
{
    if (tvb_captured_length(tvb) < SPP_LINK_HEADER_SIZE + 6 ||
        tvb_memeql(tvb, 0, (const guint8 *)SPP_LINK_MAGIC, 4) != 0)
        return -1;
    /* A server's link reply is at least 178 bytes and starts with an error code, so the
     * byte at offset 20 would be the first key byte. Only a client link has size < 178 or
     * caps_offset == 18. */
    if (tvb_get_letohl(tvb, 12) >= SPP_LINK_REPLY_SIZE &&
        (tvb_captured_length(tvb) < SPP_LINK_HEADER_SIZE + SPP_LINK_MESS_SIZE ||
         tvb_get_letohl(tvb, SPP_LINK_HEADER_SIZE + 14) != SPP_LINK_MESS_SIZE))
        return -1;
    return spp_tvb_get_uint8(tvb, SPP_LINK_HEADER_SIZE + 4);
}

/* Is the segment in tvb a run of data messages with this header, as the power channel sends
 * them? Every type is defined for the sender (for either side if dir is -1), every size is at
 * most SPP_DISSECTOR_MAX_MSG_SIZE, a full header's serial is below 2^32 and its sub-list 0;
 * the last message may go on in the next segment. A mini-header stream read with full headers fails
 * (too short, or a serial with its upper half non-zero: the body bytes), and so does a
 * full-header stream read with mini headers (the serial's upper bytes make a type 0). */
static gboolean
spp_plausible_data(tvbuff_t *tvb, gboolean mini, int dir)
{
    guint hdr = mini ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
    guint len = tvb_captured_length(tvb), off = 0;
    guint32 type, size;

    if (len < hdr)
        return FALSE;
    while (off + hdr <= len) {
        if (!mini && (tvb_get_letohl(tvb, off + 4) != 0 || tvb_get_letohl(tvb, off + 14) != 0))
            return FALSE;
        type = tvb_get_letohs(tvb, off + (mini ? 0 : 8));
        size = tvb_get_letohl(tvb, off + (mini ? 2 : 10));
        if (size > SPP_DISSECTOR_MAX_MSG_SIZE)
            return FALSE;
        if (!(dir != SPP_FROM_SERVER && try_val_to_str(type, spp_client_msg_vals)) &&
            !(dir != SPP_FROM_CLIENT && try_val_to_str(type, spp_server_msg_vals)))
            return FALSE;
        off += hdr + size;
    }
    return off >= len;
}

/* A connection whose first payload is no link header, reached through Decode As or the port
 * preference (the heuristic claims only "REDQ"): the capture started after the link phase.
 * Both sides are taken to be in the data phase of a power channel, with unknown caps (the
 * link_seen flags stay FALSE, which turns off every check against the caps: STATE or RESULT
 * without the cap, unannounced actions). Assumed, and said in the expert note:
 *  - the server: the side whose port is the one the table matched (pinfo->match_uint, the
 *    Decode As or preference port); if both or neither port is, the first message's type
 *    (STATE, size 1, or RESULT, size 6, come from the server; RESET/POWEROFF/POWERON, size 0,
 *    from the client); failing that, the lower port;
 *  - the header: spicepower.midstream_header; "auto" takes the one header kind under which
 *    the first segment is a plausible run of messages (spp_plausible_data), mini if both or
 *    neither are. */
static void
spp_midstream(spp_conv_t *c, packet_info *pinfo, tvbuff_t *tvb, gboolean *from_server)
{
    gboolean src_match = pinfo->match_uint == pinfo->srcport;
    gboolean dst_match = pinfo->match_uint == pinfo->destport;
    gboolean mini = spp_pref_midstream_header != SPP_MIDSTREAM_FULL;
    const char *header_why = "preference";
    const char *server_why = "Decode As port";
    int dir = -1;

    if (src_match != dst_match) {
        *from_server = src_match;
        dir = src_match ? SPP_FROM_SERVER : SPP_FROM_CLIENT;
    }

    if (spp_pref_midstream_header == SPP_MIDSTREAM_AUTO) {
        gboolean mini_ok = spp_plausible_data(tvb, TRUE, dir);
        gboolean full_ok = spp_plausible_data(tvb, FALSE, dir);

        mini = mini_ok || !full_ok;
        header_why = mini_ok != full_ok ? "detected" : "not detectable, default";
    }

    if (dir < 0) {
        guint hdr = mini ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
        guint32 type = 0, size = 0;

        if (tvb_captured_length(tvb) >= hdr) {
            type = tvb_get_letohs(tvb, mini ? 0 : 8);
            size = tvb_get_letohl(tvb, mini ? 2 : 10);
        }
        if ((type == SPP_MSG_POWER_STATE && size == SPP_MSG_POWER_STATE_SIZE) ||
            (type == SPP_MSG_POWER_RESULT && size == SPP_MSG_POWER_RESULT_SIZE)) {
            *from_server = TRUE;
            server_why = "guessed from the message types";
        } else if (type >= SPP_MSGC_POWER_RESET && type <= SPP_MSGC_POWER_POWERON && size == 0) {
            *from_server = FALSE;
            server_why = "guessed from the message types";
        } else {
            *from_server = pinfo->srcport < pinfo->destport;
            server_why = "guessed: the lower port";
        }
    }

    c->live.phase[SPP_FROM_CLIENT] = SPP_PHASE_DATA;
    c->live.phase[SPP_FROM_SERVER] = SPP_PHASE_DATA;
    c->live.channel_type = SPP_CHANNEL_POWER;
    c->live.midstream = TRUE;
    c->live.mini_header_forced = mini;
    c->live.full_header_forced = !mini;
    c->midstream = wmem_strdup_printf(wmem_file_scope(),
        "Capture starts after the link phase; assuming %s headers (%s), server port %u (%s); "
        "caps unknown, so no cap checks",
        mini ? "mini" : "full", header_why, *from_server ? pinfo->srcport : pinfo->destport, server_why);
}

static spp_conv_t *
spp_conv_get(conversation_t *conv, packet_info *pinfo, tvbuff_t *tvb)
{
    spp_conv_t *c = (spp_conv_t *)conversation_get_proto_data(conv, proto_spicepower);
    gboolean from_server;

    if (c)
        return c;

    c = wmem_new0(wmem_file_scope(), spp_conv_t);
    c->conv = conv;
    c->versions = wmem_tree_new(wmem_file_scope());
    c->live.phase[SPP_FROM_CLIENT] = SPP_PHASE_LINK;
    c->live.phase[SPP_FROM_SERVER] = SPP_PHASE_LINK;
    c->pending = spp_pending_new();

    /* Who is the server? The client speaks first, so the sender of the first "REDQ" is the
     * client unless the bytes are recognisably a link reply (caps offset 178). Anything else
     * is a connection captured after its link phase. */
    if (tvb_captured_length(tvb) >= 4 && tvb_memeql(tvb, 0, (const guint8 *)SPP_LINK_MAGIC, 4) == 0)
        from_server = tvb_captured_length(tvb) >= SPP_LINK_HEADER_SIZE + SPP_LINK_REPLY_SIZE &&
                      tvb_get_letohl(tvb, SPP_LINK_HEADER_SIZE + SPP_LINK_REPLY_SIZE - 4) == SPP_LINK_REPLY_SIZE;
    else
        spp_midstream(c, pinfo, tvb, &from_server);
    copy_address_wmem(wmem_file_scope(), &c->server_addr, from_server ? &pinfo->src : &pinfo->dst);
    copy_address_wmem(wmem_file_scope(), &c->client_addr, from_server ? &pinfo->dst : &pinfo->src);
    c->server_port = from_server ? pinfo->srcport : pinfo->destport;
    c->client_port = from_server ? pinfo->destport : pinfo->srcport;
    conversation_add_proto_data(conv, proto_spicepower, c);
    conversation_set_dissector(conv, spp_tcp_handle);
    return c;
}

static spp_dir_t
spp_direction(const spp_conv_t *c, const packet_info *pinfo)
{
    return (pinfo->srcport == c->server_port && addresses_equal(&pinfo->src, &c->server_addr)) ?
        SPP_FROM_SERVER : SPP_FROM_CLIENT;
}

/* The state this frame's PDUs start from: on the first pass the live state, afterwards a
 * copy of the version the first pass recorded for this frame. Versions are stored only when
 * the state changed since the previous frame (in the data phase it rarely does), so a long
 * capture costs one comparison per frame, not one copy. */
static spp_work_t *
spp_work(packet_info *pinfo, spp_conv_t *c)
{
    spp_work_t *w = (spp_work_t *)p_get_proto_data(pinfo->pool, pinfo, proto_spicepower, SPP_KEY_WORK);

    if (w)
        return w;
    w = wmem_new0(pinfo->pool, spp_work_t);
    if (PINFO_FD_VISITED(pinfo)) {
        spp_state_t *version = (spp_state_t *)wmem_tree_lookup32_le(c->versions, pinfo->num);
        w->st = wmem_new(pinfo->pool, spp_state_t);
        memcpy(w->st, version ? version : &c->live, sizeof(spp_state_t));
    } else {
        if (!c->last_version || memcmp(c->last_version, &c->live, sizeof(spp_state_t)) != 0) {
            c->last_version = (spp_state_t *)wmem_memdup(wmem_file_scope(), &c->live, sizeof(spp_state_t));
            wmem_tree_insert32(c->versions, pinfo->num, c->last_version);
        }
        w->st = &c->live;
    }
    p_add_proto_data(pinfo->pool, pinfo, proto_spicepower, SPP_KEY_WORK, w);
    return w;
}

/* A frame this plugin hands to the built-in SPICE dissector must look as it does without the
 * plugin: Wireshark put "spicepower" in the frame's protocol layers (frame.protocols) when it
 * called us, and keeps it there because we accepted the frame. Take it out again, with the
 * counts Wireshark keeps beside the list; the layers after ours (spice's) stay as they are. */
static void
spp_leave_no_layer(packet_info *pinfo)
{
    wmem_list_frame_t *frame, *ours = NULL;
    int *count;

    for (frame = wmem_list_head(pinfo->layers); frame; frame = wmem_list_frame_next(frame))
        if (GPOINTER_TO_INT(wmem_list_frame_data(frame)) == proto_spicepower)
            ours = frame;
    if (!ours)
        return;
    wmem_list_remove_frame(pinfo->layers, ours);
    if (pinfo->curr_layer_num > 0)
        pinfo->curr_layer_num--;
    count = pinfo->proto_layers ? (int *)wmem_map_lookup(pinfo->proto_layers, GINT_TO_POINTER(proto_spicepower)) : NULL;
    if (count && *count > 0)
        (*count)--;
}

/* The built-in SPICE dissector decodes this frame, and this connection from now on. */
static int
spp_hand_to_spice(conversation_t *conv, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    int len;

    conversation_set_dissector(conv, spice_handle);
    len = call_dissector(spice_handle, tvb, pinfo, tree);
    spp_leave_no_layer(pinfo);
    return len;
}

static int
spp_route_to_spice(conversation_t *conv, spp_conv_t *c, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    c->routed = TRUE;
    return spp_hand_to_spice(conv, tvb, pinfo, tree);
}

/* What tcp_dissect_pdus hands its callbacks: the connection and this frame's working state,
 * found once per call rather than once per PDU and callback. */
typedef struct {
    spp_conv_t *c;
    spp_work_t *w;
} spp_frame_t;

static guint
spp_get_pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data)
{
    spp_frame_t *f = (spp_frame_t *)data;
    spp_conv_t *c = f->c;
    spp_ctx_t ctx = { f->w->st, spp_direction(c, pinfo), NULL, NULL, 0 };

    return spp_pdu_len(tvb, offset, &ctx);
}

static int
spp_dissect_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    spp_frame_t *f = (spp_frame_t *)data;
    spp_conv_t *c = f->c;
    spp_work_t *w = f->w;
    conversation_t *conv = c->conv;
    spp_ctx_t ctx = { w->st, spp_direction(c, pinfo), conv, c->pending, 0 };
    proto_item *ti;
    proto_tree *spp_tree;
    int channel;

    /* A link for another channel (seen here when the heuristic could not tell, or through
     * Decode As): from now on this connection belongs to the built-in SPICE dissector. */
    if (ctx.dir == SPP_FROM_CLIENT && spp_phase(&ctx) == SPP_PHASE_LINK && spice_handle &&
        (channel = spp_peek_link_channel(tvb)) >= 0 && channel != SPP_CHANNEL_POWER)
        return spp_route_to_spice(conv, c, tvb, pinfo, tree);

    ctx.pdu_index = w->pdu_count++;
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "SPICE Power");
    if (ctx.pdu_index == 0)
        col_clear(pinfo->cinfo, COL_INFO);

    ti = proto_tree_add_item(tree, proto_spicepower, tvb, 0, -1, ENC_NA);
    spp_tree = proto_item_add_subtree(ti, ett_spp);

    /* The first PDU of a connection captured after its link says what was assumed. */
    if (c->midstream) {
        if (!c->midstream_frame && !PINFO_FD_VISITED(pinfo))
            c->midstream_frame = pinfo->num;
        if (c->midstream_frame == pinfo->num && ctx.pdu_index == 0)
            expert_add_info_format(pinfo, ti, &ei_spp_midstream, "%s", c->midstream);
    }
    return spp_dissect_one(tvb, pinfo, spp_tree, &ctx);
}

#ifdef SPP_WS_TCPINFO_HAS_STREAM
/* The connection of the last frame, so that a data phase's frames need not look up their
 * conversation again (TCP has just done so; the lookup was a fifth of the plugin's time).
 * Keyed by TCP's stream index where Wireshark passes it (4.2 on), and checked against the
 * frame's endpoints, since a caller other than TCP may pass other data. Forgotten with the
 * file. */
static struct {
    guint32     stream;
    spp_conv_t *c;
} spp_last_conv;

static gboolean
spp_conv_has_endpoints(const spp_conv_t *c, const packet_info *pinfo)
{
    if (pinfo->srcport == c->server_port && pinfo->destport == c->client_port)
        return addresses_equal(&pinfo->src, &c->server_addr) && addresses_equal(&pinfo->dst, &c->client_addr);
    if (pinfo->srcport == c->client_port && pinfo->destport == c->server_port)
        return addresses_equal(&pinfo->src, &c->client_addr) && addresses_equal(&pinfo->dst, &c->server_addr);
    return FALSE;
}
#endif

static spp_conv_t *
spp_conv_of_frame(packet_info *pinfo, tvbuff_t *tvb, void *data)
{
    spp_conv_t *c;
#ifdef SPP_WS_TCPINFO_HAS_STREAM
    const struct tcpinfo *tcp = pinfo->ptype == PT_TCP ? (const struct tcpinfo *)data : NULL;

    if (tcp && spp_last_conv.c && spp_last_conv.stream == tcp->stream &&
        spp_conv_has_endpoints(spp_last_conv.c, pinfo))
        return spp_last_conv.c;
#endif
    c = spp_conv_get(find_or_create_conversation(pinfo), pinfo, tvb);
#ifdef SPP_WS_TCPINFO_HAS_STREAM
    if (tcp) {
        spp_last_conv.stream = tcp->stream;
        spp_last_conv.c = c;
    }
#else
    (void)data;
#endif
    return c;
}

static void
spp_conv_cleanup(void)
{
#ifdef SPP_WS_TCPINFO_HAS_STREAM
    spp_last_conv.c = NULL;
#endif
}

/* Conversation and Decode As entry. */
static int
dissect_spp_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    spp_frame_t f;

    f.c = spp_conv_of_frame(pinfo, tvb, data);
    if (f.c->routed && spice_handle) {
        int len = call_dissector(spice_handle, tvb, pinfo, tree);
        spp_leave_no_layer(pinfo);
        return len;
    }
    f.w = spp_work(pinfo, f.c);
    tcp_dissect_pdus(tvb, pinfo, tree, TRUE, 4, spp_get_pdu_len, spp_dissect_pdu, &f);
    return tvb_captured_length(tvb);
}

/* Every SPICE connection starts with the client's link header: "REDQ", major version 2.
 * The built-in SPICE heuristic accepts the same bytes, so this one must claim every link
 * (ours runs first: plugin heuristics are registered last and the list is prepended) and
 * hand the channels that are not ours to the built-in dissector. */
static spp_heur_result_t
dissect_spp_heur(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    conversation_t *conv;
    int channel;

    if (tvb_captured_length(tvb) < 8 || tvb_memeql(tvb, 0, (const guint8 *)SPP_LINK_MAGIC, 4) != 0)
        return FALSE;
    if (tvb_get_letohl(tvb, 4) != SPP_VERSION_MAJOR)
        return FALSE;

    conv = find_or_create_conversation(pinfo);
    channel = spp_peek_link_channel(tvb);
    if (channel >= 0 && channel != SPP_CHANNEL_POWER && spice_handle) {
        spp_hand_to_spice(conv, tvb, pinfo, tree);
        return TRUE;
    }
    /* Power channel, or too short to tell yet: spp_dissect_pdu routes after reassembly. */
    dissect_spp_tcp(tvb, pinfo, tree, data);
    return TRUE;
}

/* ---- Stateless fuzz entry -------------------------------------------------------------- */

/* First byte: bit 0 direction (1 = from server), bit 1 full header, bits 2-4 phase
 * (spp_fuzz_phase_vals), bit 5 client announced every power cap, bit 6 server did.
 * The rest is a sequence of PDUs of that direction, dissected like a TCP stream would be. */
#define SPP_FUZZ_DIR          0x01
#define SPP_FUZZ_FULL_HEADER  0x02
#define SPP_FUZZ_PHASE        0x1c
#define SPP_FUZZ_CLIENT_CAPS  0x20
#define SPP_FUZZ_SERVER_CAPS  0x40

static int
dissect_spp_fuzz(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    static int * const control_fields[] = {
        &hf_spp_fuzz_dir, &hf_spp_fuzz_full_header, &hf_spp_fuzz_phase,
        &hf_spp_fuzz_client_caps, &hf_spp_fuzz_server_caps, NULL
    };
    static const guint8 phases[] = {
        SPP_PHASE_DATA, SPP_PHASE_LINK, SPP_PHASE_AUTH_MECH, SPP_PHASE_TICKET,
        SPP_PHASE_LINK_RESULT, SPP_PHASE_SASL, SPP_PHASE_OPAQUE, SPP_PHASE_OPAQUE
    };
    const guint32 all_power_caps = SPP_CAP_MASK(SPP_POWER_CAP_RESET) | SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) |
        SPP_CAP_MASK(SPP_POWER_CAP_POWERON) | SPP_CAP_MASK(SPP_POWER_CAP_STATE) |
        SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    spp_state_t *st;
    spp_ctx_t ctx;
    proto_item *ti;
    proto_tree *spp_tree;
    guint8 control;
    int offset = 1;

    if (tvb_captured_length(tvb) < 1)
        return 0;
    control = spp_tvb_get_uint8(tvb, 0);

    st = wmem_new0(pinfo->pool, spp_state_t);
    st->phase[SPP_FROM_CLIENT] = st->phase[SPP_FROM_SERVER] = phases[(control & SPP_FUZZ_PHASE) >> 2];
    st->full_header_forced = (control & SPP_FUZZ_FULL_HEADER) != 0;
    st->mini_header_forced = !st->full_header_forced;
    st->channel_type = SPP_CHANNEL_POWER;
    st->link_seen[SPP_FROM_CLIENT] = st->link_seen[SPP_FROM_SERVER] = TRUE;
    st->channel_caps[SPP_FROM_CLIENT] = (control & SPP_FUZZ_CLIENT_CAPS) ? all_power_caps : 0;
    st->channel_caps[SPP_FROM_SERVER] = (control & SPP_FUZZ_SERVER_CAPS) ? all_power_caps : 0;
    ctx.st = st;
    ctx.dir = (control & SPP_FUZZ_DIR) ? SPP_FROM_SERVER : SPP_FROM_CLIENT;
    ctx.conv = NULL;
    ctx.pending = NULL;
    ctx.pdu_index = 0;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "SPICE Power");
    col_clear(pinfo->cinfo, COL_INFO);
    ti = proto_tree_add_item(tree, proto_spicepower, tvb, 0, -1, ENC_NA);
    spp_tree = proto_item_add_subtree(ti, ett_spp);
    proto_tree_add_bitmask(spp_tree, tvb, 0, hf_spp_fuzz_control, ett_spp_fuzz, control_fields, ENC_NA);

    while (tvb_reported_length_remaining(tvb, offset) > 0) {
        guint remaining = (guint)tvb_reported_length_remaining(tvb, offset);
        guint len = spp_pdu_len(tvb, offset, &ctx);
        tvbuff_t *pdu_tvb;

        if (len == 0 || len > remaining)
            len = remaining;        /* the PDU dissectors flag what is missing */
        pdu_tvb = tvb_new_subset_length(tvb, offset, len);
        ti = proto_tree_add_item(spp_tree, proto_spicepower, pdu_tvb, 0, -1, ENC_NA);
        spp_dissect_one(pdu_tvb, pinfo, proto_item_add_subtree(ti, ett_spp), &ctx);
        ctx.pdu_index++;
        offset += len;
    }
    return tvb_captured_length(tvb);
}

void
spp_conv_register(expert_module_t *expert)
{
    static hf_register_info hf[] = {
        { &hf_spp_direction,
          { "Direction", "spicepower.direction", FT_UINT8, BASE_DEC, VALS(spp_direction_vals), 0x0,
            "Who sent this message", HFILL } },
        { &hf_spp_opaque,
          { "Undecoded data", "spicepower.opaque", FT_BYTES, BASE_NONE, NULL, 0x0,
            "SASL exchange or data after a failed link", HFILL } },
        { &hf_spp_fuzz_control,
          { "Fuzz control", "spicepower.fuzz.control", FT_UINT8, BASE_HEX, NULL, 0x0,
            "Context byte of the spicepower.fuzz entry point", HFILL } },
        { &hf_spp_fuzz_dir,
          { "From server", "spicepower.fuzz.from_server", FT_BOOLEAN, 8, NULL, SPP_FUZZ_DIR, NULL, HFILL } },
        { &hf_spp_fuzz_full_header,
          { "Full header", "spicepower.fuzz.full_header", FT_BOOLEAN, 8, NULL, SPP_FUZZ_FULL_HEADER, NULL, HFILL } },
        { &hf_spp_fuzz_phase,
          { "Phase", "spicepower.fuzz.phase", FT_UINT8, BASE_DEC, VALS(spp_fuzz_phase_vals), SPP_FUZZ_PHASE, NULL, HFILL } },
        { &hf_spp_fuzz_client_caps,
          { "Client announced all power caps", "spicepower.fuzz.client_caps", FT_BOOLEAN, 8, NULL, SPP_FUZZ_CLIENT_CAPS, NULL, HFILL } },
        { &hf_spp_fuzz_server_caps,
          { "Server announced all power caps", "spicepower.fuzz.server_caps", FT_BOOLEAN, 8, NULL, SPP_FUZZ_SERVER_CAPS, NULL, HFILL } },
    };
    static gint *ett[] = { &ett_spp, &ett_spp_fuzz };
    static ei_register_info ei[] = {
        { &ei_spp_undecoded,
          { "spicepower.expert.undecoded", PI_UNDECODED, PI_NOTE,
            "Data not decoded (SASL, or after a refused link or a lost message boundary)", EXPFILL } },
        { &ei_spp_midstream,
          { "spicepower.expert.midstream", PI_ASSUMPTION, PI_NOTE,
            "Capture starts after the link phase; header kind and server side assumed, caps unknown", EXPFILL } },
    };
    module_t *module;

    proto_register_field_array(proto_spicepower, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));

    /* The same module holds the "tcp.port" preference of the handoff. */
    module = prefs_register_protocol(proto_spicepower, NULL);
    prefs_register_enum_preference(module, "midstream_header",
        "Header of connections captured after their link",
        "A connection decoded through Decode As or the port preference whose capture starts after "
        "the link phase (no \"REDQ\" first) has no link to say whether mini or full data headers "
        "were negotiated. Mini: 6-byte headers (both sides announced MINI_HEADER, the usual case). "
        "Full: 18-byte headers. Auto: whichever of the two the first segment parses as, mini "
        "if that does not tell.",
        &spp_pref_midstream_header, spp_midstream_header_vals, FALSE);

    register_cleanup_routine(spp_conv_cleanup);
    spp_tcp_handle = register_dissector("spicepower", dissect_spp_tcp, proto_spicepower);
    spp_fuzz_handle = register_dissector("spicepower.fuzz", dissect_spp_fuzz, proto_spicepower);
}

void
spp_conv_handoff(void)
{
    dissector_table_t tcp_port = find_dissector_table("tcp.port");

    /* packet-spice.c registers no named dissector; its Decode As entry is reachable. */
    spice_handle = dissector_table_get_dissector_handle(tcp_port, "Spice");
    dissector_add_for_decode_as_with_preference("tcp.port", spp_tcp_handle);
    heur_dissector_add("tcp", dissect_spp_heur, "SPICE Power over TCP", "spicepower_tcp",
                       proto_spicepower, HEURISTIC_ENABLE);
}
