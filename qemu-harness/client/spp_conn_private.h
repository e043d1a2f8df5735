/* Internal state of an SppConn, shared by the library's source files. */
#ifndef SPP_CONN_PRIVATE_H
#define SPP_CONN_PRIVATE_H

#include <stdarg.h>

#include "spp_client.h"
#include "spp_io.h" /* spp_io_deadline(), spp_io_now_ms(), spp_io_wait_fd() */

struct SppConn {
    int fd;
    char error[512];
    int linked;
    int mini_header;
    uint64_t send_serial;
    /* receive buffer: bytes [rpos, rlen) are unread */
    uint8_t *rbuf;
    size_t rlen, rpos, rcap;
    /* ACK window set by SET_ACK */
    uint32_t ack_window;
    uint32_t ack_count;
    SppConnStats stats;
};

/* Sets conn->error and returns status. */
int spp_fail(SppConn *conn, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write all of buf before the deadline (spp_io_deadline(); -1: none), or fail. */
int spp_write_all(SppConn *conn, const void *buf, size_t len, int64_t deadline);
/* Make at least n unread bytes available in conn->rbuf, or fail (TIMEOUT keeps what was read). */
int spp_fill(SppConn *conn, size_t n, int64_t deadline);
/* Copy and consume n bytes that spp_fill made available. */
void spp_take(SppConn *conn, void *out, size_t n);

#endif /* SPP_CONN_PRIVATE_H */
