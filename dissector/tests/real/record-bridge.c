/* record-bridge: drives one scripted client session against the real spice-power-bridge in front of
 * a real QEMU running the harness guest, so that record-bridge.sh can capture it on loopback for the
 * dissector's golden tests (captures/real-*.pcap). It only runs the real binaries and the client
 * libraries (spp_power on spp_client, spp_launcher); the bridge runs as its own process.
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
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "launcher.h"
#include "spp_bridge_process.h"
#include "spp_power.h"

#define PASSWORD "correct horse"
#define STEP_MS 10000
#define LINK_MS 3000

static const char *bridge_path;
static int port;
static SppBridgeProcess *bridge;
static SppLauncher *qemu;

static void cleanup(void)
{
    g_clear_pointer(&bridge, spp_bridge_process_stop);
    g_clear_pointer(&qemu, spp_launcher_free);
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
    g_autofree char *boot = spp_launcher_serial_wait_line(qemu, SPP_GUEST_BOOT_LINE, STEP_MS, &err);
    if (!boot)
        die("guest did not boot: %s", err->message);
}

/* The guest printed its next "BOOT n" line: it was restarted. */
static void wait_boot(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *line = spp_launcher_serial_wait_line(qemu, SPP_GUEST_BOOT_LINE, STEP_MS, &err);
    guint32 n = 0;
    if (!line || spp_guest_parse_line(line, &n) != SPP_GUEST_LINE_BOOT)
        die("expected a BOOT line on the serial: %s", line ? line : err->message);
    printf("record-bridge: guest serial: %s\n", line);
}

static void start_bridge(gboolean ticket)
{
    const SppBridgeProcessSpec spec = {
        .path = bridge_path,
        .qmp_socket = spp_launcher_get_qmp_socket_path(qemu),
        .port = port,
        .password = ticket ? PASSWORD : NULL,
        .actions = "reset,poweroff,poweron",
    };
    g_autoptr(GError) err = NULL;
    bridge = spp_bridge_process_start(&spec, &err);
    if (!bridge)
        die("bridge: %s", err->message);
}

/* The main channel, retried while the bridge starts listening. */
static SppPowerSession *connect_main(const char *password)
{
    g_autoptr(GError) err = NULL;
    SppPowerSession *session = spp_power_session_open("127.0.0.1", port, password, STEP_MS, LINK_MS, &err);
    if (!session)
        die("%s", err->message);
    return session;
}

static SppPowerChannel *connect_power(SppPowerSession *session, uint32_t caps, const char *password)
{
    SppPowerChannel *power = spp_power_channel_new();
    spp_power_channel_link(power, session, SPP_POWER_CHANNEL_ID, caps, password, LINK_MS, NULL);
    return power;
}

/* A linked power channel, or the end of the recording. */
static SppPowerChannel *linked_power(SppPowerSession *session, uint32_t caps, const char *password)
{
    SppPowerChannel *power = connect_power(session, caps, password);
    if (power->link_status != SPP_OK)
        die("power link: %s", spp_conn_error(power->conn));
    return power;
}

/* The code of a RESULT that answers action. */
static uint32_t result_code(const SppMessage *msg, uint16_t action)
{
    g_autoptr(GError) err = NULL;
    uint16_t request;
    uint32_t code;
    if (!spp_power_read_result(msg, &request, &code, &err))
        die("after action %u: %s", action, err->message);
    if (request != action)
        die("RESULT for %u, expected %u", request, action);
    return code;
}

static uint32_t notify_what(const SppMessage *msg, uint16_t action)
{
    g_autoptr(GError) err = NULL;
    uint32_t what;
    if (!spp_power_read_notify_what(msg, &what, &err))
        die("after action %u: %s", action, err->message);
    return what;
}

/* A STATE, which must be the one wanted (want_state < 0: none was). */
static void check_state(const SppMessage *msg, int want_state, uint16_t action)
{
    g_autoptr(GError) err = NULL;
    int state;
    if (!spp_power_read_state(msg, &state, &err))
        die("after action %u: %s", action, err->message);
    if (want_state < 0 || state != want_state)
        die("unexpected STATE %s after action %u", spp_power_state_name(state), action);
}

/* Reads power messages until a RESULT (if want_result) and a STATE (if want_state >= 0) arrived,
 * in either order; returns the RESULT code. NOTIFY counts as the answer when want_notify. Any
 * other message ends the recording. */
static uint32_t collect(SppPowerChannel *p, uint16_t action, gboolean want_result, int want_state,
                        gboolean want_notify)
{
    uint32_t code = 0;
    gboolean got_answer = !(want_result || want_notify), got_state = want_state < 0;
    while (!got_answer || !got_state) {
        SppMessage msg = {0};
        if (spp_recv(p->conn, &msg, STEP_MS) != SPP_OK)
            die("waiting after action %u: %s", action, spp_conn_error(p->conn));
        if (msg.type == SPP_MSG_POWER_RESULT && want_result) {
            code = result_code(&msg, action);
            got_answer = TRUE;
        } else if (msg.type == SPP_MSG_NOTIFY && want_notify) {
            code = notify_what(&msg, action);
            got_answer = TRUE;
        } else if (msg.type == SPP_MSG_POWER_STATE) {
            check_state(&msg, want_state, action);
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

static void send_action(SppPowerChannel *p, uint16_t action)
{
    g_autoptr(GError) err = NULL;
    if (!spp_power_channel_send(p, action, 0, &err))
        die("%s", err->message);
}

/* Nothing more may arrive (success without the RESULT cap is silent). */
static void expect_silence(SppPowerChannel *p, const char *what)
{
    SppMessage msg = {0};
    int st = spp_recv(p->conn, &msg, 500);
    if (st != SPP_ERR_TIMEOUT)
        die("%s: expected silence, got %s (type %u)", what, spp_status_name(st), msg.type);
    spp_message_clear(&msg);
}

static void scenario_result(void)
{
    SppPowerSession *session = connect_main(NULL);
    SppPowerChannel *p = linked_power(session, SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT),
                                      NULL);
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
    spp_power_channel_free(p);
    spp_power_session_free(session);
}

static void scenario_notify(void)
{
    SppPowerSession *session = connect_main(NULL);
    SppPowerChannel *p = linked_power(session, SPP_CAP_MASK(SPP_POWER_CAP_STATE), NULL);
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
    spp_power_channel_free(p);
    spp_power_session_free(session);
}

static void scenario_refused(void)
{
    SppPowerSession *session = connect_main(PASSWORD);
    uint32_t caps = SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    SppPowerChannel *p = linked_power(session, caps, PASSWORD);
    collect(p, 0, FALSE, SPP_POWER_STATE_ON, FALSE);
    send_action(p, SPP_MSGC_POWER_RESET);
    expect_code("RESET", collect(p, SPP_MSGC_POWER_RESET, TRUE, -1, FALSE), SPP_POWER_RESULT_OK);
    wait_boot();
    SppPowerChannel *bad = connect_power(session, caps, "wrong");
    if (bad->link_status != SPP_ERR_LINK || !bad->link.result_received ||
        bad->link.result != SPP_LINK_ERR_PERMISSION_DENIED)
        die("wrong ticket: %s (link result %u)", spp_status_name(bad->link_status), bad->link.result);
    printf("record-bridge: power link with a wrong ticket -> PERMISSION_DENIED\n");
    spp_power_channel_free(bad);
    spp_power_channel_free(p);
    spp_power_session_free(session);
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
