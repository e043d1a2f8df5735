/* spp_io_write_all() against real sockets and pipes: everything arrives, a closed peer is an
 * error and not SIGPIPE, a peer that stops reading meets the deadline, and the wait hook runs. */
#include "spp_io.h"

#include <errno.h>
#include <glib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BIG = 4 << 20 }; /* far more than a socket buffer holds */

static void test_whole_buffer_through_pipe(void)
{
    int p[2];
    g_assert_cmpint(pipe(p), ==, 0);
    g_assert_cmpint(spp_io_write_all(p[1], "hello", 5, -1, NULL, NULL), ==, SPP_IO_OK);
    char got[8] = {0};
    g_assert_cmpint(read(p[0], got, sizeof got), ==, 5);
    g_assert_cmpstr(got, ==, "hello");
    close(p[0]);
    close(p[1]);
}

static void test_closed_peer_is_closed_not_sigpipe(void)
{
    /* SIGPIPE keeps its default action: a send without MSG_NOSIGNAL would end this test. */
    signal(SIGPIPE, SIG_DFL);
    int sv[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    close(sv[1]);
    g_assert_cmpint(spp_io_write_all(sv[0], "x", 1, spp_io_deadline(1000), NULL, NULL), ==, SPP_IO_CLOSED);
    g_assert_cmpint(errno, ==, EPIPE);
    close(sv[0]);
}

static void test_unread_peer_meets_deadline(void)
{
    int sv[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0); /* blocking sockets */
    g_autofree char *bytes = g_malloc0(BIG);
    int64_t start = spp_io_now_ms();
    g_assert_cmpint(spp_io_write_all(sv[0], bytes, BIG, spp_io_deadline(200), NULL, NULL), ==, SPP_IO_TIMEOUT);
    int64_t took = spp_io_now_ms() - start;
    g_assert_cmpint(took, >=, 190);
    g_assert_cmpint(took, <, 2000);
    close(sv[0]);
    close(sv[1]);
}

typedef struct {
    int reader;
    size_t drained;
    int calls;
} Drain;

/* The peer lives in the caller's thread: it reads only when the writer waits. */
static int drain_peer(int fd, int64_t deadline_ms, void *data)
{
    (void)fd;
    (void)deadline_ms;
    Drain *d = data;
    char buf[65536];
    ssize_t n = recv(d->reader, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0)
        d->drained += (size_t)n;
    d->calls++;
    return 1;
}

static void test_wait_hook_lets_peer_drain(void)
{
    int sv[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    g_autofree char *bytes = g_malloc0(BIG);
    Drain d = {.reader = sv[1]};
    g_assert_cmpint(spp_io_write_all(sv[0], bytes, BIG, spp_io_deadline(10000), drain_peer, &d), ==, SPP_IO_OK);
    g_assert_cmpint(d.calls, >, 0);
    char buf[65536];
    ssize_t n;
    while ((n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) > 0)
        d.drained += (size_t)n;
    g_assert_cmpuint(d.drained, ==, BIG);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/io/write-all/pipe", test_whole_buffer_through_pipe);
    g_test_add_func("/io/write-all/closed-peer", test_closed_peer_is_closed_not_sigpipe);
    g_test_add_func("/io/write-all/unread-peer-deadline", test_unread_peer_meets_deadline);
    g_test_add_func("/io/write-all/wait-hook", test_wait_hook_lets_peer_drain);
    return g_test_run();
}
