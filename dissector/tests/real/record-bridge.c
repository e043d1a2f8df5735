/* record-bridge: drives one scripted client session against the real spice-power-bridge in front of
 * a real QEMU running the harness guest, so that record-bridge.sh can capture it on loopback for the
 * dissector's golden tests (captures/real-*.pcap). It only runs the real binaries and the client
 * library (spp_client, spp_launcher); the bridge runs as its own process.
 *
 *   record-bridge --bridge PATH --port N --scenario result|notify|refused
 *
 * result   main + power (caps STATE, RESULT): STATE ON; RESET -> RESULT OK; POWEROFF -> RESULT OK +
 *          STATE OFF; POWERON -> RESULT OK + STATE ON; POWERON while ON -> RESULT INVALID_STATE.
 * notify   main + power (cap STATE only): STATE ON; RESET (silent success, guest boots again);
 *          POWEROFF (silent) + STATE OFF; POWEROFF while OFF -> NOTIFY ERROR, what = INVALID_STATE.
 * refused  bridge with a ticket: main + power with the right ticket (STATE ON; RESET -> RESULT OK),
 *          then a second power link with a wrong ticket -> link result PERMISSION_DENIED.
 *
 * Exits 0 only if the session went exactly as above, so that a regenerated capture is never
 * silently wrong. */
#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "launcher.h"
#include "spp_client.h"

#define PASSWORD "correct horse"
#define STEP_MS 10000

static const char *bridge_path;
static int port;
static GPid bridge_pid;
static SppLauncher *qemu;
static char *workdir;

static void cleanup(void)
{
    if (bridge_pid > 0) {
        kill(bridge_pid, SIGTERM);
        int status;
        waitpid(bridge_pid, &status, 0);
        g_spawn_close_pid(bridge_pid);
        bridge_pid = 0;
    }
    if (qemu) {
        spp_launcher_free(qemu);
        qemu = NULL;
    }
    if (workdir) {
        g_autofree char *ticket = g_build_filename(workdir, "ticket", NULL);
        g_unlink(ticket);
        g_rmdir(workdir);
        g_free(workdir);
        workdir = NULL;
    }
}

static G_NORETURN void die(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "record-bridge: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    cleanup();
    exit(1);
}

static void die_with_parent(gpointer unused)
{
    (void)unused;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void start_qemu(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    if (!spp_launch_config_add_disk(config, disk, &err))
        die("disk: %s", err->message);
    spp_launch_config_set_connect_qmp(config, FALSE); /* QEMU's QMP socket belongs to the bridge */
    qemu = spp_launcher_start(config, &err);
    if (!qemu)
        die("QEMU: %s", err->message);
    g_autofree char *boot = spp_launcher_serial_wait_line(qemu, "BOOT ", STEP_MS, &err);
    if (!boot)
        die("guest did not boot: %s", err->message);
}

/* The guest printed its next "BOOT n" line: it was restarted. */
static void wait_boot(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *line = spp_launcher_serial_wait_line(qemu, "BOOT ", STEP_MS, &err);
    guint32 n = 0;
    if (!line || spp_guest_parse_line(line, &n) != SPP_GUEST_LINE_BOOT)
        die("expected a BOOT line on the serial: %s", line ? line : err->message);
    printf("record-bridge: guest serial: %s\n", line);
}

static void start_bridge(gboolean ticket)
{
    g_autofree char *qmp_arg = g_strconcat("unix:", spp_launcher_get_qmp_socket_path(qemu), NULL);
    g_autofree char *listen = g_strdup_printf("127.0.0.1:%d", port);
    g_autofree char *ticket_file = g_build_filename(workdir, "ticket", NULL);
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)bridge_path);
    g_ptr_array_add(argv, "--qmp");
    g_ptr_array_add(argv, qmp_arg);
    g_ptr_array_add(argv, "--listen");
    g_ptr_array_add(argv, listen);
    g_ptr_array_add(argv, "--actions");
    g_ptr_array_add(argv, "reset,poweroff,poweron");
    if (ticket) {
        if (!g_file_set_contents(ticket_file, PASSWORD, -1, NULL))
            die("cannot write %s", ticket_file);
        g_ptr_array_add(argv, "--password-file");
        g_ptr_array_add(argv, ticket_file);
    } else {
        g_ptr_array_add(argv, "--disable-ticketing");
    }
    g_ptr_array_add(argv, NULL);
    g_autoptr(GError) err = NULL;
    gboolean ok = g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
                                &bridge_pid, &err);
    g_ptr_array_free(argv, TRUE);
    if (!ok)
        die("bridge: %s", err->message);
}

/* The main channel, retried while the bridge starts listening; returns the session id. */
static SppConn *connect_main(const char *password, uint32_t *session)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    for (;;) {
        SppConn *conn = spp_conn_new();
        int st = spp_main_connect(conn, "127.0.0.1", port, password, 3000, session);
        if (st == SPP_OK)
            return conn;
        if (g_get_monotonic_time() > deadline)
            die("main channel: %s", spp_conn_error(conn));
        spp_conn_free(conn);
        g_usleep(100000);
    }
}

static SppConn *connect_power(uint32_t session, uint32_t caps, const char *password, int *status,
                              SppLinkInfo *info)
{
    SppConn *conn = spp_conn_new();
    *status = spp_channel_connect(conn, "127.0.0.1", port, session, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID, &caps, 1,
                                  password, 3000, info);
    return conn;
}

/* Reads power messages until a RESULT (if want_result) and a STATE (if want_state >= 0) arrived,
 * in either order; returns the RESULT code. NOTIFY counts as the answer when want_notify. */
static uint32_t collect(SppConn *c, uint16_t action, gboolean want_result, int want_state, gboolean want_notify)
{
    uint32_t code = 0;
    gboolean got_answer = !(want_result || want_notify), got_state = want_state < 0;
    while (!got_answer || !got_state) {
        SppMessage msg = {0};
        if (spp_recv(c, &msg, STEP_MS) != SPP_OK)
            die("waiting after action %u: %s", action, spp_conn_error(c));
        if (msg.type == SPP_MSG_POWER_RESULT && want_result && msg.size >= SPP_MSG_POWER_RESULT_SIZE) {
            if (spp_le16(msg.data) != action)
                die("RESULT for %u, expected %u", spp_le16(msg.data), action);
            code = spp_le32(msg.data + 2);
            got_answer = TRUE;
        } else if (msg.type == SPP_MSG_NOTIFY && want_notify && msg.size >= SPP_MSG_NOTIFY_SIZE) {
            code = spp_le32(msg.data + 16);
            got_answer = TRUE;
        } else if (msg.type == SPP_MSG_POWER_STATE && msg.size >= 1) {
            if (want_state < 0 || msg.data[0] != want_state)
                die("unexpected STATE %u after action %u", msg.data[0], action);
            got_state = TRUE;
        } else {
            die("unexpected message type %u after action %u", msg.type, action);
        }
        spp_message_clear(&msg);
    }
    return code;
}

static void expect_code(const char *what, uint32_t got, uint32_t want)
{
    if (got != want)
        die("%s: code %u, expected %u", what, got, want);
    printf("record-bridge: %s -> %u\n", what, got);
}

static void send_action(SppConn *c, uint16_t action)
{
    if (spp_send(c, action, NULL, 0) != SPP_OK)
        die("send %u: %s", action, spp_conn_error(c));
}

/* Nothing more may arrive (success without the RESULT cap is silent). */
static void expect_silence(SppConn *c, const char *what)
{
    SppMessage msg = {0};
    int st = spp_recv(c, &msg, 500);
    if (st != SPP_ERR_TIMEOUT)
        die("%s: expected silence, got %s (type %u)", what, spp_status_name(st), msg.type);
    spp_message_clear(&msg);
}

static void scenario_result(void)
{
    uint32_t session;
    SppConn *main_conn = connect_main(NULL, &session);
    SppLinkInfo info;
    int st;
    SppConn *p = connect_power(session, SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT), NULL,
                               &st, &info);
    if (st != SPP_OK)
        die("power link: %s", spp_conn_error(p));
    collect(p, 0, FALSE, SPP_POWER_STATE_ON, FALSE);
    send_action(p, SPP_MSGC_POWER_RESET);
    expect_code("RESET", collect(p, SPP_MSGC_POWER_RESET, TRUE, -1, FALSE), SPP_POWER_RESULT_OK);
    wait_boot();
    send_action(p, SPP_MSGC_POWER_POWEROFF);
    expect_code("POWEROFF", collect(p, SPP_MSGC_POWER_POWEROFF, TRUE, SPP_POWER_STATE_OFF, FALSE), SPP_POWER_RESULT_OK);
    send_action(p, SPP_MSGC_POWER_POWERON);
    expect_code("POWERON", collect(p, SPP_MSGC_POWER_POWERON, TRUE, SPP_POWER_STATE_ON, FALSE), SPP_POWER_RESULT_OK);
    wait_boot();
    send_action(p, SPP_MSGC_POWER_POWERON);
    expect_code("POWERON while ON", collect(p, SPP_MSGC_POWER_POWERON, TRUE, -1, FALSE),
                SPP_POWER_RESULT_INVALID_STATE);
    expect_silence(p, "after the last RESULT");
    spp_conn_free(p);
    spp_conn_free(main_conn);
}

static void scenario_notify(void)
{
    uint32_t session;
    SppConn *main_conn = connect_main(NULL, &session);
    SppLinkInfo info;
    int st;
    SppConn *p = connect_power(session, SPP_CAP_MASK(SPP_POWER_CAP_STATE), NULL, &st, &info);
    if (st != SPP_OK)
        die("power link: %s", spp_conn_error(p));
    collect(p, 0, FALSE, SPP_POWER_STATE_ON, FALSE);
    send_action(p, SPP_MSGC_POWER_RESET);
    wait_boot();
    expect_silence(p, "RESET without the RESULT cap");
    printf("record-bridge: RESET -> silent, guest booted again\n");
    send_action(p, SPP_MSGC_POWER_POWEROFF);
    collect(p, SPP_MSGC_POWER_POWEROFF, FALSE, SPP_POWER_STATE_OFF, FALSE);
    printf("record-bridge: POWEROFF -> STATE OFF\n");
    send_action(p, SPP_MSGC_POWER_POWEROFF);
    expect_code("POWEROFF while OFF (NOTIFY what)", collect(p, SPP_MSGC_POWER_POWEROFF, FALSE, -1, TRUE),
                SPP_POWER_RESULT_INVALID_STATE);
    expect_silence(p, "after the NOTIFY");
    spp_conn_free(p);
    spp_conn_free(main_conn);
}

static void scenario_refused(void)
{
    uint32_t session;
    SppConn *main_conn = connect_main(PASSWORD, &session);
    SppLinkInfo info;
    int st;
    uint32_t caps = SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    SppConn *p = connect_power(session, caps, PASSWORD, &st, &info);
    if (st != SPP_OK)
        die("power link: %s", spp_conn_error(p));
    collect(p, 0, FALSE, SPP_POWER_STATE_ON, FALSE);
    send_action(p, SPP_MSGC_POWER_RESET);
    expect_code("RESET", collect(p, SPP_MSGC_POWER_RESET, TRUE, -1, FALSE), SPP_POWER_RESULT_OK);
    wait_boot();
    SppConn *bad = connect_power(session, caps, "wrong", &st, &info);
    if (st != SPP_ERR_LINK || !info.result_received || info.result != SPP_LINK_ERR_PERMISSION_DENIED)
        die("wrong ticket: %s (link result %u)", spp_status_name(st), info.result);
    printf("record-bridge: power link with a wrong ticket -> PERMISSION_DENIED\n");
    spp_conn_free(bad);
    spp_conn_free(p);
    spp_conn_free(main_conn);
}

int main(int argc, char **argv)
{
    const char *scenario = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bridge"))
            bridge_path = argv[i + 1];
        else if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--scenario"))
            scenario = argv[i + 1];
        else
            break;
    }
    if (!bridge_path || port <= 0 || port > 65535 || !scenario ||
        (strcmp(scenario, "result") && strcmp(scenario, "notify") && strcmp(scenario, "refused"))) {
        fprintf(stderr, "usage: record-bridge --bridge PATH --port N --scenario result|notify|refused\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    workdir = g_dir_make_tmp("record-bridge-XXXXXX", NULL);
    if (!workdir)
        die("cannot make a temporary directory");
    start_qemu();
    start_bridge(!strcmp(scenario, "refused"));
    if (!strcmp(scenario, "result"))
        scenario_result();
    else if (!strcmp(scenario, "notify"))
        scenario_notify();
    else
        scenario_refused();
    g_usleep(200000); /* let the FINs reach the capture before the bridge goes */
    cleanup();
    printf("record-bridge: scenario %s done\n", scenario);
    return 0;
}
