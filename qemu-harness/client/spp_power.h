/* spp_power: a power-channel session on top of spp_client, for the GLib programs that drive a
 * SPICE server's power channel (the conformance runner, the bridge tests, the benchmark, the
 * dissector's capture recorder).
 *
 * A session is a linked main channel (retried while the server is still starting); power
 * channels link into it. On a power channel, actions are sent and the STATE and RESULT that
 * answer them are awaited and checked (docs/power-channel.md §5, §11). Failures come back as
 * GError in SPP_POWER_ERROR; the message is the text a report shows, and the code says which
 * requirement was missed. */
#ifndef SPP_POWER_H
#define SPP_POWER_H

#include <glib.h>

#include "spp_client.h"

G_BEGIN_DECLS

#define SPP_POWER_ERROR (spp_power_error_quark())
GQuark spp_power_error_quark(void);

typedef enum {
    SPP_POWER_ERROR_MAIN_CHANNEL,  /* the main channel did not link */
    SPP_POWER_ERROR_LINK,          /* the power channel did not link */
    SPP_POWER_ERROR_SEND,          /* a message could not be sent */
    SPP_POWER_ERROR_NO_ANSWER,     /* the awaited message did not come (timeout, closed, I/O) */
    SPP_POWER_ERROR_SHORT,         /* a STATE, RESULT or NOTIFY shorter than its fixed body */
    SPP_POWER_ERROR_WRONG_REQUEST, /* a RESULT that answers another action */
} SppPowerError;

typedef struct {
    char *host;
    int port;
    uint32_t id;       /* the session id from MAIN_INIT, which other channels link with */
    SppConn *main_conn;
} SppPowerSession;

/* Links the main channel of host:port with password (NULL: empty ticket). While nothing accepts
 * the connection (a server that is starting), it is retried for up to retry_ms; each attempt
 * may take step_ms. */
SppPowerSession *spp_power_session_open(const char *host, int port, const char *password, int retry_ms,
                                        int step_ms, GError **error);
void spp_power_session_free(SppPowerSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppPowerSession, spp_power_session_free)

typedef struct {
    SppConn *conn;
    uint32_t caps;    /* the channel caps announced (SPP_CAP_MASK bits) */
    int link_status;  /* SPP_OK, or the spp_* status of the failed link */
    SppLinkInfo link; /* what the server answered, also after a refusal */
} SppPowerChannel;

SppPowerChannel *spp_power_channel_new(void);
void spp_power_channel_free(SppPowerChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppPowerChannel, spp_power_channel_free)

/* Connects and links power channel channel_id of the session, announcing caps, with password
 * (NULL: empty ticket). On FALSE, link_status, link and spp_conn_error(conn) say how it was
 * refused, and conn stays open for a client that ignores the refusal. */
gboolean spp_power_channel_link(SppPowerChannel *channel, const SppPowerSession *session, uint8_t channel_id,
                                uint32_t caps, const char *password, int timeout_ms, GError **error);

/* Sends message type with an all-zero body of `trailing` bytes (0 for a plain action). */
gboolean spp_power_channel_send(SppPowerChannel *channel, uint16_t type, size_t trailing, GError **error);

/* Waits for the next STATE, skipping other messages; returns its state, or -1 with error. */
int spp_power_channel_expect_state(SppPowerChannel *channel, int timeout_ms, GError **error);

/* Waits for the next RESULT, skipping other messages, and checks that it answers `action`. */
gboolean spp_power_channel_expect_result(SppPowerChannel *channel, uint16_t action, int timeout_ms, uint32_t *code,
                                         GError **error);

/* Sends `action` and waits for its RESULT. */
gboolean spp_power_channel_act(SppPowerChannel *channel, uint16_t action, int timeout_ms, uint32_t *code,
                               GError **error);

/* The bodies of STATE (§11.7), RESULT (§11.8) and NOTIFY (§6.4), checked for length. */
gboolean spp_power_read_state(const SppMessage *msg, int *state, GError **error);
gboolean spp_power_read_result(const SppMessage *msg, uint16_t *request, uint32_t *code, GError **error);
gboolean spp_power_read_notify_what(const SppMessage *msg, uint32_t *what, GError **error);

G_END_DECLS

#endif /* SPP_POWER_H */
