/* The hostile ctests. Every test starts its own spice-power-bridge, and behind it real QEMU with the
 * project's guest (qemu-harness/launcher, qemu-harness/guest) or, for the hostile QMP peers, the
 * scripted fake peer (qemu-harness/qmp/tests/fake-qmp-peer.h) on a Unix socket.
 *
 * /hostile/spice/ATTACK runs spp-hostile ATTACK against the bridge, as a user would against any
 * endpoint; /hostile/qmp/... and /hostile/plane/... misbehave on the bridge's other side, which
 * only a test controls, and check the bridge with the same checks (hostile.h). */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-qmp-peer.h"
#include "guest.h"
#include "hostile.h"
#include "launcher.h"
#include "spp_bridge_process.h"

#define PASSWORD "hostile-ticket"
/* While a plane misbehaves, links keep coming for this long, each answered within LINK_MS. */
#define LINK_WINDOW_MS 1500
#define LINK_MS 500
/* The bridge gives QEMU 5 s per QMP command; one attacker's command and then ours. */
#define SLOW_PLANE_RESULT_MS 11000
/* A restarted QEMU: the bridge reconnects every 250 ms and then reports STATE ON. */
#define STATE_ON_MS 5000
/* How long an attack runs before the checks. */
#define ATTACK_SETTLE_MS 300
#define LOG_TAIL_LINES 30

typedef struct {
    char *dir;
    char *qmp_link; /* the bridge's QMP socket: a symlink to QEMU's, or the fake peer's socket */
    char *log;
    SppLauncher *qemu;
    FakePeer *peer;
    SppBridgeProcess *bridge;
    HostileTarget target;
} Rig;

static SppLauncher *start_qemu(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    g_assert_true(spp_launch_config_add_disk(config, disk, &err));
    /* QEMU serves one client per QMP socket: it belongs to the bridge (or to a test's stranger). */
    spp_launch_config_set_connect_qmp(config, FALSE);
    SppLauncher *qemu = spp_launcher_start(config, &err);
    g_assert_no_error(err);
    g_autofree char *boot = spp_launcher_serial_wait_line(qemu, SPP_GUEST_BOOT_LINE, 10000, &err);
    g_assert_no_error(err);
    g_assert_nonnull(boot);
    return qemu;
}

static void point_qmp_link_at(Rig *rig, SppLauncher *qemu)
{
    g_autofree char *tmp = g_strconcat(rig->qmp_link, ".new", NULL);
    unlink(tmp);
    g_assert_cmpint(symlink(spp_launcher_get_qmp_socket_path(qemu), tmp), ==, 0);
    g_assert_cmpint(rename(tmp, rig->qmp_link), ==, 0);
}

static Rig *rig_new(void)
{
    Rig *rig = g_new0(Rig, 1);
    rig->dir = g_dir_make_tmp("hostile-XXXXXX", NULL);
    g_assert_nonnull(rig->dir);
    rig->qmp_link = g_build_filename(rig->dir, "qmp.sock", NULL);
    rig->log = g_build_filename(rig->dir, "bridge.log", NULL);
    return rig;
}

static void start_bridge(Rig *rig, const char *password)
{
    const SppBridgeProcessSpec spec = {
        .path = SPP_BRIDGE_PATH, .qmp_socket = rig->qmp_link, .password = password, .log_file = rig->log};
    g_autoptr(GError) err = NULL;
    rig->bridge = spp_bridge_process_start(&spec, &err);
    g_assert_no_error(err);
    rig->target = (HostileTarget){.host = "127.0.0.1",
                                  .port = spp_bridge_process_port(rig->bridge),
                                  .password = (char *)password,
                                  .pid = spp_bridge_process_pid(rig->bridge),
                                  .rss_limit_mib = HOSTILE_RSS_LIMIT_MIB,
                                  .deadline_ms = HOSTILE_DEADLINE_MS};
}

/* Real QEMU behind the bridge. */
static Rig *rig_new_qemu(const char *password)
{
    Rig *rig = rig_new();
    rig->qemu = start_qemu();
    point_qmp_link_at(rig, rig->qemu);
    start_bridge(rig, password);
    return rig;
}

/* The fake QMP peer playing script behind the bridge. */
static Rig *rig_new_peer(const Step *script)
{
    Rig *rig = rig_new();
    rig->peer = peer_serve(rig->qmp_link, script);
    start_bridge(rig, NULL);
    return rig;
}

/* The rig's files; a failed assertion ends the test before rig_free, so it calls this first. */
static void rig_remove_files(Rig *rig)
{
    g_unlink(rig->qmp_link);
    g_unlink(rig->log);
    g_rmdir(rig->dir);
}

static void rig_free(Rig *rig)
{
    spp_bridge_process_stop(rig->bridge);
    if (rig->peer)
        peer_serve_stop(rig->peer);
    spp_launcher_free(rig->qemu);
    rig_remove_files(rig);
    g_free(rig->qmp_link);
    g_free(rig->log);
    g_free(rig->dir);
    g_free(rig);
}

/* On failure: the end of the bridge's log, then the error. */
static void rig_assert(Rig *rig, gboolean ok, GError *err)
{
    if (ok)
        return;
    g_autofree char *log = NULL;
    if (g_file_get_contents(rig->log, &log, NULL, NULL)) {
        g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
        guint n = g_strv_length(lines);
        for (guint i = n > LOG_TAIL_LINES ? n - LOG_TAIL_LINES : 0; i < n; i++)
            g_printerr("bridge log: %s\n", lines[i]);
    }
    rig_remove_files(rig);
    g_assert_no_error(err);
    g_assert_true(ok);
}

/* ---- /hostile/spice/ATTACK: spp-hostile against the bridge ------------------------------ */

static void test_spice_attack(gconstpointer name)
{
    Rig *rig = rig_new_qemu(PASSWORD);
    g_autofree char *ticket = g_build_filename(rig->dir, "ticket", NULL);
    g_assert_true(g_file_set_contents_full(ticket, PASSWORD "\n", -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
    g_autofree char *endpoint = g_strdup_printf("127.0.0.1:%d", rig->target.port);
    g_autofree char *pid = g_strdup_printf("%d", rig->target.pid);
    const char *argv[] = {SPP_HOSTILE_PATH, "--spice", endpoint, "--password-file", ticket, "--pid", pid, name, NULL};
    g_autofree char *out = NULL;
    int status;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &err));
    g_assert_no_error(err);
    g_test_message("%s", out);
    g_unlink(ticket);
    g_autoptr(GError) ended = NULL;
    if (!spp_bridge_process_running(rig->bridge, &ended))
        g_test_message("%s", ended->message);
    gboolean ok = g_spawn_check_wait_status(status, &err);
    rig_assert(rig, ok, g_steal_pointer(&err));
    rig_free(rig);
}

/* ---- shared by the plane and peer tests --------------------------------------------------- */

/* An attacker: a session whose RESET is in flight when the plane misbehaves. Whether it links at
 * all (a stalled bridge may not answer it) is not the test's question. */
static void attacker_sends_reset(Rig *rig, SppPowerSession **session, SppPowerChannel **power)
{
    g_autoptr(GError) err = NULL;
    if (hostile_power_session(&rig->target, session, power, &err))
        spp_power_channel_send(*power, SPP_MSGC_POWER_RESET, 0, NULL);
    else
        g_test_message("the attacker did not get a session: %s", err->message);
}

/* While the plane misbehaves: alive, memory bounded, every link within LINK_MS, and RESET gets a
 * RESULT (of any code) within result_ms. */
static void assert_links_answered(Rig *rig, HostileRun *run, int result_ms)
{
    GError *err = NULL;
    HostileExpect any = {.link_ms = LINK_MS, .result_ms = result_ms};
    gboolean ok = hostile_process_alive(rig->target.pid, &err) &&
                  hostile_links_answered(&rig->target, LINK_WINDOW_MS, LINK_MS, &err) &&
                  hostile_legit_reset(&rig->target, &any, &err) && hostile_run_sample_rss(run, &err) &&
                  hostile_process_alive(rig->target.pid, &err);
    rig_assert(rig, ok, err);
}

/* Once the plane behaves again: alive, memory bounded, RESET OK within the deadline (after STATE
 * ON when the plane had to come back: state_on_ms). */
static void assert_served(Rig *rig, HostileRun *run, int state_on_ms)
{
    GError *err = NULL;
    HostileExpect expect = hostile_expect_default(&rig->target);
    expect.state_on_ms = state_on_ms;
    gboolean ok = hostile_process_alive(rig->target.pid, &err) && hostile_legit_reset(&rig->target, &expect, &err) &&
                  hostile_run_sample_rss(run, &err) && hostile_process_alive(rig->target.pid, &err);
    rig_assert(rig, ok, err);
}

/* ---- /hostile/qmp/...: a hostile QMP peer behind the bridge ------------------------------- */

#define RUNNING_REPLY "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": %ID%}\r\n"
#define STOP_EVENT "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n"
#define GARBAGE "\x01\xff}{ \"return\": ][ garbage\r\n"
#define FOREVER_MS (10 * 60 * 1000)
#define DEEP_NESTING 100000
#define SLOW_READ_MS 25

static void run_peer_attack(const Step *script)
{
    Rig *rig = rig_new_peer(script);
    HostileRun run;
    hostile_run_init(&run, &rig->target);
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    attacker_sends_reset(rig, &session, &power);
    g_usleep(ATTACK_SETTLE_MS * 1000);
    assert_links_answered(rig, &run, SLOW_PLANE_RESULT_MS);
    g_test_message("bridge RSS %.1f MiB before, peak %.1f MiB; the peer served %u QMP connections",
                   run.rss_base_kib / 1024.0, run.rss_peak_kib / 1024.0, rig->peer->clients);
    hostile_run_clear(&run);
    rig_free(rig);
}

/* A reply to the bridge's first command after the capabilities, nested DEEP_NESTING levels deep. */
static void test_qmp_deep_nesting(void)
{
    g_autofree char *open = g_strnfill(DEEP_NESTING, '[');
    g_autofree char *close = g_strnfill(DEEP_NESTING, ']');
    g_autofree char *deep = g_strconcat("{\"return\": ", open, close, ", \"id\": %ID%}\r\n", NULL);
    const Step script[] = {
        {STEP_SEND, GREETING}, {STEP_REPLY, OK_REPLY}, {STEP_REPLY, deep}, {STEP_END},
    };
    run_peer_attack(script);
}

static void test_qmp_endless_events(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING}, {STEP_REPLY, OK_REPLY}, {STEP_FLOOD_MS, STOP_EVENT, FOREVER_MS}, {STEP_END},
    };
    run_peer_attack(script);
}

static void test_qmp_garbage(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING}, {STEP_REPLY, OK_REPLY}, {STEP_RECV}, {STEP_SEND, GARBAGE}, {STEP_END},
    };
    run_peer_attack(script);
}

static void test_qmp_greeting_then_silence(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING}, {STEP_SLEEP_MS, NULL, FOREVER_MS}, {STEP_END},
    };
    run_peer_attack(script);
}

static void test_qmp_slow_reader(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING}, {STEP_SERVE_SLOWLY, RUNNING_REPLY, SLOW_READ_MS}, {STEP_END},
    };
    run_peer_attack(script);
}

/* ---- /hostile/plane/...: QEMU stopped, killed, restarted, its QMP socket taken ------------ */

static void test_plane_sigstop(void)
{
    Rig *rig = rig_new_qemu(NULL);
    HostileRun run;
    hostile_run_init(&run, &rig->target);
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    pid_t qemu = spp_launcher_get_pid(rig->qemu);
    g_assert_cmpint(kill(qemu, SIGSTOP), ==, 0);
    attacker_sends_reset(rig, &session, &power);
    g_usleep(ATTACK_SETTLE_MS * 1000);
    GError *err = NULL;
    gboolean ok = hostile_links_answered(&rig->target, LINK_WINDOW_MS, LINK_MS, &err);
    g_assert_cmpint(kill(qemu, SIGCONT), ==, 0);
    rig_assert(rig, ok, err);
    assert_served(rig, &run, 0);
    hostile_run_clear(&run);
    rig_free(rig);
}

static void kill_qemu(Rig *rig)
{
    g_assert_cmpint(kill(spp_launcher_get_pid(rig->qemu), SIGKILL), ==, 0);
    g_autoptr(GError) err = NULL;
    int status;
    g_assert_true(spp_launcher_wait_exit(rig->qemu, 5000, &status, &err));
    spp_launcher_free(rig->qemu);
    rig->qemu = NULL;
}

static void test_plane_killed(void)
{
    Rig *rig = rig_new_qemu(NULL);
    HostileRun run;
    hostile_run_init(&run, &rig->target);
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    attacker_sends_reset(rig, &session, &power);
    kill_qemu(rig);
    g_usleep(ATTACK_SETTLE_MS * 1000);
    assert_links_answered(rig, &run, HOSTILE_DEADLINE_MS);
    hostile_run_clear(&run);
    rig_free(rig);
}

static void test_plane_restarted(void)
{
    Rig *rig = rig_new_qemu(NULL);
    HostileRun run;
    hostile_run_init(&run, &rig->target);
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    attacker_sends_reset(rig, &session, &power);
    kill_qemu(rig);
    rig->qemu = start_qemu();
    point_qmp_link_at(rig, rig->qemu);
    assert_served(rig, &run, STATE_ON_MS);
    hostile_run_clear(&run);
    rig_free(rig);
}

static void test_plane_qmp_taken(void)
{
    Rig *rig = rig_new();
    rig->qemu = start_qemu();
    g_autoptr(GError) err = NULL;
    SppQmpClient *stranger = spp_qmp_client_connect(spp_launcher_get_qmp_socket_path(rig->qemu), 5000, &err);
    g_assert_no_error(err);
    point_qmp_link_at(rig, rig->qemu);
    start_bridge(rig, NULL);
    HostileRun run;
    hostile_run_init(&run, &rig->target);
    g_usleep(ATTACK_SETTLE_MS * 1000);
    assert_links_answered(rig, &run, HOSTILE_DEADLINE_MS);
    spp_qmp_client_free(stranger);
    assert_served(rig, &run, STATE_ON_MS);
    hostile_run_clear(&run);
    rig_free(rig);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (gsize i = 0; i < hostile_n_attacks; i++) {
        g_autofree char *path = g_strdup_printf("/hostile/spice/%s", hostile_attacks[i].name);
        g_test_add_data_func(path, hostile_attacks[i].name, test_spice_attack);
    }
    g_test_add_func("/hostile/qmp/deep_nesting", test_qmp_deep_nesting);
    g_test_add_func("/hostile/qmp/endless_events", test_qmp_endless_events);
    g_test_add_func("/hostile/qmp/garbage", test_qmp_garbage);
    g_test_add_func("/hostile/qmp/greeting_then_silence", test_qmp_greeting_then_silence);
    g_test_add_func("/hostile/qmp/slow_reader", test_qmp_slow_reader);
    g_test_add_func("/hostile/plane/sigstop", test_plane_sigstop);
    g_test_add_func("/hostile/plane/killed", test_plane_killed);
    g_test_add_func("/hostile/plane/restarted", test_plane_restarted);
    g_test_add_func("/hostile/plane/qmp_taken", test_plane_qmp_taken);
    return g_test_run();
}
