/* spp_io: the one write-everything loop of the project, for sockets and pipes alike.
 *
 * Every peer the project talks to (QMP, SPICE, a guest's serial port, the conformance runner's
 * verdict pipe, a fuzzed server in the same thread) can stop reading at any moment. A blocking
 * write would then wait forever, and a write to a closed socket would raise SIGPIPE, so writes go
 * through here: no SIGPIPE, EINTR retried, a full buffer waited out until a deadline. Plain C
 * with no GLib, so that every library of the project can use it. */
#ifndef SPP_IO_H
#define SPP_IO_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SPP_IO_OK = 0,
    SPP_IO_TIMEOUT, /* the deadline passed with bytes left to write */
    SPP_IO_CLOSED,  /* the peer is gone (EPIPE, ECONNRESET); errno says which */
    SPP_IO_ERROR,   /* any other failure; errno says which */
} SppIoStatus;

/* CLOCK_MONOTONIC in milliseconds: the clock of every deadline below. */
int64_t spp_io_now_ms(void);

/* now + timeout_ms, or -1 (no deadline) for a negative timeout. */
int64_t spp_io_deadline(int timeout_ms);

/* Milliseconds from now until deadline for poll(): 0 once it passed, -1 without a deadline. */
int spp_io_poll_timeout(int64_t deadline_ms);

/* Waits until fd is ready for events or the deadline (-1: none) passes, retrying EINTR.
 * 1 ready, 0 timed out, -1 poll failed (errno set). */
int spp_io_wait_fd(int fd, short events, int64_t deadline_ms);

/* Called when fd cannot take more bytes yet; same results as spp_io_wait_fd(). A caller whose
 * peer runs in the same thread (a fuzzed server) lets the peer work here instead of sleeping. */
typedef int (*SppIoWaitFn)(int fd, int64_t deadline_ms, void *data);

/* Writes all len bytes of buf to fd: send() without SIGPIPE and without blocking on a socket,
 * write() on anything else. When fd is full it calls wait (NULL: spp_io_wait_fd for POLLOUT)
 * and goes on, until deadline_ms (-1: none). On failure errno tells the cause. */
SppIoStatus spp_io_write_all(int fd, const void *buf, size_t len, int64_t deadline_ms, SppIoWaitFn wait,
                             void *wait_data);

#endif /* SPP_IO_H */
