/* link.c
 * The link phase of a SPICE connection as the power channel uses it: the client's link
 * header and SpiceLinkMess, the server's link header and SpiceLinkReply, the optional auth
 * mechanism, the RSA-OAEP ticket and the server's link result.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "spicepower.h"
#include "ws-compat.h"

#include <epan/tfs.h>
#include <wsutil/str_util.h>

static int hf_link_magic = -1;
static int hf_link_major = -1;
static int hf_link_minor = -1;
static int hf_link_size = -1;
static int hf_link_connection_id = -1;
static int hf_link_channel_type = -1;
static int hf_link_channel_id = -1;
static int hf_link_num_common_caps = -1;
static int hf_link_num_channel_caps = -1;
static int hf_link_caps_offset = -1;
static int hf_link_error = -1;
static int hf_link_pub_key = -1;
static int hf_link_unused = -1;
static int hf_common_caps = -1;
static int hf_common_cap_auth_selection = -1;
static int hf_common_cap_auth_spice = -1;
static int hf_common_cap_auth_sasl = -1;
static int hf_common_cap_mini_header = -1;
static int hf_common_cap_unknown = -1;
static int hf_client_caps = -1;
static int hf_client_cap_reserved = -1;
static int hf_client_cap_reset = -1;
static int hf_client_cap_poweroff = -1;
static int hf_client_cap_poweron = -1;
static int hf_client_cap_state = -1;
static int hf_client_cap_result = -1;
static int hf_client_cap_unknown = -1;
static int hf_server_caps = -1;
static int hf_server_cap_reserved = -1;
static int hf_server_cap_reset = -1;
static int hf_server_cap_poweroff = -1;
static int hf_server_cap_poweron = -1;
static int hf_server_cap_state = -1;
static int hf_server_cap_result = -1;
static int hf_server_cap_unknown = -1;
static int hf_channel_caps = -1;
static int hf_cap_word = -1;
static int hf_auth_mechanism = -1;
static int hf_ticket = -1;
static int hf_link_result = -1;

static gint ett_link_header = -1;
static gint ett_link_mess = -1;
static gint ett_caps = -1;
static gint ett_cap_bits = -1;

static expert_field ei_spp_reserved_cap = EI_INIT;
static expert_field ei_spp_cap_count = EI_INIT;
static expert_field ei_spp_link_error = EI_INIT;
static expert_field ei_spp_bad_magic = EI_INIT;
static expert_field ei_spp_version = EI_INIT;
static expert_field ei_spp_link_size = EI_INIT;
static expert_field ei_spp_channel_id = EI_INIT;
static expert_field ei_spp_bad_caps_offset = EI_INIT;
/* Raised by data.c too (spicepower.h). */
expert_field ei_spp_size_beyond_data = EI_INIT;
expert_field ei_spp_bad_value = EI_INIT;

static const value_string spp_channel_type_vals[] = {
    { SPP_CHANNEL_MAIN,      "MAIN" },
    { SPP_CHANNEL_DISPLAY,   "DISPLAY" },
    { SPP_CHANNEL_INPUTS,    "INPUTS" },
    { SPP_CHANNEL_CURSOR,    "CURSOR" },
    { SPP_CHANNEL_PLAYBACK,  "PLAYBACK" },
    { SPP_CHANNEL_RECORD,    "RECORD" },
    { SPP_CHANNEL_TUNNEL,    "TUNNEL" },
    { SPP_CHANNEL_SMARTCARD, "SMARTCARD" },
    { SPP_CHANNEL_USBREDIR,  "USBREDIR" },
    { SPP_CHANNEL_PORT,      "PORT" },
    { SPP_CHANNEL_WEBDAV,    "WEBDAV" },
    { SPP_CHANNEL_POWER,     "POWER" },
    { 0, NULL }
};

const value_string spp_link_error_vals[] = {
    { SPP_LINK_ERR_OK,                    "OK" },
    { SPP_LINK_ERR_ERROR,                 "ERROR" },
    { SPP_LINK_ERR_INVALID_MAGIC,         "INVALID_MAGIC" },
    { SPP_LINK_ERR_INVALID_DATA,          "INVALID_DATA" },
    { SPP_LINK_ERR_VERSION_MISMATCH,      "VERSION_MISMATCH" },
    { SPP_LINK_ERR_NEED_SECURED,          "NEED_SECURED" },
    { SPP_LINK_ERR_NEED_UNSECURED,        "NEED_UNSECURED" },
    { SPP_LINK_ERR_PERMISSION_DENIED,     "PERMISSION_DENIED" },
    { SPP_LINK_ERR_BAD_CONNECTION_ID,     "BAD_CONNECTION_ID" },
    { SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE, "CHANNEL_NOT_AVAILABLE" },
    { 0, NULL }
};

static const value_string spp_auth_mechanism_vals[] = {
    { SPP_AUTH_MECHANISM_SPICE, "SPICE" },
    { SPP_AUTH_MECHANISM_SASL, "SASL" },
    { 0, NULL }
};

static int * const common_cap_fields[] = {
    &hf_common_cap_auth_selection, &hf_common_cap_auth_spice, &hf_common_cap_auth_sasl,
    &hf_common_cap_mini_header, &hf_common_cap_unknown, NULL
};
static int * const client_cap_fields[] = {
    &hf_client_cap_reserved, &hf_client_cap_reset, &hf_client_cap_poweroff,
    &hf_client_cap_poweron, &hf_client_cap_state, &hf_client_cap_result,
    &hf_client_cap_unknown, NULL
};
static int * const server_cap_fields[] = {
    &hf_server_cap_reserved, &hf_server_cap_reset, &hf_server_cap_poweroff,
    &hf_server_cap_poweron, &hf_server_cap_state, &hf_server_cap_result,
    &hf_server_cap_unknown, NULL
};

guint
spp_link_pdu_len(tvbuff_t *tvb, int offset, spp_ctx_t *ctx _U_)
{
    guint32 size;

    if (tvb_captured_length_remaining(tvb, offset) < SPP_LINK_HEADER_SIZE)
        return 0;
    size = tvb_get_letohl(tvb, offset + 12);
    /* A size no peer accepts: do not wait for it, show what is there. */
    if (size > SPP_LINK_MESS_MAX_SIZE)
        return (guint)tvb_reported_length_remaining(tvb, offset);
    return SPP_LINK_HEADER_SIZE + size;
}

/* Link header; returns the tvb of what follows it, cut to the announced size. */
static tvbuff_t *
spp_link_header(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, guint32 min_size)
{
    proto_tree *ht;
    proto_item *ti;
    guint32 major, size, present;

    ht = proto_tree_add_subtree(tree, tvb, 0, SPP_LINK_HEADER_SIZE, ett_link_header, NULL, "Link header");
    ti = proto_tree_add_item(ht, hf_link_magic, tvb, 0, 4, ENC_ASCII);
    if (tvb_memeql(tvb, 0, (const guint8 *)SPP_LINK_MAGIC, 4) != 0)
        expert_add_info(pinfo, ti, &ei_spp_bad_magic);
    ti = proto_tree_add_item_ret_uint(ht, hf_link_major, tvb, 4, 4, ENC_LITTLE_ENDIAN, &major);
    if (major != SPP_VERSION_MAJOR)
        expert_add_info_format(pinfo, ti, &ei_spp_version, "Major version %u, only %u is defined",
                               major, SPP_VERSION_MAJOR);
    proto_tree_add_item(ht, hf_link_minor, tvb, 8, 4, ENC_LITTLE_ENDIAN);
    ti = proto_tree_add_item_ret_uint(ht, hf_link_size, tvb, 12, 4, ENC_LITTLE_ENDIAN, &size);
    if (size < min_size || size > SPP_LINK_MESS_MAX_SIZE)
        expert_add_info_format(pinfo, ti, &ei_spp_link_size,
                               "Link message of %u bytes, must be %u..%u", size, min_size, SPP_LINK_MESS_MAX_SIZE);
    present = (guint32)tvb_captured_length_remaining(tvb, SPP_LINK_HEADER_SIZE);
    if (size > present) {
        expert_add_info_format(pinfo, ti, &ei_spp_size_beyond_data,
                               "Size %u beyond the %u bytes present", size, present);
        size = present;
    }
    return tvb_new_subset_length(tvb, SPP_LINK_HEADER_SIZE, size);
}

/* Cap words of one group; returns the first word (0 if none). */
static guint32
spp_link_cap_words(tvbuff_t *tvb, proto_tree *tree, int offset, guint32 count,
                   const char *label, int hf_first, int * const *fields, proto_item **first_item)
{
    proto_tree *ct;
    guint64 first = 0;
    guint32 avail, i;

    *first_item = NULL;
    if (count == 0 || offset < 0 || tvb_captured_length_remaining(tvb, offset) <= 0)
        return 0;
    avail = (guint32)tvb_captured_length_remaining(tvb, offset) / 4;
    if (count > avail)
        count = avail;
    if (count == 0)
        return 0;
    ct = proto_tree_add_subtree_format(tree, tvb, offset, count * 4, ett_caps, NULL,
                                       "%s (%u word%s)", label, count, plurality(count, "", "s"));
    if (fields)
        *first_item = proto_tree_add_bitmask_with_flags_ret_uint64(ct, tvb, offset, hf_first, ett_cap_bits,
                                                                   fields, ENC_LITTLE_ENDIAN, BMT_NO_APPEND, &first);
    else
        *first_item = proto_tree_add_item(ct, hf_first, tvb, offset, 4, ENC_LITTLE_ENDIAN);
    for (i = 1; i < count; i++)
        proto_tree_add_item(ct, hf_cap_word, tvb, offset + 4 * i, 4, ENC_LITTLE_ENDIAN);
    return fields ? (guint32)first : tvb_get_letohl(tvb, offset);
}

/* The part SpiceLinkMess and SpiceLinkReply share: cap counts, caps offset, caps. */
static void
spp_link_caps(tvbuff_t *mess, packet_info *pinfo, proto_tree *tree, int offset, guint32 fixed_len,
              spp_ctx_t *ctx)
{
    proto_item *nc_item, *nch_item, *off_item, *ti = NULL;
    guint32 nc, nch, caps_offset, len = tvb_reported_length(mess);
    int channel_hf = hf_channel_caps;
    int * const *channel_fields = NULL;
    guint64 caps_end;

    nc_item = proto_tree_add_item_ret_uint(tree, hf_link_num_common_caps, mess, offset, 4, ENC_LITTLE_ENDIAN, &nc);
    nch_item = proto_tree_add_item_ret_uint(tree, hf_link_num_channel_caps, mess, offset + 4, 4, ENC_LITTLE_ENDIAN, &nch);
    off_item = proto_tree_add_item_ret_uint(tree, hf_link_caps_offset, mess, offset + 8, 4, ENC_LITTLE_ENDIAN, &caps_offset);

    caps_end = (guint64)caps_offset + 4 * ((guint64)nc + nch);
    if (nc > SPP_LINK_MAX_CAP_WORDS || nch > SPP_LINK_MAX_CAP_WORDS || caps_end > len) {
        expert_add_info_format(pinfo, nc > SPP_LINK_MAX_CAP_WORDS || caps_end > len ? nc_item : nch_item,
                               &ei_spp_cap_count,
                               "Cap counts %u + %u do not fit: at most %u words each, %u bytes of message",
                               nc, nch, SPP_LINK_MAX_CAP_WORDS, len);
    }
    if (nc == 0 && nch == 0)    /* refusals carry no caps and a zero offset */
        return;
    if (caps_offset < fixed_len || caps_offset > len) {
        expert_add_info_format(pinfo, off_item, &ei_spp_bad_caps_offset,
                               "Caps offset %u outside %u..%u", caps_offset, fixed_len, len);
        return;
    }
    if (caps_offset > fixed_len)
        proto_tree_add_item(tree, hf_link_unused, mess, fixed_len, caps_offset - fixed_len, ENC_NA);

    if (ctx->st->channel_type == SPP_CHANNEL_POWER) {
        channel_hf = ctx->dir == SPP_FROM_CLIENT ? hf_client_caps : hf_server_caps;
        channel_fields = ctx->dir == SPP_FROM_CLIENT ? client_cap_fields : server_cap_fields;
    }
    ctx->st->common_caps[ctx->dir] =
        spp_link_cap_words(mess, tree, caps_offset, nc, "Common capabilities", hf_common_caps, common_cap_fields, &ti);
    if (nc <= SPP_LINK_MAX_CAP_WORDS && caps_offset + 4 * nc <= len) {
        ctx->st->channel_caps[ctx->dir] =
            spp_link_cap_words(mess, tree, caps_offset + 4 * nc, nch, "Channel capabilities",
                               channel_hf, channel_fields, &ti);
        if (channel_fields && nch > 0 && (ctx->st->channel_caps[ctx->dir] & SPP_CAP_MASK(SPP_POWER_CAP_RESERVED)))
            expert_add_info(pinfo, ti, &ei_spp_reserved_cap);
    }
    if (caps_end < len)
        proto_tree_add_item(tree, hf_link_unused, mess, (int)caps_end, len - (int)caps_end, ENC_NA);
}

static void
spp_link_client(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx)
{
    tvbuff_t *mess;
    proto_tree *mt;
    proto_item *ti;
    guint32 type, id;

    ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_AUTH;
    mess = spp_link_header(tvb, pinfo, tree, SPP_LINK_MESS_MIN_SIZE);
    mt = proto_tree_add_subtree(tree, mess, 0, -1, ett_link_mess, NULL, "Link message");
    proto_tree_add_item(mt, hf_link_connection_id, mess, 0, 4, ENC_LITTLE_ENDIAN);
    proto_tree_add_item_ret_uint(mt, hf_link_channel_type, mess, 4, 1, ENC_NA, &type);
    ti = proto_tree_add_item_ret_uint(mt, hf_link_channel_id, mess, 5, 1, ENC_NA, &id);
    ctx->st->channel_type = (guint8)type;
    ctx->st->channel_id = (guint8)id;
    if (type == SPP_CHANNEL_POWER && id != SPP_POWER_CHANNEL_ID)
        expert_add_info_format(pinfo, ti, &ei_spp_channel_id, "Power channel id %u, only %u is defined",
                               id, SPP_POWER_CHANNEL_ID);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, ", ", "LINK %s:%u",
                        spp_val_to_str(pinfo->pool, type, spp_channel_type_vals, "channel %u"), id);
    spp_link_caps(mess, pinfo, mt, 6, SPP_LINK_MESS_SIZE, ctx);
    ctx->st->link_seen[SPP_FROM_CLIENT] = TRUE;
}

static void
spp_link_server(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx)
{
    tvbuff_t *mess;
    proto_tree *mt;
    proto_item *ti;
    guint32 error;

    ctx->st->phase[SPP_FROM_SERVER] = SPP_PHASE_LINK_RESULT;
    mess = spp_link_header(tvb, pinfo, tree, SPP_LINK_REPLY_SIZE);
    mt = proto_tree_add_subtree(tree, mess, 0, -1, ett_link_mess, NULL, "Link reply");
    ti = proto_tree_add_item_ret_uint(mt, hf_link_error, mess, 0, 4, ENC_LITTLE_ENDIAN, &error);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, ", ", "LINK_REPLY %s",
                        spp_val_to_str(pinfo->pool, error, spp_link_error_vals, "error %u"));
    if (error != SPP_LINK_ERR_OK) {
        expert_add_info_format(pinfo, ti, &ei_spp_link_error, "Link refused: %s",
                               spp_val_to_str(pinfo->pool, error, spp_link_error_vals, "error %u"));
        /* The server closes the connection; nothing after this can be followed. */
        ctx->st->phase[SPP_FROM_SERVER] = SPP_PHASE_OPAQUE;
        ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_OPAQUE;
    }
    proto_tree_add_item(mt, hf_link_pub_key, mess, 4, SPP_TICKET_PUBKEY_BYTES, ENC_NA);
    spp_link_caps(mess, pinfo, mt, 4 + SPP_TICKET_PUBKEY_BYTES, SPP_LINK_REPLY_SIZE, ctx);
    ctx->st->link_seen[SPP_FROM_SERVER] = TRUE;
}

int
spp_link_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, spp_ctx_t *ctx)
{
    proto_item *ti;
    guint32 value;

    switch (ctx->st->phase[ctx->dir]) {
    case SPP_PHASE_LINK:
        if (ctx->dir == SPP_FROM_CLIENT)
            spp_link_client(tvb, pinfo, tree, ctx);
        else
            spp_link_server(tvb, pinfo, tree, ctx);
        break;
    case SPP_PHASE_AUTH_MECH:
        ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_OPAQUE;
        ti = proto_tree_add_item_ret_uint(tree, hf_auth_mechanism, tvb, 0, 4, ENC_LITTLE_ENDIAN, &value);
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, ", ", "AUTH_MECHANISM %s",
                            spp_val_to_str(pinfo->pool, value, spp_auth_mechanism_vals, "%u"));
        ctx->st->auth_mech = value;
        if (value == SPP_AUTH_MECHANISM_SPICE) {
            ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_TICKET;
        } else if (value == SPP_AUTH_MECHANISM_SASL) {
            ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_SASL;
            ctx->st->phase[SPP_FROM_SERVER] = SPP_PHASE_SASL;
        } else {
            expert_add_info_format(pinfo, ti, &ei_spp_bad_value, "Unknown auth mechanism %u", value);
        }
        break;
    case SPP_PHASE_TICKET:
        ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_DATA;
        proto_tree_add_item(tree, hf_ticket, tvb, 0, SPP_TICKET_ENCRYPTED_BYTES, ENC_NA);
        col_append_sep_str(pinfo->cinfo, COL_INFO, ", ", "TICKET");
        break;
    case SPP_PHASE_LINK_RESULT:
        ctx->st->phase[SPP_FROM_SERVER] = SPP_PHASE_DATA;
        ti = proto_tree_add_item_ret_uint(tree, hf_link_result, tvb, 0, 4, ENC_LITTLE_ENDIAN, &value);
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, ", ", "LINK_RESULT %s",
                            spp_val_to_str(pinfo->pool, value, spp_link_error_vals, "error %u"));
        if (value != SPP_LINK_ERR_OK) {
            expert_add_info_format(pinfo, ti, &ei_spp_link_error, "Link refused: %s",
                                   spp_val_to_str(pinfo->pool, value, spp_link_error_vals, "error %u"));
            ctx->st->phase[SPP_FROM_SERVER] = SPP_PHASE_OPAQUE;
            ctx->st->phase[SPP_FROM_CLIENT] = SPP_PHASE_OPAQUE;
        }
        break;
    default:
        DISSECTOR_ASSERT_NOT_REACHED();
    }
    return tvb_captured_length(tvb);
}

void
spp_link_register(expert_module_t *expert)
{
#define CAP_BIT(var, name, abbrev, bit, blurb) \
    { &var, { name, abbrev, FT_BOOLEAN, 32, TFS(&tfs_set_notset), SPP_CAP_MASK(bit), blurb, HFILL } }
    static hf_register_info hf[] = {
        { &hf_link_magic,
          { "Magic", "spicepower.link.magic", FT_STRING, BASE_NONE, NULL, 0x0, "\"" SPP_LINK_MAGIC "\"", HFILL } },
        { &hf_link_major,
          { "Major version", "spicepower.link.major", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_link_minor,
          { "Minor version", "spicepower.link.minor", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_link_size,
          { "Size", "spicepower.link.size", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes that follow the link header", HFILL } },
        { &hf_link_connection_id,
          { "Connection id", "spicepower.link.connection_id", FT_UINT32, BASE_DEC_HEX, NULL, 0x0,
            "Session id from the main channel's MAIN_INIT (0 for a new session)", HFILL } },
        { &hf_link_channel_type,
          { "Channel type", "spicepower.link.channel_type", FT_UINT8, BASE_DEC, VALS(spp_channel_type_vals), 0x0,
            NULL, HFILL } },
        { &hf_link_channel_id,
          { "Channel id", "spicepower.link.channel_id", FT_UINT8, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_link_num_common_caps,
          { "Common caps words", "spicepower.link.num_common_caps", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_link_num_channel_caps,
          { "Channel caps words", "spicepower.link.num_channel_caps", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_link_caps_offset,
          { "Caps offset", "spicepower.link.caps_offset", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Offset of the cap words from the start of the link message or reply", HFILL } },
        { &hf_link_error,
          { "Error", "spicepower.link.error", FT_UINT32, BASE_DEC, VALS(spp_link_error_vals), 0x0, NULL, HFILL } },
        { &hf_link_pub_key,
          { "Public key", "spicepower.link.pub_key", FT_BYTES, BASE_NONE, NULL, 0x0,
            "RSA-1024 SubjectPublicKeyInfo (DER) for the ticket", HFILL } },
        { &hf_link_unused,
          { "Unused", "spicepower.link.unused", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Bytes of the link message outside its fields and caps", HFILL } },
        { &hf_common_caps,
          { "Common caps", "spicepower.common_caps", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        CAP_BIT(hf_common_cap_auth_selection, "AUTH_SELECTION", "spicepower.common_cap.auth_selection",
                SPP_COMMON_CAP_AUTH_SELECTION, "Auth mechanism selection"),
        CAP_BIT(hf_common_cap_auth_spice, "AUTH_SPICE", "spicepower.common_cap.auth_spice",
                SPP_COMMON_CAP_AUTH_SPICE, "SPICE ticket authentication"),
        CAP_BIT(hf_common_cap_auth_sasl, "AUTH_SASL", "spicepower.common_cap.auth_sasl",
                SPP_COMMON_CAP_AUTH_SASL, "SASL authentication"),
        CAP_BIT(hf_common_cap_mini_header, "MINI_HEADER", "spicepower.common_cap.mini_header",
                SPP_COMMON_CAP_MINI_HEADER, "6-byte data header"),
        { &hf_common_cap_unknown,
          { "Undefined bits", "spicepower.common_cap.unknown", FT_UINT32, BASE_HEX, NULL, 0xfffffff0, NULL, HFILL } },
        { &hf_client_caps,
          { "Client power caps", "spicepower.client_caps", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        CAP_BIT(hf_client_cap_reserved, "Reserved", "spicepower.client_cap.reserved", SPP_POWER_CAP_RESERVED,
                "Must be 0"),
        CAP_BIT(hf_client_cap_reset, "RESET", "spicepower.client_cap.reset", SPP_POWER_CAP_RESET, NULL),
        CAP_BIT(hf_client_cap_poweroff, "POWEROFF", "spicepower.client_cap.poweroff", SPP_POWER_CAP_POWEROFF, NULL),
        CAP_BIT(hf_client_cap_poweron, "POWERON", "spicepower.client_cap.poweron", SPP_POWER_CAP_POWERON, NULL),
        CAP_BIT(hf_client_cap_state, "STATE", "spicepower.client_cap.state", SPP_POWER_CAP_STATE,
                "Client accepts STATE messages"),
        CAP_BIT(hf_client_cap_result, "RESULT", "spicepower.client_cap.result", SPP_POWER_CAP_RESULT,
                "Client accepts RESULT messages"),
        { &hf_client_cap_unknown,
          { "Undefined bits", "spicepower.client_cap.unknown", FT_UINT32, BASE_HEX, NULL, 0xffffffc0, NULL, HFILL } },
        { &hf_server_caps,
          { "Server power caps", "spicepower.server_caps", FT_UINT32, BASE_HEX, NULL, 0x0, NULL, HFILL } },
        CAP_BIT(hf_server_cap_reserved, "Reserved", "spicepower.server_cap.reserved", SPP_POWER_CAP_RESERVED,
                "Must be 0"),
        CAP_BIT(hf_server_cap_reset, "RESET", "spicepower.server_cap.reset", SPP_POWER_CAP_RESET,
                "Server offers RESET"),
        CAP_BIT(hf_server_cap_poweroff, "POWEROFF", "spicepower.server_cap.poweroff", SPP_POWER_CAP_POWEROFF,
                "Server offers POWEROFF"),
        CAP_BIT(hf_server_cap_poweron, "POWERON", "spicepower.server_cap.poweron", SPP_POWER_CAP_POWERON,
                "Server offers POWERON"),
        CAP_BIT(hf_server_cap_state, "STATE", "spicepower.server_cap.state", SPP_POWER_CAP_STATE,
                "Server can send STATE"),
        CAP_BIT(hf_server_cap_result, "RESULT", "spicepower.server_cap.result", SPP_POWER_CAP_RESULT,
                "Server can send RESULT"),
        { &hf_server_cap_unknown,
          { "Undefined bits", "spicepower.server_cap.unknown", FT_UINT32, BASE_HEX, NULL, 0xffffffc0, NULL, HFILL } },
        { &hf_channel_caps,
          { "Channel caps", "spicepower.channel_caps", FT_UINT32, BASE_HEX, NULL, 0x0,
            "First channel caps word of a channel other than power", HFILL } },
        { &hf_cap_word,
          { "Cap word", "spicepower.cap_word", FT_UINT32, BASE_HEX, NULL, 0x0,
            "Cap word beyond the first of its group (no bits defined)", HFILL } },
        { &hf_auth_mechanism,
          { "Auth mechanism", "spicepower.auth.mechanism", FT_UINT32, BASE_DEC, VALS(spp_auth_mechanism_vals), 0x0,
            NULL, HFILL } },
        { &hf_ticket,
          { "Ticket", "spicepower.ticket", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Password encrypted with RSA-OAEP under the server's key", HFILL } },
        { &hf_link_result,
          { "Link result", "spicepower.link.result", FT_UINT32, BASE_DEC, VALS(spp_link_error_vals), 0x0,
            NULL, HFILL } },
    };
#undef CAP_BIT
    static gint *ett[] = { &ett_link_header, &ett_link_mess, &ett_caps, &ett_cap_bits };
    static ei_register_info ei[] = {
        { &ei_spp_reserved_cap,
          { "spicepower.expert.reserved_cap", PI_PROTOCOL, PI_WARN,
            "Reserved power cap bit 0 is set", EXPFILL } },
        { &ei_spp_cap_count,
          { "spicepower.expert.cap_count", PI_MALFORMED, PI_ERROR,
            "Absurd cap counts", EXPFILL } },
        { &ei_spp_size_beyond_data,
          { "spicepower.expert.size_beyond_data", PI_MALFORMED, PI_ERROR,
            "Message size beyond the data present", EXPFILL } },
        { &ei_spp_link_error,
          { "spicepower.expert.link_error", PI_RESPONSE_CODE, PI_WARN,
            "Link refused", EXPFILL } },
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
        { &ei_spp_bad_caps_offset,
          { "spicepower.expert.caps_offset", PI_MALFORMED, PI_ERROR,
            "Caps offset outside the link message", EXPFILL } },
        { &ei_spp_bad_value,
          { "spicepower.expert.bad_value", PI_PROTOCOL, PI_WARN,
            "Value not defined by the protocol", EXPFILL } },
    };

    proto_register_field_array(proto_spicepower, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert, ei, array_length(ei));
}
