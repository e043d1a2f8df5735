/* SppConn lifetime, error strings and the TCP socket with timeouts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "spp_conn_private.h"

SppConn *spp_conn_new(void)
{
    SppConn *conn = calloc(1, sizeof(*conn));
    if (conn)
        conn->fd = -1;
    return conn;
}

int spp_free_loopback_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void spp_conn_close(SppConn *conn)
{
    if (conn && conn->fd >= 0) {
        close(conn->fd);
        conn->fd = -1;
    }
}

void spp_conn_free(SppConn *conn)
{
    if (!conn)
        return;
    spp_conn_close(conn);
    free(conn->rbuf);
    free(conn);
}

const char *spp_conn_error(const SppConn *conn)
{
    return conn ? conn->error : "no connection object";
}

int spp_conn_fd(const SppConn *conn)
{
    return conn->fd;
}

const SppConnStats *spp_conn_stats(const SppConn *conn)
{
    return &conn->stats;
}

const char *spp_status_name(int status)
{
    switch (status) {
    case SPP_OK: return "ok";
    case SPP_ERR_IO: return "I/O error";
    case SPP_ERR_TIMEOUT: return "timeout";
    case SPP_ERR_CLOSED: return "closed by the server";
    case SPP_ERR_PROTOCOL: return "protocol error";
    case SPP_ERR_LINK: return "link refused";
    case SPP_ERR_AUTH: return "authentication error";
    case SPP_ERR_USAGE: return "usage error";
    }
    return "unknown status";
}

int spp_fail(SppConn *conn, int status, const char *fmt, ...)
{
    /* the arguments may include conn->error itself (adding context to an earlier error) */
    char buf[sizeof(conn->error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    memcpy(conn->error, buf, sizeof(buf));
    return status;
}

static int connect_one(SppConn *conn, const struct addrinfo *ai, int64_t deadline)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return spp_fail(conn, SPP_ERR_IO, "socket: %s", strerror(errno));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return spp_fail(conn, SPP_ERR_IO, "connect: %s", strerror(e));
    }
    int r = spp_io_wait_fd(fd, POLLOUT, deadline);
    if (r <= 0) {
        close(fd);
        return r == 0 ? spp_fail(conn, SPP_ERR_TIMEOUT, "connect: timed out")
                      : spp_fail(conn, SPP_ERR_IO, "connect: poll: %s", strerror(errno));
    }
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr) {
        close(fd);
        return spp_fail(conn, SPP_ERR_IO, "connect: %s", strerror(soerr));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn->fd = fd;
    return SPP_OK;
}

int spp_conn_connect(SppConn *conn, const char *host, int port, int timeout_ms)
{
    if (conn->fd >= 0)
        return spp_fail(conn, SPP_ERR_USAGE, "already connected");
    if (timeout_ms == 0)
        timeout_ms = SPP_DEFAULT_TIMEOUT_MS;
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0)
        return spp_fail(conn, SPP_ERR_IO, "resolving %s:%d: %s", host, port, gai_strerror(gai));
    int64_t deadline = spp_io_deadline(timeout_ms);
    int status = SPP_ERR_IO;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        status = connect_one(conn, ai, deadline);
        if (status == SPP_OK)
            break;
    }
    freeaddrinfo(res);
    if (status != SPP_OK)
        return spp_fail(conn, status, "%s:%d: %s", host, port, conn->error);
    conn->linked = 0;
    conn->mini_header = 0;
    conn->send_serial = 0;
    conn->rlen = conn->rpos = 0;
    conn->ack_window = conn->ack_count = 0;
    memset(&conn->stats, 0, sizeof(conn->stats));
    return SPP_OK;
}

int spp_write_all(SppConn *conn, const void *buf, size_t len, int64_t deadline)
{
    if (conn->fd < 0)
        return spp_fail(conn, SPP_ERR_USAGE, "not connected");
    switch (spp_io_write_all(conn->fd, buf, len, deadline, NULL, NULL)) {
    case SPP_IO_OK:
        return SPP_OK;
    case SPP_IO_TIMEOUT:
        return spp_fail(conn, SPP_ERR_TIMEOUT, "send: timed out");
    case SPP_IO_CLOSED:
        return spp_fail(conn, SPP_ERR_CLOSED, "send: connection closed by the server (%s)", strerror(errno));
    default:
        return spp_fail(conn, SPP_ERR_IO, "send: %s", strerror(errno));
    }
}

int spp_fill(SppConn *conn, size_t n, int64_t deadline)
{
    if (conn->fd < 0)
        return spp_fail(conn, SPP_ERR_USAGE, "not connected");
    if (conn->rpos > 0 && conn->rpos == conn->rlen)
        conn->rpos = conn->rlen = 0;
    while (conn->rlen - conn->rpos < n) {
        if (conn->rpos + n > conn->rcap) {
            /* compact, then grow */
            if (conn->rpos > 0) {
                memmove(conn->rbuf, conn->rbuf + conn->rpos, conn->rlen - conn->rpos);
                conn->rlen -= conn->rpos;
                conn->rpos = 0;
            }
            if (n > conn->rcap) {
                size_t cap = conn->rcap ? conn->rcap : 4096;
                while (cap < n)
                    cap *= 2;
                uint8_t *nb = realloc(conn->rbuf, cap);
                if (!nb)
                    return spp_fail(conn, SPP_ERR_IO, "out of memory for a %zu byte message", n);
                conn->rbuf = nb;
                conn->rcap = cap;
            }
        }
        ssize_t r = recv(conn->fd, conn->rbuf + conn->rlen, conn->rcap - conn->rlen, 0);
        if (r > 0) {
            conn->rlen += (size_t)r;
            continue;
        }
        if (r == 0)
            return spp_fail(conn, SPP_ERR_CLOSED, "connection closed by the server");
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = spp_io_wait_fd(conn->fd, POLLIN, deadline);
            if (w == 0)
                return spp_fail(conn, SPP_ERR_TIMEOUT, "receive: timed out");
            if (w < 0)
                return spp_fail(conn, SPP_ERR_IO, "receive: poll: %s", strerror(errno));
            continue;
        }
        if (errno == ECONNRESET)
            return spp_fail(conn, SPP_ERR_CLOSED, "connection reset by the server");
        return spp_fail(conn, SPP_ERR_IO, "receive: %s", strerror(errno));
    }
    return SPP_OK;
}

void spp_take(SppConn *conn, void *out, size_t n)
{
    if (out)
        memcpy(out, conn->rbuf + conn->rpos, n);
    conn->rpos += n;
}

int spp_send_raw(SppConn *conn, const void *buf, size_t len, int timeout_ms)
{
    return spp_write_all(conn, buf, len, spp_io_deadline(timeout_ms ? timeout_ms : SPP_DEFAULT_TIMEOUT_MS));
}
