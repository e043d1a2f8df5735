/* Data messages after the link: mini or full header, and the base channel's housekeeping
 * (PING -> PONG, SET_ACK -> ACK_SYNC, an ACK every `window` messages) done transparently. */
#include <stdlib.h>
#include <string.h>

#include "spp_conn_private.h"

#define SPP_MAX_MESSAGE_SIZE (64u * 1024 * 1024)

int spp_send(SppConn *conn, uint16_t type, const void *body, uint32_t size)
{
    if (!conn->linked)
        return spp_fail(conn, SPP_ERR_USAGE, "send: channel not linked");
    uint8_t hdr[SPP_DATA_HEADER_SIZE];
    size_t hlen;
    if (conn->mini_header) {
        spp_put_le16(hdr + offsetof(SppMiniDataHeader, type), type);
        spp_put_le32(hdr + offsetof(SppMiniDataHeader, size), size);
        hlen = SPP_MINI_DATA_HEADER_SIZE;
    } else {
        spp_put_le64(hdr + offsetof(SppDataHeader, serial), ++conn->send_serial);
        spp_put_le16(hdr + offsetof(SppDataHeader, type), type);
        spp_put_le32(hdr + offsetof(SppDataHeader, size), size);
        spp_put_le32(hdr + offsetof(SppDataHeader, sub_list), 0);
        hlen = SPP_DATA_HEADER_SIZE;
    }
    int64_t deadline = spp_io_deadline(SPP_DEFAULT_TIMEOUT_MS);
    int st = spp_write_all(conn, hdr, hlen, deadline);
    if (st == SPP_OK && size > 0)
        st = spp_write_all(conn, body, size, deadline);
    if (st != SPP_OK)
        return spp_fail(conn, st, "sending message %u: %s", type, conn->error);
    return SPP_OK;
}

void spp_message_clear(SppMessage *msg)
{
    if (msg) {
        free(msg->data);
        memset(msg, 0, sizeof(*msg));
    }
}

/* Read one whole message, whatever its type. */
static int read_message(SppConn *conn, SppMessage *msg, int64_t deadline)
{
    size_t hlen = conn->mini_header ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
    int st = spp_fill(conn, hlen, deadline);
    if (st != SPP_OK)
        return st;
    const uint8_t *h = conn->rbuf + conn->rpos;
    uint16_t type;
    uint32_t size;
    uint64_t serial = 0;
    if (conn->mini_header) {
        type = spp_le16(h + offsetof(SppMiniDataHeader, type));
        size = spp_le32(h + offsetof(SppMiniDataHeader, size));
    } else {
        serial = spp_le64(h + offsetof(SppDataHeader, serial));
        type = spp_le16(h + offsetof(SppDataHeader, type));
        size = spp_le32(h + offsetof(SppDataHeader, size));
    }
    if (size > SPP_MAX_MESSAGE_SIZE)
        return spp_fail(conn, SPP_ERR_PROTOCOL, "message %u: size %u is too large", type, size);
    /* header and body together, so a timeout never leaves half a message consumed */
    st = spp_fill(conn, hlen + size, deadline);
    if (st != SPP_OK)
        return st;
    uint8_t *data = malloc((size_t)size + 1);
    if (!data)
        return spp_fail(conn, SPP_ERR_IO, "out of memory for message %u (%u bytes)", type, size);
    spp_take(conn, NULL, hlen);
    spp_take(conn, data, size);
    data[size] = 0;
    msg->type = type;
    msg->size = size;
    msg->data = data;
    msg->serial = serial;
    conn->stats.messages_received++;
    return SPP_OK;
}

static int count_for_ack(SppConn *conn)
{
    if (conn->ack_window == 0)
        return SPP_OK;
    if (++conn->ack_count < conn->ack_window)
        return SPP_OK;
    conn->ack_count = 0;
    conn->stats.acks_sent++;
    return spp_send(conn, SPP_MSGC_ACK, NULL, 0);
}

/* Answer PING and SET_ACK; returns 1 if the message was consumed here. */
static int handle_base(SppConn *conn, const SppMessage *msg, int *status)
{
    *status = SPP_OK;
    if (msg->type == SPP_MSG_PING) {
        if (msg->size < SPP_MSG_PING_SIZE) {
            *status = spp_fail(conn, SPP_ERR_PROTOCOL, "PING of %u bytes", msg->size);
            return 1;
        }
        conn->stats.pings_answered++;
        *status = spp_send(conn, SPP_MSGC_PONG, msg->data, SPP_MSG_PING_SIZE);
        return 1;
    }
    if (msg->type == SPP_MSG_SET_ACK) {
        if (msg->size < SPP_MSG_SET_ACK_SIZE) {
            *status = spp_fail(conn, SPP_ERR_PROTOCOL, "SET_ACK of %u bytes", msg->size);
            return 1;
        }
        uint8_t gen[4];
        memcpy(gen, msg->data + offsetof(SppMsgSetAck, generation), 4);
        conn->ack_window = spp_le32(msg->data + offsetof(SppMsgSetAck, window));
        conn->ack_count = 0;
        conn->stats.ack_syncs_sent++;
        *status = spp_send(conn, SPP_MSGC_ACK_SYNC, gen, sizeof(gen));
        return 1;
    }
    return 0;
}

int spp_recv(SppConn *conn, SppMessage *msg, int timeout_ms)
{
    memset(msg, 0, sizeof(*msg));
    if (!conn->linked)
        return spp_fail(conn, SPP_ERR_USAGE, "receive: channel not linked");
    int64_t deadline = spp_io_deadline(timeout_ms);
    for (;;) {
        SppMessage m;
        int st = read_message(conn, &m, deadline);
        if (st != SPP_OK)
            return st;
        int is_ack_sync = m.type == SPP_MSG_SET_ACK;
        int consumed = handle_base(conn, &m, &st);
        if (st == SPP_OK && !is_ack_sync)
            st = count_for_ack(conn);
        if (st != SPP_OK || consumed) {
            spp_message_clear(&m);
            if (st != SPP_OK)
                return st;
            continue;
        }
        *msg = m;
        return SPP_OK;
    }
}

int spp_recv_type(SppConn *conn, uint16_t type, SppMessage *msg, int timeout_ms)
{
    int64_t deadline = spp_io_deadline(timeout_ms);
    for (;;) {
        int left = -1;
        if (deadline >= 0) {
            int64_t l = deadline - spp_io_now_ms();
            left = l < 0 ? 0 : (int)l;
        }
        int st = spp_recv(conn, msg, left);
        if (st != SPP_OK)
            return st;
        if (msg->type == type)
            return SPP_OK;
        spp_message_clear(msg);
    }
}
