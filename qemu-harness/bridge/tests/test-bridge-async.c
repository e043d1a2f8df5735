/* The bridge's SPICE side stays responsive whatever its QMP peer does: QEMU with its monitor held by
 * another client, QEMU stopped (SIGSTOP), no QEMU at all, and a fake QMP peer (qmp/tests) that does
 * what QEMU will not do on demand: flood events, send a message that never ends, hang up at once.
 * "Responsive" is measured (assert_responsive): links and power-channel requests made one after the
 * other while the peer misbehaves must each be answered within RESPONSIVE_MS. */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge-rig.h"
#include "fake-qmp-peer.h"
#include "qemu-monitor.h"

/* What the bridge promises a SPICE client whatever QEMU does: an answer within RESPONSIVE_MS. The
 * tests hold 9 probes in 10 to it, and every probe to STALL_MS: on a shared 2-core machine under a
 * load of 10 and more, any process can wait a few hundred ms for a CPU now and then, while the
 * synchronous bridge's stalls lasted 1 to 5 s. An idle machine answers every probe within 5 ms. */
#define RESPONSIVE_MS 100.0
#define STALL_MS 1000.0
/* Gaps between probe links: enough links to meet every stall of a second or more. */
#define PROBE_GAP_US 50000
/* A bridge that buffered the 64 MiB spp_qmp allows for one message would pass this; one that keeps
 * to SPP_QMP_ASYNC_MAX_MESSAGE stays far below. */
#define MEMORY_CEILING_KIB (40 * 1024)

#define RUNNING_REPLY                                                                                                \
    "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": %ID%}\r\n"
#define RESET_EVENT                                                                                                  \
    "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 1}, \"event\": \"RESET\", "                         \
    "\"data\": {\"guest\": false, \"reason\": \"host-qmp-system-reset\"}}\r\n"

/* POWERON is left out so that a probe can ask for it and get UNSUPPORTED from spice-server itself. */
#define ASYNC_ACTIONS "reset,poweroff"
static const char *const multiple_clients[] = {"--multiple-clients", NULL};

/* A link that spice-server refuses at once (protocol major version 3: VERSION_MISMATCH): the
 * round trip through its main loop without the RSA key it generates for every accepted link, whose
 * time (tens of ms, more on a loaded machine) is spice-server's own and not the bridge's to bound. */
static gint compare_doubles(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double refused_link_ms(int port)
{
    static const guint8 header[16] = {'R', 'E', 'D', 'Q', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    gint64 start = g_get_monotonic_time();
    SppConn *conn = spp_conn_new();
    if (spp_conn_connect(conn, "127.0.0.1", port, STEP_MS) != SPP_OK ||
        spp_send_raw(conn, header, sizeof header, STEP_MS) != SPP_OK)
        g_error("refused link: %s", spp_conn_error(conn));
    struct pollfd pfd = {.fd = spp_conn_fd(conn), .events = POLLIN};
    guint8 reply[20]; /* the link header and the reply's error */
    gsize got = 0;
    while (got < sizeof reply && poll(&pfd, 1, STEP_MS) == 1) {
        ssize_t n = recv(pfd.fd, reply + got, sizeof reply - got, 0);
        if (n <= 0)
            break;
        got += (gsize)n;
    }
    double ms = (g_get_monotonic_time() - start) / 1000.0;
    g_assert_cmpuint(got, ==, sizeof reply);
    g_assert_cmpuint(reply[16], ==, SPP_LINK_ERR_VERSION_MISMATCH);
    spp_conn_free(conn);
    return ms;
}

/* For duration_ms, one probe after the other: a refused link, and on a session of its own an action
 * the bridge does not offer (ASYNC_ACTIONS), which spice-server answers UNSUPPORTED itself. Each must
 * be answered within RESPONSIVE_MS. */
static void check_latencies(const char *what, GArray *ms)
{
    g_assert_cmpuint(ms->len, >, 0);
    g_array_sort(ms, compare_doubles);
    double p50 = g_array_index(ms, double, ms->len / 2), p90 = g_array_index(ms, double, ms->len * 9 / 10);
    double slowest = g_array_index(ms, double, ms->len - 1);
    g_test_message("%s: %u probes, p50 %.1f ms, p90 %.1f ms, slowest %.1f ms", what, ms->len, p50, p90, slowest);
    g_assert_cmpfloat(p90, <, RESPONSIVE_MS);
    g_assert_cmpfloat(slowest, <, STALL_MS);
}

static void add_ms_since(GArray *ms, gint64 start_us)
{
    double elapsed = (g_get_monotonic_time() - start_us) / 1000.0;
    g_array_append_val(ms, elapsed);
}

static void assert_responsive(Rig *rig, int duration_ms)
{
    int port = spp_bridge_process_port(rig->bridge);
    g_autoptr(GError) err = NULL;
    g_autoptr(SppPowerSession) session = spp_power_session_open("127.0.0.1", port, NULL, STEP_MS, STEP_MS, &err);
    g_assert_no_error(err);
    g_autoptr(SppPowerChannel) channel = spp_power_channel_new();
    spp_power_channel_link(channel, session, SPP_POWER_CHANNEL_ID, SPP_CAP_MASK(SPP_POWER_CAP_RESULT), NULL, STEP_MS,
                           &err);
    g_assert_no_error(err);
    g_autoptr(GArray) links = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) answers = g_array_new(FALSE, FALSE, sizeof(double));
    for (gint64 end = g_get_monotonic_time() + (gint64)duration_ms * 1000; g_get_monotonic_time() < end;) {
        double link_ms = refused_link_ms(port);
        g_array_append_val(links, link_ms);
        gint64 start = g_get_monotonic_time();
        uint32_t code = 0;
        spp_power_channel_act(channel, SPP_MSGC_POWER_POWERON, STEP_MS, &code, &err);
        g_assert_no_error(err);
        g_assert_cmpuint(code, ==, SPP_POWER_RESULT_UNSUPPORTED);
        add_ms_since(answers, start);
        g_usleep(PROBE_GAP_US);
    }
    check_latencies("refused links", links);
    check_latencies("UNSUPPORTED answers", answers);
}

/* The bridge's peak resident memory (VmHWM), in KiB. */
static long bridge_peak_kib(Rig *rig)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)spp_bridge_process_pid(rig->bridge));
    g_autofree char *status = NULL;
    g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
    const char *line = strstr(status, "VmHWM:");
    g_assert_nonnull(line);
    return strtol(line + strlen("VmHWM:"), NULL, 10);
}

static void assert_bridge_running(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    spp_bridge_process_running(rig->bridge, &err);
    g_assert_no_error(err);
}

static gboolean log_has(Rig *rig, const char *text)
{
    g_autofree char *log = rig_log(rig);
    return strstr(log, text) != NULL;
}

/* QEMU 7.2 serves one client per QMP socket; the next connect waits in the listen backlog without
 * a greeting. The bridge used to wait for it inside the main loop, a second per attempt. */
static void test_monitor_taken(void)
{
    Rig *rig = rig_new_empty();
    rig->qemu = rig_start_qemu();
    rig_attach_monitor(rig);
    const char *qmp_path = spp_launcher_get_qmp_socket_path(rig->qemu);
    g_autoptr(GError) err = NULL;
    SppQmpClient *holder = spp_qmp_client_connect(qmp_path, 5000, &err);
    g_assert_no_error(err);
    rig_point_qmp_symlink_at(rig, qmp_path);
    rig_start_bridge(rig, ASYNC_ACTIONS, multiple_clients);
    rig_connect_client(rig);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_UNKNOWN);
    /* Longer than a greeting timeout and the reconnect after it. */
    assert_responsive(rig, SPP_QMP_ASYNC_GREETING_TIMEOUT_MS + 1500);
    g_assert_true(log_has(rig, "no QMP greeting within"));

    spp_qmp_client_free(holder); /* QEMU takes the next connection in its backlog */
    g_autoptr(GError) state_err = NULL;
    int state = spp_power_channel_expect_state(
        rig->power, SPP_QMP_ASYNC_GREETING_TIMEOUT_MS + SPP_QEMU_MONITOR_BACKOFF_MAX_MS + 2000, &state_err);
    g_assert_no_error(state_err);
    g_assert_cmpint(state, ==, SPP_POWER_STATE_ON);
    rig_free(rig);
}

/* A SIGSTOPped QEMU answers nothing: the action waits for its QMP command's timeout, then FAILED,
 * while every other client is served; the bridge reconnects once QEMU runs again. */
static void test_qemu_stopped(void)
{
    Rig *rig = rig_new_with(ASYNC_ACTIONS, multiple_clients, TRUE);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    pid_t qemu = spp_launcher_get_pid(rig->qemu);
    g_assert_cmpint(kill(qemu, SIGSTOP), ==, 0);
    g_autoptr(GError) err = NULL;
    gint64 sent = g_get_monotonic_time();
    g_assert_true(spp_power_channel_send(rig->power, SPP_MSGC_POWER_RESET, 0, &err));
    assert_responsive(rig, 3000);

    uint32_t code = 0;
    spp_power_channel_expect_result(rig->power, SPP_MSGC_POWER_RESET, SPP_QMP_ASYNC_COMMAND_TIMEOUT_MS + 3000, &code,
                                    &err);
    g_assert_no_error(err);
    g_assert_cmpuint(code, ==, SPP_POWER_RESULT_FAILED);
    g_assert_cmpint((g_get_monotonic_time() - sent) / 1000, >=, SPP_QMP_ASYNC_COMMAND_TIMEOUT_MS - 100);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_UNKNOWN);
    /* every action first asks whether a migration is under way (docs/bridge.md) */
    g_assert_true(log_has(rig, "QEMU did not answer query-migrate within"));

    g_assert_cmpint(kill(qemu, SIGCONT), ==, 0);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    rig_free(rig);
}

/* No QEMU at all: actions fail at once, not after a connect attempt. */
static void test_no_qemu_fails_at_once(void)
{
    Rig *rig = rig_new_empty(); /* the symlink does not exist */
    rig_start_bridge(rig, ASYNC_ACTIONS, multiple_clients);
    rig_connect_client(rig);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_UNKNOWN);
    g_autoptr(GArray) answers = g_array_new(FALSE, FALSE, sizeof(double));
    /* Past several reconnect attempts. */
    for (gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC; g_get_monotonic_time() < end;) {
        gint64 start = g_get_monotonic_time();
        g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_FAILED);
        add_ms_since(answers, start);
        g_usleep(PROBE_GAP_US);
    }
    check_latencies("FAILED answers", answers);
    g_assert_true(log_has(rig, "QEMU is not connected"));
    rig_free(rig);
}

/* Handshake, then the power state, then script_tail. */
#define HANDSHAKE {STEP_SEND, GREETING}, {STEP_REPLY, OK_REPLY}, {STEP_REPLY, RUNNING_REPLY}

/* A bridge with a fake QMP peer playing script; the client is linked once the state is ON. */
static Rig *rig_with_peer(const Step *script, FakePeer **peer)
{
    Rig *rig = rig_new_empty();
    *peer = peer_listen(rig->qmp_symlink, script);
    rig_start_bridge(rig, ASYNC_ACTIONS, multiple_clients);
    rig_connect_client(rig);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    return rig;
}

/* Events as fast as the socket takes them, and never an answer to the query-status they cause. */
static void test_event_flood(void)
{
    static const Step script[] = {HANDSHAKE, {STEP_FLOOD_MS, RESET_EVENT, 4000}, {STEP_END}};
    FakePeer *peer;
    Rig *rig = rig_with_peer(script, &peer);
    assert_responsive(rig, 3000);
    assert_bridge_running(rig);
    g_assert_cmpint(bridge_peak_kib(rig), <, MEMORY_CEILING_KIB);
    rig_free(rig);
    peer_finish(peer);
}

/* One message that never ends: the bridge drops the peer at SPP_QMP_ASYNC_MAX_MESSAGE bytes. */
static void test_endless_message(void)
{
    static char filler[4096];
    memset(filler, 'a', sizeof filler - 1);
    static const Step script[] = {
        HANDSHAKE,
        {STEP_SLEEP_MS, NULL, 1000}, /* for the client to link and see ON */
        {STEP_SEND, "{\"event\": \"RESET\", \"data\": \""},
        {STEP_FLOOD_MS, filler, 3000},
        {STEP_END},
    };
    FakePeer *peer;
    Rig *rig = rig_with_peer(script, &peer);
    assert_responsive(rig, 2000);
    assert_bridge_running(rig);
    long peak_kib = bridge_peak_kib(rig);
    g_test_message("the bridge's peak resident memory: %ld KiB", peak_kib);
    g_assert_cmpint(peak_kib, <, MEMORY_CEILING_KIB);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_UNKNOWN);
    g_autofree char *limit = g_strdup_printf("longer than %u bytes", SPP_QMP_ASYNC_MAX_MESSAGE);
    g_assert_true(log_has(rig, limit));
    rig_free(rig);
    peer_finish(peer);
}

/* Counts the connections to a unix socket that hangs up on each, until the deadline. */
static int count_connections(int listen_fd, gint64 deadline)
{
    int count = 0;
    for (gint64 now; (now = g_get_monotonic_time()) < deadline;) {
        struct timeval wait = {.tv_sec = 0, .tv_usec = MIN(deadline - now, 100000)};
        setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
        int fd = accept(listen_fd, NULL, NULL);
        if (fd >= 0) {
            close(fd);
            count++;
        }
    }
    return count;
}

/* A peer that hangs up at once is retried with a growing delay, not four times a second forever. */
static void test_reconnect_backoff(void)
{
    Rig *rig = rig_new_empty();
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_strlcpy(address.sun_path, rig->qmp_symlink, sizeof address.sun_path);
    int listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(bind(listen_fd, (struct sockaddr *)&address, sizeof address), ==, 0);
    g_assert_cmpint(listen(listen_fd, 4), ==, 0);
    rig_start_bridge(rig, ASYNC_ACTIONS, NULL);
    /* 6 s: attempts after 0.25, 0.5, 1, 2, 2 s of backoff; at a fixed 250 ms it would be 24. */
    int attempts = count_connections(listen_fd, g_get_monotonic_time() + 6 * G_USEC_PER_SEC);
    g_test_message("%d connection attempts in 6 s", attempts);
    g_assert_cmpint(attempts, >=, 3);
    g_assert_cmpint(attempts, <=, 7);
    assert_bridge_running(rig);
    close(listen_fd);
    rig_free(rig);
}

/* The sessions of outstanding-bounded: more than the bridge lets wait for QEMU. */
#define CROWD (SPP_QMP_ASYNC_MAX_OUTSTANDING + 4)

typedef struct {
    SppPowerSession *session;
    SppPowerChannel *power;
    gboolean answered;
} Client;

static void crowd_connect(Rig *rig, Client *crowd)
{
    int port = spp_bridge_process_port(rig->bridge);
    for (int i = 0; i < CROWD; i++) {
        g_autoptr(GError) err = NULL;
        crowd[i].session = spp_power_session_open("127.0.0.1", port, NULL, STEP_MS, STEP_MS, &err);
        g_assert_no_error(err);
        crowd[i].power = spp_power_channel_new();
        spp_power_channel_link(crowd[i].power, crowd[i].session, SPP_POWER_CHANNEL_ID,
                               SPP_CAP_MASK(SPP_POWER_CAP_RESULT), NULL, STEP_MS, &err);
        g_assert_no_error(err);
    }
}

/* Collects the RESULTs that come before deadline_us; returns how many came. */
static int crowd_collect(Client *crowd, gint64 deadline_us)
{
    int answered = 0;
    for (int i = 0; i < CROWD; i++) {
        if (crowd[i].answered)
            continue;
        g_autoptr(GError) err = NULL;
        uint32_t code = 0;
        int left_ms = (int)MAX(0, (deadline_us - g_get_monotonic_time()) / 1000);
        if (!spp_power_channel_expect_result(crowd[i].power, SPP_MSGC_POWER_RESET, left_ms, &code, &err))
            continue;
        g_assert_cmpuint(code, ==, SPP_POWER_RESULT_FAILED);
        crowd[i].answered = TRUE;
        answered++;
    }
    return answered;
}

/* Many clients act at once on a stopped QEMU: the bridge lets at most SPP_QMP_ASYNC_MAX_OUTSTANDING - 1
 * commands wait (one slot is its own query-status's) and fails the others at once. */
static void test_outstanding_bounded(void)
{
    Rig *rig = rig_new_with(ASYNC_ACTIONS, multiple_clients, TRUE);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    Client crowd[CROWD] = {0};
    crowd_connect(rig, crowd);
    pid_t qemu = spp_launcher_get_pid(rig->qemu);
    g_assert_cmpint(kill(qemu, SIGSTOP), ==, 0);
    for (int i = 0; i < CROWD; i++) {
        g_autoptr(GError) err = NULL;
        g_assert_true(spp_power_channel_send(crowd[i].power, SPP_MSGC_POWER_RESET, 0, &err));
    }
    int at_once = crowd_collect(crowd, g_get_monotonic_time() + 1000 * 1000);
    g_assert_cmpint(at_once, ==, CROWD - (SPP_QMP_ASYNC_MAX_OUTSTANDING - 1));
    g_assert_true(log_has(rig, "QMP commands wait for QEMU already"));
    int later = crowd_collect(crowd, g_get_monotonic_time() + (SPP_QMP_ASYNC_COMMAND_TIMEOUT_MS + 3000) * 1000);
    g_assert_cmpint(at_once + later, ==, CROWD);
    g_assert_cmpint(kill(qemu, SIGCONT), ==, 0);
    for (int i = 0; i < CROWD; i++) {
        spp_power_channel_free(crowd[i].power);
        spp_power_session_free(crowd[i].session);
    }
    rig_free(rig);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bridge-async/monitor-taken", test_monitor_taken);
    g_test_add_func("/bridge-async/qemu-stopped", test_qemu_stopped);
    g_test_add_func("/bridge-async/no-qemu-fails-at-once", test_no_qemu_fails_at_once);
    g_test_add_func("/bridge-async/event-flood", test_event_flood);
    g_test_add_func("/bridge-async/endless-message", test_endless_message);
    g_test_add_func("/bridge-async/reconnect-backoff", test_reconnect_backoff);
    g_test_add_func("/bridge-async/outstanding-bounded", test_outstanding_bounded);
    return g_test_run();
}
