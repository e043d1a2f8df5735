/* The server end of a spice-gtk power channel: see gtk_power_server.h. */
#include "gtk_power_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "spicepower/protocol.h"

static EVP_PKEY *key;
static uint8_t pubkey[SPP_TICKET_PUBKEY_BYTES];

void gps_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_gtk_power_channel: invariant violated: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

void gps_init(void)
{
    /* the EVP_PKEY_keygen() way, not EVP_RSA_gen(): oss-fuzz's image has OpenSSL 1.1 */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024) <= 0 ||
        EVP_PKEY_keygen(ctx, &key) <= 0)
        gps_fail("no RSA-1024 key");
    EVP_PKEY_CTX_free(ctx);
    unsigned char *p = pubkey;
    if (i2d_PUBKEY(key, NULL) != SPP_TICKET_PUBKEY_BYTES || i2d_PUBKEY(key, &p) != SPP_TICKET_PUBKEY_BYTES)
        gps_fail("no RSA-1024 key whose DER SubjectPublicKeyInfo is %d bytes", SPP_TICKET_PUBKEY_BYTES);
}

int gps_open(GpsConn *c)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        gps_fail("socketpair: %s", strerror(errno));
    fcntl(sp[0], F_SETFL, fcntl(sp[0], F_GETFL) | O_NONBLOCK);
    c->fd = sp[0];
    if (c->out == NULL) {
        c->out = g_byte_array_new();
        c->in = g_byte_array_new();
    }
    g_byte_array_set_size(c->out, 0);
    g_byte_array_set_size(c->in, 0);
    c->eof = FALSE;
    c->shut = FALSE;
    return sp[1];
}

void gps_close(GpsConn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void gps_put(GpsConn *c, uint16_t type, const uint8_t *body, uint32_t len)
{
    uint8_t h[SPP_MINI_DATA_HEADER_SIZE];
    spp_put_le16(h, type);
    spp_put_le32(h + 2, len);
    g_byte_array_append(c->out, h, sizeof(h));
    if (len)
        g_byte_array_append(c->out, body, len);
}

gboolean gps_pump(GpsConn *c)
{
    gboolean moved = FALSE;
    if (c->fd < 0)
        return FALSE;
    while (c->out->len > 0) {
        ssize_t w = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE && errno != ECONNRESET)
                gps_fail("write to the client: %s", strerror(errno));
            /* a client that closed its end reads no more: what is left is dropped */
            if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
                g_byte_array_set_size(c->out, 0);
            break;
        }
        g_byte_array_remove_range(c->out, 0, (guint)w);
        moved = TRUE;
    }
    if (c->shut && c->out->len == 0) {
        shutdown(c->fd, SHUT_WR);
        c->shut = FALSE;
        moved = TRUE;
    }
    uint8_t buf[16384];
    while (!c->eof) {
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r > 0) {
            g_byte_array_append(c->in, buf, (guint)r);
            moved = TRUE;
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
            c->eof = TRUE; /* end of stream, or ECONNRESET: the client is gone either way */
            moved = TRUE;
        } else if (errno == EAGAIN) {
            break;
        }
    }
    return moved;
}

gboolean gps_take(GpsConn *c, uint16_t *type, const uint8_t **body, uint32_t *len)
{
    static GByteArray *last;
    if (last == NULL)
        last = g_byte_array_new();
    if (c->in->len < SPP_MINI_DATA_HEADER_SIZE)
        return FALSE;
    uint32_t size = spp_le32(c->in->data + 2);
    if (c->in->len - SPP_MINI_DATA_HEADER_SIZE < size)
        return FALSE;
    *type = spp_le16(c->in->data);
    *len = size;
    g_byte_array_set_size(last, 0);
    g_byte_array_append(last, c->in->data + SPP_MINI_DATA_HEADER_SIZE, size);
    *body = last->data;
    g_byte_array_remove_range(c->in, 0, SPP_MINI_DATA_HEADER_SIZE + size);
    return TRUE;
}

/* Turn the client until `n` bytes from it are there. */
static void wait_in(GpsConn *c, guint n, GpsSpin spin, const char *what)
{
    for (int idle = 0; c->in->len < n;) {
        gboolean moved = gps_pump(c);
        moved |= spin();
        if (c->eof && c->in->len < n)
            gps_fail("link: the client closed the connection before sending %s", what);
        idle = moved ? 0 : idle + 1;
        if (idle > 3)
            gps_fail("link: the client is stuck before sending %s (%u of %u bytes)", what, c->in->len, n);
    }
}

/* The client's SpiceLinkHeader and SpiceLinkMess (§3.1): what spice-gtk must send for channel 12. */
static void check_link_mess(GpsConn *c, uint8_t channel_id, GpsSpin spin)
{
    wait_in(c, SPP_LINK_HEADER_SIZE, spin, "its link header");
    const uint8_t *h = c->in->data;
    uint32_t size = spp_le32(h + 12);
    if (memcmp(h, SPP_LINK_MAGIC, 4) != 0 || spp_le32(h + 4) != SPP_VERSION_MAJOR || spp_le32(h + 8) != SPP_VERSION_MINOR ||
        size < SPP_LINK_MESS_SIZE || size > SPP_LINK_MESS_MAX_SIZE)
        gps_fail("link: bad link header (version %u.%u, size %u)", spp_le32(h + 4), spp_le32(h + 8), size);
    wait_in(c, SPP_LINK_HEADER_SIZE + size, spin, "its link message");
    const uint8_t *m = c->in->data + SPP_LINK_HEADER_SIZE;
    uint32_t ncommon = spp_le32(m + 6), nchan = spp_le32(m + 10), off = spp_le32(m + 14);
    if (m[4] != SPP_CHANNEL_POWER || m[5] != channel_id)
        gps_fail("link: channel %u:%u, expected %u:%u", m[4], m[5], SPP_CHANNEL_POWER, channel_id);
    if (ncommon < 1 || nchan < 1 || off < SPP_LINK_MESS_SIZE || (uint64_t)off + 4 * ((uint64_t)ncommon + nchan) > size)
        gps_fail("link: caps (%u common, %u channel at %u) do not fit the %u-byte message", ncommon, nchan, off, size);
    uint32_t common = spp_le32(m + off), chan = spp_le32(m + off + 4 * ncommon);
    uint32_t want_common = SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) | SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER);
    /* §4.3: the client asks for STATE and RESULT; §4.4: bit 0 is sent as 0 */
    uint32_t want_chan = SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    if ((common & want_common) != want_common || (chan & want_chan) != want_chan || (chan & SPP_CAP_MASK(SPP_POWER_CAP_RESERVED)))
        gps_fail("link: the client announces common caps 0x%x and channel caps 0x%x", common, chan);
    g_byte_array_remove_range(c->in, 0, SPP_LINK_HEADER_SIZE + size);
}

static void put_link_reply(GpsConn *c, const GpsAnnounce *a)
{
    uint32_t caps_bytes = 4 * (1 + a->num_channel_caps);
    uint8_t r[SPP_LINK_HEADER_SIZE + SPP_LINK_REPLY_SIZE + 4 * 3] = {0};
    memcpy(r, SPP_LINK_MAGIC, 4);
    spp_put_le32(r + 4, SPP_VERSION_MAJOR);
    spp_put_le32(r + 8, SPP_VERSION_MINOR);
    spp_put_le32(r + 12, SPP_LINK_REPLY_SIZE + caps_bytes);
    uint8_t *p = r + SPP_LINK_HEADER_SIZE;
    spp_put_le32(p, SPP_LINK_ERR_OK);
    memcpy(p + 4, pubkey, sizeof(pubkey));
    spp_put_le32(p + 166, 1);
    spp_put_le32(p + 170, a->num_channel_caps);
    spp_put_le32(p + 174, SPP_LINK_REPLY_SIZE);
    spp_put_le32(p + SPP_LINK_REPLY_SIZE, SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) |
                                              SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE) |
                                              SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER));
    for (uint32_t i = 0; i < a->num_channel_caps; i++)
        spp_put_le32(p + SPP_LINK_REPLY_SIZE + 4 + 4 * i, a->channel_caps[i]);
    g_byte_array_append(c->out, r, SPP_LINK_HEADER_SIZE + SPP_LINK_REPLY_SIZE + caps_bytes);
}

/* The ticket is the empty password and its NUL, RSA-OAEP under this key (§3.4). */
static void check_ticket_plain(const uint8_t *ticket)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    uint8_t plain[SPP_TICKET_ENCRYPTED_BYTES];
    size_t len = sizeof(plain);
    if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
        EVP_PKEY_decrypt(ctx, plain, &len, ticket, SPP_TICKET_ENCRYPTED_BYTES) <= 0)
        gps_fail("link: the ticket does not decrypt under the server's key");
    EVP_PKEY_CTX_free(ctx);
    if (len != 1 || plain[0] != 0)
        gps_fail("link: the ticket holds %zu bytes, not the empty password", len);
}

void gps_link(GpsConn *c, const GpsAnnounce *a, uint8_t channel_id, GpsSpin spin, gboolean check_ticket)
{
    check_link_mess(c, channel_id, spin);
    put_link_reply(c, a);
    wait_in(c, 4 + SPP_TICKET_ENCRYPTED_BYTES, spin, "its auth mechanism and ticket");
    if (spp_le32(c->in->data) != SPP_AUTH_MECHANISM_SPICE)
        gps_fail("link: auth mechanism %u, the server offers only SPICE", spp_le32(c->in->data));
    if (check_ticket)
        check_ticket_plain(c->in->data + 4);
    g_byte_array_remove_range(c->in, 0, 4 + SPP_TICKET_ENCRYPTED_BYTES);
    uint8_t ok[4];
    spp_put_le32(ok, SPP_LINK_ERR_OK);
    g_byte_array_append(c->out, ok, sizeof(ok));
    gps_pump(c);
}
