/* The link handshake: SpiceLinkHeader + SpiceLinkMess + caps, SpiceLinkReply, auth
 * mechanism selection, the encrypted ticket and the u32 link result. */
#include <stdlib.h>
#include <string.h>

#include "spp_conn_private.h"

static const uint32_t default_common_caps[1] = {
    SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) | SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE) |
    SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER)};

void spp_link_params_init(SppLinkParams *params, uint8_t channel_type, uint8_t channel_id)
{
    memset(params, 0, sizeof(*params));
    params->channel_type = channel_type;
    params->channel_id = channel_id;
    params->common_caps = default_common_caps;
    params->num_common_caps = 1;
}

int spp_conn_mini_header(const SppConn *conn)
{
    return conn->mini_header;
}

int spp_link_info_has_channel_cap(const SppLinkInfo *info, unsigned cap)
{
    uint32_t n = info->num_channel_caps < SPP_CLIENT_KEPT_CAP_WORDS ? info->num_channel_caps : SPP_CLIENT_KEPT_CAP_WORDS;
    return spp_caps_test(info->channel_caps, n, cap);
}

int spp_link_info_has_common_cap(const SppLinkInfo *info, unsigned cap)
{
    uint32_t n = info->num_common_caps < SPP_CLIENT_KEPT_CAP_WORDS ? info->num_common_caps : SPP_CLIENT_KEPT_CAP_WORDS;
    return spp_caps_test(info->common_caps, n, cap);
}

static int send_link_mess(SppConn *conn, const SppLinkParams *p, int64_t deadline)
{
    uint32_t ncaps = p->num_common_caps + p->num_channel_caps;
    if (p->num_common_caps > SPP_LINK_MAX_CAP_WORDS || p->num_channel_caps > SPP_LINK_MAX_CAP_WORDS)
        return spp_fail(conn, SPP_ERR_USAGE, "link: too many cap words");
    size_t body = SPP_LINK_MESS_SIZE + 4u * ncaps;
    size_t total = SPP_LINK_HEADER_SIZE + body;
    uint8_t *buf = calloc(1, total);
    if (!buf)
        return spp_fail(conn, SPP_ERR_IO, "link: out of memory");
    memcpy(buf, SPP_LINK_MAGIC, 4);
    spp_put_le32(buf + 4, SPP_VERSION_MAJOR);
    spp_put_le32(buf + 8, SPP_VERSION_MINOR);
    spp_put_le32(buf + 12, (uint32_t)body);
    uint8_t *m = buf + SPP_LINK_HEADER_SIZE;
    spp_put_le32(m + offsetof(SppLinkMess, connection_id), p->connection_id);
    m[offsetof(SppLinkMess, channel_type)] = p->channel_type;
    m[offsetof(SppLinkMess, channel_id)] = p->channel_id;
    spp_put_le32(m + offsetof(SppLinkMess, num_common_caps), p->num_common_caps);
    spp_put_le32(m + offsetof(SppLinkMess, num_channel_caps), p->num_channel_caps);
    spp_put_le32(m + offsetof(SppLinkMess, caps_offset), SPP_LINK_MESS_SIZE);
    uint8_t *c = m + SPP_LINK_MESS_SIZE;
    for (uint32_t i = 0; i < p->num_common_caps; i++, c += 4)
        spp_put_le32(c, p->common_caps[i]);
    for (uint32_t i = 0; i < p->num_channel_caps; i++, c += 4)
        spp_put_le32(c, p->channel_caps[i]);
    int st = spp_write_all(conn, buf, total, deadline);
    free(buf);
    return st;
}

static int read_link_reply(SppConn *conn, SppLinkInfo *info, int64_t deadline)
{
    uint8_t hdr[SPP_LINK_HEADER_SIZE];
    int st = spp_fill(conn, sizeof(hdr), deadline);
    if (st != SPP_OK)
        return spp_fail(conn, st, "link reply: %s", conn->error);
    spp_take(conn, hdr, sizeof(hdr));
    if (memcmp(hdr, SPP_LINK_MAGIC, 4) != 0)
        return spp_fail(conn, SPP_ERR_PROTOCOL, "link reply: bad magic %02x%02x%02x%02x",
                        hdr[0], hdr[1], hdr[2], hdr[3]);
    uint32_t major = spp_le32(hdr + 4), size = spp_le32(hdr + 12);
    if (size < 4 || size > 65536)
        return spp_fail(conn, SPP_ERR_PROTOCOL, "link reply: bad size %u", size);
    st = spp_fill(conn, size, deadline);
    if (st != SPP_OK)
        return spp_fail(conn, st, "link reply body: %s", conn->error);
    const uint8_t *r = conn->rbuf + conn->rpos;
    info->reply_received = 1;
    info->error = spp_le32(r);
    if (info->error != SPP_LINK_ERR_OK) {
        spp_take(conn, NULL, size);
        return spp_fail(conn, SPP_ERR_LINK, "link refused by the server: %s (%u)",
                        spp_link_error_name(info->error), info->error);
    }
    if (major != SPP_VERSION_MAJOR)
        return spp_fail(conn, SPP_ERR_PROTOCOL, "link reply: protocol major %u, expected %u",
                        major, SPP_VERSION_MAJOR);
    if (size < SPP_LINK_REPLY_SIZE)
        return spp_fail(conn, SPP_ERR_PROTOCOL, "link reply: %u bytes, expected at least %u",
                        size, SPP_LINK_REPLY_SIZE);
    memcpy(info->pub_key, r + offsetof(SppLinkReply, pub_key), SPP_TICKET_PUBKEY_BYTES);
    uint32_t ncc = spp_le32(r + offsetof(SppLinkReply, num_common_caps));
    uint32_t nch = spp_le32(r + offsetof(SppLinkReply, num_channel_caps));
    uint32_t off = spp_le32(r + offsetof(SppLinkReply, caps_offset));
    if (ncc > SPP_LINK_MAX_CAP_WORDS || nch > SPP_LINK_MAX_CAP_WORDS || off > size ||
        (size - off) / 4 < ncc + nch)
        return spp_fail(conn, SPP_ERR_PROTOCOL,
                        "link reply: caps (%u common, %u channel at %u) exceed %u bytes",
                        ncc, nch, off, size);
    info->num_common_caps = ncc;
    info->num_channel_caps = nch;
    for (uint32_t i = 0; i < ncc; i++)
        if (i < SPP_CLIENT_KEPT_CAP_WORDS)
            info->common_caps[i] = spp_le32(r + off + 4 * i);
    for (uint32_t i = 0; i < nch; i++)
        if (i < SPP_CLIENT_KEPT_CAP_WORDS)
            info->channel_caps[i] = spp_le32(r + off + 4 * (ncc + i));
    spp_take(conn, NULL, size);
    return SPP_OK;
}

int spp_link(SppConn *conn, const SppLinkParams *params, SppLinkInfo *info)
{
    SppLinkInfo local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    if (conn->fd < 0)
        return spp_fail(conn, SPP_ERR_USAGE, "link: not connected");
    if (conn->linked)
        return spp_fail(conn, SPP_ERR_USAGE, "link: already linked");
    int64_t deadline = spp_io_deadline(params->timeout_ms ? params->timeout_ms : SPP_DEFAULT_TIMEOUT_MS);

    int st = send_link_mess(conn, params, deadline);
    if (st != SPP_OK)
        return st;
    st = read_link_reply(conn, info, deadline);
    if (st != SPP_OK)
        return st;

    int ours_sel = spp_caps_test(params->common_caps, params->num_common_caps,
                                 SPP_COMMON_CAP_AUTH_SELECTION);
    if (ours_sel && spp_link_info_has_common_cap(info, SPP_COMMON_CAP_AUTH_SELECTION)) {
        uint8_t mech[4];
        spp_put_le32(mech, SPP_AUTH_MECHANISM_SPICE);
        st = spp_write_all(conn, mech, sizeof(mech), deadline);
        if (st != SPP_OK)
            return spp_fail(conn, st, "auth selection: %s", conn->error);
    }

    uint8_t ticket[SPP_TICKET_ENCRYPTED_BYTES];
    char err[256];
    st = spp_ticket_encrypt(info->pub_key, sizeof(info->pub_key), params->password, ticket, err,
                            sizeof(err));
    if (st != SPP_OK)
        return spp_fail(conn, st, "%s", err);
    st = spp_write_all(conn, ticket, sizeof(ticket), deadline);
    if (st != SPP_OK)
        return spp_fail(conn, st, "sending the ticket: %s", conn->error);

    st = spp_fill(conn, 4, deadline);
    if (st != SPP_OK)
        return spp_fail(conn, st, "link result: %s", conn->error);
    uint8_t res[4];
    spp_take(conn, res, 4);
    info->result_received = 1;
    info->result = spp_le32(res);
    if (info->result != SPP_LINK_ERR_OK)
        return spp_fail(conn, SPP_ERR_LINK, "link result: %s (%u)",
                        spp_link_error_name(info->result), info->result);

    conn->linked = 1;
    conn->mini_header =
        spp_caps_test(params->common_caps, params->num_common_caps, SPP_COMMON_CAP_MINI_HEADER) &&
        spp_link_info_has_common_cap(info, SPP_COMMON_CAP_MINI_HEADER);
    return SPP_OK;
}
