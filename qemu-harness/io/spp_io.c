#include "spp_io.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t spp_io_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t spp_io_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : spp_io_now_ms() + timeout_ms;
}

int spp_io_poll_timeout(int64_t deadline_ms)
{
    if (deadline_ms < 0)
        return -1;
    int64_t left = deadline_ms - spp_io_now_ms();
    return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

int spp_io_wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, spp_io_poll_timeout(deadline_ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0 && deadline_ms >= 0 && spp_io_now_ms() < deadline_ms)
            continue; /* poll's timeout is capped at a minute; the deadline is further away */
        return r < 0 ? -1 : r > 0;
    }
}

static int wait_writable(int fd, int64_t deadline_ms, void *unused)
{
    (void)unused;
    return spp_io_wait_fd(fd, POLLOUT, deadline_ms);
}

static int is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

SppIoStatus spp_io_write_all(int fd, const void *buf, size_t len, int64_t deadline_ms, SppIoWaitFn wait,
                             void *wait_data)
{
    const unsigned char *cursor = buf;
    /* MSG_DONTWAIT: a peer that stopped reading must meet the deadline, not block us. */
    const int socket = is_socket(fd);
    if (!wait)
        wait = wait_writable;
    while (len > 0) {
        ssize_t n = socket ? send(fd, cursor, len, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, cursor, len);
        if (n > 0) {
            cursor += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (deadline_ms >= 0 && spp_io_now_ms() >= deadline_ms) {
                errno = ETIMEDOUT;
                return SPP_IO_TIMEOUT;
            }
            int r = wait(fd, deadline_ms, wait_data);
            if (r < 0)
                return SPP_IO_ERROR;
            if (r == 0) {
                errno = ETIMEDOUT;
                return SPP_IO_TIMEOUT;
            }
            continue;
        }
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return SPP_IO_CLOSED;
        if (n == 0)
            errno = EIO; /* write() of a non-empty buffer that wrote nothing */
        return SPP_IO_ERROR;
    }
    return SPP_IO_OK;
}
