/* spp_client: a small SPICE client library for tests, the conformance runner and the bridge.
 *
 * One SppConn is one SPICE channel connection over TCP: connect, link (with RSA-OAEP
 * ticket authentication), then exchange data messages. PING, SET_ACK and the ACK window
 * are answered transparently by spp_recv(). Wire constants come from
 * include/spicepower/protocol.h.
 *
 * Every function that can fail returns an SppStatus (SPP_OK == 0, errors < 0) and leaves
 * a human-readable description in spp_conn_error(). */
#ifndef SPP_CLIENT_H
#define SPP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <spicepower/protocol.h>

#include "spp_names.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SPP_OK = 0,
    SPP_ERR_IO = -1,       /* socket error or connect failure */
    SPP_ERR_TIMEOUT = -2,  /* nothing (complete) arrived in time */
    SPP_ERR_CLOSED = -3,   /* the server closed the connection */
    SPP_ERR_PROTOCOL = -4, /* the server sent something malformed */
    SPP_ERR_LINK = -5,     /* the server refused the link: see SppLinkInfo */
    SPP_ERR_AUTH = -6,     /* ticket encryption failed (bad key, password too long) */
    SPP_ERR_USAGE = -7,    /* bad arguments or wrong call order */
} SppStatus;

#define SPP_DEFAULT_TIMEOUT_MS 5000
#define SPP_CLIENT_KEPT_CAP_WORDS 16 /* caps words this library keeps from a link reply (the protocol allows SPP_LINK_MAX_CAP_WORDS) */

typedef struct SppConn SppConn;

typedef struct {
    uint32_t connection_id; /* 0 for main; the session id for other channels */
    uint8_t channel_type;   /* SPP_CHANNEL_* */
    uint8_t channel_id;
    /* NULL: AUTH_SELECTION | AUTH_SPICE | MINI_HEADER */
    const uint32_t *common_caps;
    uint32_t num_common_caps;
    const uint32_t *channel_caps;
    uint32_t num_channel_caps;
    const char *password; /* NULL: empty ticket */
    int timeout_ms;       /* per step; 0: SPP_DEFAULT_TIMEOUT_MS */
} SppLinkParams;

typedef struct {
    int reply_received;  /* a SpiceLinkReply arrived */
    uint32_t error;      /* SpiceLinkReply.error (SPP_LINK_ERR_*) */
    int result_received; /* the u32 link result after the ticket arrived */
    uint32_t result;     /* link result (SPP_LINK_ERR_*) */
    uint8_t pub_key[SPP_TICKET_PUBKEY_BYTES];
    uint32_t num_common_caps; /* as announced; words kept: min(n, SPP_CLIENT_KEPT_CAP_WORDS) */
    uint32_t num_channel_caps;
    uint32_t common_caps[SPP_CLIENT_KEPT_CAP_WORDS];
    uint32_t channel_caps[SPP_CLIENT_KEPT_CAP_WORDS];
} SppLinkInfo;

typedef struct {
    uint16_t type;
    uint32_t size;
    uint8_t *data;   /* size bytes, owned by the message; NUL-terminated for convenience */
    uint64_t serial; /* 0 with the mini header */
} SppMessage;

typedef struct {
    uint32_t pings_answered;
    uint32_t acks_sent;
    uint32_t ack_syncs_sent;
    uint64_t messages_received; /* including PING and SET_ACK */
} SppConnStats;

/* spp_conn.c: lifetime, errors, TCP */
SppConn *spp_conn_new(void); /* NULL only when out of memory */
void spp_conn_free(SppConn *conn);
const char *spp_conn_error(const SppConn *conn);
int spp_conn_connect(SppConn *conn, const char *host, int port, int timeout_ms);
/* A TCP port on 127.0.0.1 that was free a moment ago (for starting a server to test), or -1. */
int spp_free_loopback_port(void);
int spp_conn_fd(const SppConn *conn);
void spp_conn_close(SppConn *conn);
const SppConnStats *spp_conn_stats(const SppConn *conn);
/* "timeout", "closed by the server", ...: what an SppStatus means, for messages. */
const char *spp_status_name(int status);
/* Write bytes as they are (malformed input for conformance tests); works before and after link. */
int spp_send_raw(SppConn *conn, const void *buf, size_t len, int timeout_ms);

/* spp_link.c: link handshake and authentication */
void spp_link_params_init(SppLinkParams *params, uint8_t channel_type, uint8_t channel_id);
int spp_link(SppConn *conn, const SppLinkParams *params, SppLinkInfo *info);
int spp_conn_mini_header(const SppConn *conn); /* after a successful link */
int spp_link_info_has_channel_cap(const SppLinkInfo *info, unsigned cap);
int spp_link_info_has_common_cap(const SppLinkInfo *info, unsigned cap);

/* spp_ticket.c: RSA-OAEP(SHA-1, MGF1-SHA-1) of password + NUL under the DER public key */
int spp_ticket_encrypt(const uint8_t *der, size_t der_len, const char *password,
                       uint8_t out[SPP_TICKET_ENCRYPTED_BYTES], char *err, size_t err_len);

/* spp_message.c: data messages */
int spp_send(SppConn *conn, uint16_t type, const void *body, uint32_t size);
/* Waits up to timeout_ms (<0: forever) for the next message that is not PING or SET_ACK. */
int spp_recv(SppConn *conn, SppMessage *msg, int timeout_ms);
/* Like spp_recv, but skips messages until one of the given type arrives. */
int spp_recv_type(SppConn *conn, uint16_t type, SppMessage *msg, int timeout_ms);
void spp_message_clear(SppMessage *msg);

/* spp_session.c: main channel bring-up and linking further channels */
/* Links the main channel on conn, reads MAIN_INIT and sends ATTACH_CHANNELS. */
int spp_main_connect(SppConn *conn, const char *host, int port, const char *password,
                     int timeout_ms, uint32_t *session_id);
/* After spp_main_connect: waits for CHANNELS_LIST and stores up to max (type, id) pairs in
 * channels[2*i], channels[2*i+1]; *count is how many the server listed (may exceed max). */
int spp_main_channels_list(SppConn *conn, int timeout_ms, uint8_t *channels, uint32_t max, uint32_t *count);
/* Connects and links channel (type, id) of session session_id with the given channel caps. */
int spp_channel_connect(SppConn *conn, const char *host, int port, uint32_t session_id,
                        uint8_t channel_type, uint8_t channel_id, const uint32_t *channel_caps,
                        uint32_t num_channel_caps, const char *password, int timeout_ms,
                        SppLinkInfo *info);

#ifdef __cplusplus
}
#endif

#endif /* SPP_CLIENT_H */
