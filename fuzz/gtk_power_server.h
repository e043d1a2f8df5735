/* The server end of a spice-gtk power channel for fuzz_gtk_power_channel: a socketpair whose other
 * end the client gets, the server's half of a real link (RSA key, ticket, link result), and the
 * byte plumbing of mini-header data messages both ways. Nothing here blocks: the client runs in
 * the same process, so every wait turns the client's main context instead (GpsSpin). */
#ifndef GTK_POWER_SERVER_H
#define GTK_POWER_SERVER_H

#include <glib.h>
#include <stdint.h>

/* One turn of the client's main context: TRUE if it dispatched anything. */
typedef gboolean (*GpsSpin)(void);

typedef struct {
    int fd;              /* the server's end, -1 when closed */
    GByteArray *out;     /* bytes the server still has to write */
    GByteArray *in;      /* bytes from the client not yet taken */
    gboolean eof;        /* the client closed its end */
    gboolean shut;       /* end the stream (SHUT_WR) once `out` is written */
} GpsConn;

/* What the server's link reply announces. */
typedef struct {
    uint32_t channel_caps[2];
    uint32_t num_channel_caps;
} GpsAnnounce;

G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN void gps_fail(const char *fmt, ...);

/* Once per process: the server's RSA-1024 key, as spice-server makes one per link. */
void gps_init(void);
/* A fresh socketpair; returns the client's end (the client owns it from then on). */
int gps_open(GpsConn *c);
void gps_close(GpsConn *c);
/* Queue one server message with a mini header whose size is the body's length. */
void gps_put(GpsConn *c, uint16_t type, const uint8_t *body, uint32_t len);
/* Write what the socket takes, read what is there; TRUE if any byte moved. */
gboolean gps_pump(GpsConn *c);
/* Take the next whole client message off `in`: TRUE and its type and body (valid until the next
 * gps_* call), FALSE if none is complete. */
gboolean gps_take(GpsConn *c, uint16_t *type, const uint8_t **body, uint32_t *len);
/* The server's half of the link of channel (POWER, channel_id); aborts on any deviation of the
 * client from the protocol. check_ticket decrypts the ticket (the empty password) as well. */
void gps_link(GpsConn *c, const GpsAnnounce *a, uint8_t channel_id, GpsSpin spin, gboolean check_ticket);

#endif
