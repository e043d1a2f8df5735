/* Raw bytes towards the endpoint: link messages, data messages with the mini header, connections
 * that end with an RST, and a logged-in power session for the attacks that need one. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "hostile.h"
#include "spp_io.h"

#define CLIENT_COMMON_CAPS                                                                                           \
    (SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) | SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE) |                         \
     SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER))

gsize hostile_link_bytes(guint8 buf[HOSTILE_LINK_MAX], guint32 connection_id, guint8 type, guint8 id,
                         guint32 channel_caps)
{
    const gsize body = SPP_LINK_MESS_SIZE + 2 * 4;
    memset(buf, 0, HOSTILE_LINK_MAX);
    memcpy(buf, SPP_LINK_MAGIC, 4);
    spp_put_le32(buf + 4, SPP_VERSION_MAJOR);
    spp_put_le32(buf + 8, SPP_VERSION_MINOR);
    spp_put_le32(buf + 12, (guint32)body);
    guint8 *m = buf + SPP_LINK_HEADER_SIZE;
    spp_put_le32(m + offsetof(SppLinkMess, connection_id), connection_id);
    m[offsetof(SppLinkMess, channel_type)] = type;
    m[offsetof(SppLinkMess, channel_id)] = id;
    spp_put_le32(m + offsetof(SppLinkMess, num_common_caps), 1);
    spp_put_le32(m + offsetof(SppLinkMess, num_channel_caps), 1);
    spp_put_le32(m + offsetof(SppLinkMess, caps_offset), SPP_LINK_MESS_SIZE);
    spp_put_le32(m + SPP_LINK_MESS_SIZE, CLIENT_COMMON_CAPS);
    spp_put_le32(m + SPP_LINK_MESS_SIZE + 4, channel_caps);
    return SPP_LINK_HEADER_SIZE + body;
}

GByteArray *hostile_mini_message(guint16 type, guint32 size, gsize body_len)
{
    GByteArray *msg = g_byte_array_sized_new((guint)(SPP_MINI_DATA_HEADER_SIZE + body_len));
    guint8 header[SPP_MINI_DATA_HEADER_SIZE];
    spp_put_le16(header, type);
    spp_put_le32(header + 2, size);
    g_byte_array_append(msg, header, sizeof header);
    g_byte_array_set_size(msg, (guint)(SPP_MINI_DATA_HEADER_SIZE + body_len));
    memset(msg->data + SPP_MINI_DATA_HEADER_SIZE, 0, body_len);
    return msg;
}

SppConn *hostile_connect(const HostileTarget *target, GError **error)
{
    SppConn *conn = spp_conn_new();
    int st = spp_conn_connect(conn, target->host, target->port, HOSTILE_ANSWER_MS);
    if (st == SPP_OK)
        return conn;
    g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_SETUP, "connect: %s", spp_conn_error(conn));
    spp_conn_free(conn);
    return NULL;
}

gboolean hostile_send(SppConn *conn, const void *bytes, gsize length, GError **error)
{
    int st = spp_send_raw(conn, bytes, length, HOSTILE_ANSWER_MS);
    if (st == SPP_OK)
        return TRUE;
    g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_SETUP, "send: %s", spp_conn_error(conn));
    return FALSE;
}

/* One recv() after waiting for data: >0 bytes, 0 closed (EOF or RST), -1 timed out. */
static gssize read_once(int fd, guint8 *buf, gsize cap, gint64 deadline)
{
    for (;;) {
        if (spp_io_wait_fd(fd, POLLIN, deadline) <= 0)
            return -1;
        gssize n = recv(fd, buf, cap, 0);
        if (n > 0)
            return n;
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            return 0;
    }
}

gboolean hostile_wait_closed(SppConn *conn, int timeout_ms, gsize *got)
{
    gint64 deadline = spp_io_deadline(timeout_ms);
    guint8 sink[4096];
    gsize total = 0;
    gssize n;
    while ((n = read_once(spp_conn_fd(conn), sink, sizeof sink, deadline)) > 0)
        total += (gsize)n;
    if (got)
        *got = total;
    return n == 0;
}

gsize hostile_read_bytes(SppConn *conn, guint8 *buf, gsize want, int timeout_ms)
{
    gint64 deadline = spp_io_deadline(timeout_ms);
    gsize total = 0;
    gssize n = 1;
    while (total < want && (n = read_once(spp_conn_fd(conn), buf + total, want - total, deadline)) > 0)
        total += (gsize)n;
    return total;
}

void hostile_close_with_reset(SppConn *conn)
{
    /* Linger on with a zero timeout: close() discards what is unsent and sends an RST. */
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    if (spp_conn_fd(conn) >= 0)
        setsockopt(spp_conn_fd(conn), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    spp_conn_free(conn);
}

gboolean hostile_power_session(const HostileTarget *target, SppPowerSession **session, SppPowerChannel **power,
                               GError **error)
{
    *session = spp_power_session_open(target->host, target->port, target->password, 0, HOSTILE_ANSWER_MS, error);
    if (!*session)
        return FALSE;
    *power = spp_power_channel_new();
    if (!spp_power_channel_link(*power, *session, SPP_POWER_CHANNEL_ID, HOSTILE_POWER_CAPS, target->password,
                                HOSTILE_ANSWER_MS, error))
        return FALSE;
    return spp_power_channel_expect_state(*power, HOSTILE_ANSWER_MS, error) >= 0;
}
