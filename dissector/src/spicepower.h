/* spicepower.h
 * Shared declarations of the SPICE power channel dissector (Wireshark 4.0 plugin).
 *
 * The dissector is split by concern:
 *   plugin.c    plugin symbols, protocol and expert module registration, handoff
 *   conv.c      TCP heuristic, Decode As, routing to the built-in SPICE dissector,
 *               per-conversation state with per-frame versions, tcp_dissect_pdus,
 *               the stateless fuzz entry point
 *   link.c      link phase: link header/message/reply, auth mechanism, ticket, link result
 *   data.c      data phase: mini/full header, base messages, power messages
 *   analysis.c  request/response tracking
 *   stats.c     tap and stats_tree ("-z spicepower,tree")
 * Each file registers its own fields and the expert fields it raises. Calls go from conv.c
 * to link.c and data.c, and from data.c to analysis.c and stats.c, never back.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef SPICEPOWER_H
#define SPICEPOWER_H

#include <wireshark.h>
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/conversation.h>

/* The wire numbers come from include/spicepower/protocol.h, the C transcription of
 * docs/power-channel.md that the spec test (ctest -L spec) holds to the spec's tables; the
 * plugin and fuzz/fuzz_dissector get it through CMake's spicepower_protocol target. */
#include <spicepower/protocol.h>

/* Not a wire limit (the spec sets none for data messages): the largest body the dissector
 * believes. A bigger size is taken for garbage: reassembly does not wait for it, the stream
 * is not followed past it, and mid-stream detection rejects it. */
#define SPP_DISSECTOR_MAX_MSG_SIZE  65536

/* Who sent a PDU. */
typedef enum {
    SPP_FROM_CLIENT = 0,
    SPP_FROM_SERVER = 1
} spp_dir_t;

/* What the next PDU of one direction is. The client goes LINK -> AUTH -> (AUTH_MECH) ->
 * TICKET -> DATA, the server LINK -> LINK_RESULT -> DATA; choosing the SASL mechanism puts
 * both sides in SASL instead. AUTH is "AUTH_MECH or TICKET, not known yet": spp_phase()
 * (conv.c) resolves it when the client's next PDU arrives, from the AUTH_SELECTION caps of
 * both link messages (the server's taken as set if its reply was not seen). OPAQUE: nothing
 * more we can follow. */
typedef enum {
    SPP_PHASE_DATA = 0,
    SPP_PHASE_LINK,
    SPP_PHASE_AUTH_MECH,
    SPP_PHASE_TICKET,
    SPP_PHASE_LINK_RESULT,
    SPP_PHASE_SASL,
    SPP_PHASE_AUTH,
    SPP_PHASE_OPAQUE
} spp_phase_t;

/* Dissection state of one connection. It is small and copied by value: the first pass
 * records the state at the start of each frame where it changed (conv.c), so re-dissection
 * starts every frame from the state the first pass saw. Compared with memcmp: keep it
 * zero-initialised and copy it with memcpy. */
typedef struct {
    guint8   phase[2];          /* spp_phase_t, indexed by spp_dir_t */
    gboolean link_seen[2];      /* link message / link reply dissected */
    gboolean full_header_forced;/* full header regardless of caps (fuzz entry, mid-stream) */
    gboolean mini_header_forced;/* mini header regardless of caps (fuzz entry, mid-stream) */
    gboolean midstream;         /* captured after the link phase: caps unknown (conv.c) */
    guint32  common_caps[2];    /* first common caps word of each side */
    guint32  channel_caps[2];   /* first channel caps word of each side */
    guint8   channel_type;
    guint8   channel_id;
    guint32  auth_mech;
} spp_state_t;

/* One power request and its answer (RESULT, or NOTIFY without the RESULT cap). */
typedef struct {
    guint32  req_frame;
    guint32  rsp_frame;
    nstime_t req_time;
    guint16  req_type;
    guint64  seq;               /* order of the request among all of its connection's */
} spp_transaction_t;

/* The power requests of one connection still waiting for an answer (first pass), one queue per
 * action, oldest first: a RESULT finds its request at the head of one queue, a NOTIFY at one of
 * three tails, so that a capture full of answers nobody asked for costs linear time. */
#define SPP_POWER_ACTIONS 3                /* RESET, POWEROFF, POWERON: 101 to 103 */
#define SPP_MAX_OPEN_REQUESTS 256          /* beyond this, requests are not tracked (expert info) */
typedef struct {
    wmem_list_t *by_action[SPP_POWER_ACTIONS];
    guint        open;
    guint64      next_seq;
} spp_pending_t;

spp_pending_t *spp_pending_new(void);

/* What the dissection of one PDU needs besides the bytes. */
typedef struct {
    spp_state_t *st;            /* advanced by the PDU dissectors */
    spp_dir_t    dir;
    conversation_t *conv;       /* NULL for the stateless fuzz entry */
    spp_pending_t *pending;     /* open power requests; NULL: no tracking (fuzz entry) */
    guint32      pdu_index;     /* index of this PDU within its frame */
} spp_ctx_t;

/* Per-PDU summary handed to the tap (stats.c). */
typedef struct {
    spp_dir_t dir;
    gboolean  is_data;          /* a data message (type valid) */
    guint16   type;
    gboolean  has_state;
    guint8    state;
    gboolean  has_result;       /* RESULT, or NOTIFY error standing in for it */
    guint16   request;
    guint32   code;
} spp_tap_info_t;

/* plugin.c */
extern int proto_spicepower;

/* conv.c */
void spp_conv_register(expert_module_t *expert);
void spp_conv_handoff(void);

/* link.c */
void spp_link_register(expert_module_t *expert);
guint spp_link_pdu_len(tvbuff_t *tvb, int offset, spp_ctx_t *ctx);
int  spp_link_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx);
extern const value_string spp_link_error_vals[];
/* Raised by data.c as well; an expert field can be registered only once, so link.c does. */
extern expert_field ei_spp_size_beyond_data;
extern expert_field ei_spp_bad_value;

/* data.c */
void spp_data_register(expert_module_t *expert);
guint spp_data_pdu_len(tvbuff_t *tvb, int offset, spp_ctx_t *ctx);
int  spp_data_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx);
extern const value_string spp_client_msg_vals[];
extern const value_string spp_server_msg_vals[];
extern const value_string spp_power_state_vals[];
extern const value_string spp_power_result_vals[];

/* analysis.c */
void spp_analysis_register(expert_module_t *expert);
void spp_track_request(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx, guint16 type);
guint16 spp_track_response(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx,
                           guint16 request, gboolean from_notify);

/* stats.c */
void spp_stats_register(void);
void spp_tap_queue(packet_info *pinfo, const spp_tap_info_t *info);

#endif /* SPICEPOWER_H */
