/* The patched QEMU's -spice power-control end to end: the patched qemu-system-x86_64 boots the
 * harness guest (launcher, guest) with SPICE on a loopback port, and a real SPICE client
 * (spp_power) links the main and the power channel. Outcomes are checked where they happen: on
 * the guest's serial line, in QMP events and run states, in the power channel's STATE and RESULT,
 * in the main channel's channel list and in QEMU's trace output. Each test path starts its own
 * QEMU. */
#include <glib.h>
#include <string.h>

#include <spice/enums.h> /* the patched spice-protocol: SPICE_MSG_MAIN_CHANNELS_LIST, SPICE_CHANNEL_POWER */

#include "guest.h"
#include "launcher.h"
#include "spp_power.h"

#define STEP_MS 3000
#define WAIT_MS 5000
#define QUIET_MS 1000 /* how long a guest that is off must stay silent */
#define TRACE_POINT "qemu_spice_power_reported"
#define ALL_CAPS                                                                                                  \
    (SPP_CAP_MASK(SPP_POWER_CAP_RESET) | SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) | SPP_CAP_MASK(SPP_POWER_CAP_POWERON) | \
     SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT))

typedef struct {
    gboolean power_control;
    const char *action; /* one -action argument, or NULL */
} RigSpec;

typedef struct {
    SppLauncher *qemu;
    SppQmpClient *qmp; /* the launcher's monitor: events and run states */
    SppPowerSession *session;
    SppPowerChannel *power; /* NULL until linked */
} Rig;

static SppLauncher *start_qemu(const RigSpec *spec, int port)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    g_autofree char *spice = g_strdup_printf("port=%d,addr=127.0.0.1,disable-ticketing=on%s", port,
                                             spec->power_control ? ",power-control=on" : "");
    spp_launch_config_set_qemu_binary(config, SPP_QEMU_POWER_BINARY);
    g_assert_true(spp_launch_config_add_disk(config, disk, &err));
    if (spec->action)
        spp_launch_config_add_action(config, spec->action);
    spp_launch_config_add_args(config, "-spice", spice, "-trace", TRACE_POINT, NULL);
    SppLauncher *qemu = spp_launcher_start(config, &err);
    g_assert_no_error(err);
    g_autofree char *boot = spp_launcher_serial_wait_line(qemu, SPP_GUEST_BOOT_LINE, WAIT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(boot, ==, "BOOT 1");
    return qemu;
}

/* QEMU booted the guest and a SPICE session (main channel) is open; the power channel is not
 * linked yet. */
static Rig *rig_new(const RigSpec *spec)
{
    Rig *rig = g_new0(Rig, 1);
    int port = spp_free_loopback_port();
    g_assert_cmpint(port, >, 0);
    rig->qemu = start_qemu(spec, port);
    rig->qmp = spp_launcher_get_qmp(rig->qemu);
    g_autoptr(GError) err = NULL;
    rig->session = spp_power_session_open("127.0.0.1", port, NULL, WAIT_MS, STEP_MS, &err);
    g_assert_no_error(err);
    return rig;
}

static void rig_free(Rig *rig)
{
    spp_power_channel_free(rig->power);
    spp_power_session_free(rig->session);
    spp_launcher_free(rig->qemu);
    g_free(rig);
}

/* Links the power channel announcing STATE and RESULT; FALSE when refused (rig->power says how). */
static gboolean link_power(Rig *rig)
{
    rig->power = spp_power_channel_new();
    uint32_t caps = SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    return spp_power_channel_link(rig->power, rig->session, SPP_POWER_CHANNEL_ID, caps, NULL, STEP_MS, NULL);
}

/* Whether the main channel's channel list names channel type 12 (the list comes once the client
 * attached, which spp_power_session_open did). */
static gboolean channel_list_has_power(Rig *rig)
{
    SppMessage msg;
    int st = spp_recv_type(rig->session->main_conn, SPICE_MSG_MAIN_CHANNELS_LIST, &msg, WAIT_MS);
    g_assert_cmpint(st, ==, SPP_OK);
    guint32 count;
    g_assert_cmpuint(msg.size, >=, sizeof count);
    memcpy(&count, msg.data, sizeof count);
    count = GUINT32_FROM_LE(count);
    g_assert_cmpuint(msg.size, ==, sizeof count + 2 * (gsize)count); /* {u8 type, u8 id} each */
    gboolean found = FALSE;
    for (guint32 i = 0; i < count; i++)
        found = found || msg.data[sizeof count + 2 * i] == SPICE_CHANNEL_POWER;
    spp_message_clear(&msg);
    return found;
}

static int expect_state(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    int state = spp_power_channel_expect_state(rig->power, WAIT_MS, &err);
    g_assert_no_error(err);
    return state;
}

/* Sends an action and returns the code of its RESULT. */
static uint32_t act(Rig *rig, uint16_t action)
{
    g_autoptr(GError) err = NULL;
    uint32_t code = 0;
    spp_power_channel_act(rig->power, action, WAIT_MS, &code, &err);
    g_assert_no_error(err);
    return code;
}

static gboolean is_host_ui(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = json_node_get_object(ev->data);
    return !json_object_get_boolean_member_with_default(d, "guest", TRUE) &&
           g_strcmp0(json_object_get_string_member_with_default(d, "reason", ""), "host-ui") == 0;
}

static void expect_event(Rig *rig, const char *name, SppQmpEventMatch match)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(rig->qmp, name, match, NULL, WAIT_MS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ev);
}

static char *run_state(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) status = spp_qmp_client_execute(rig->qmp, "query-status", NULL, WAIT_MS, &err);
    g_assert_no_error(err);
    return g_strdup(json_object_get_string_member(json_node_get_object(status), "status"));
}

static void qmp(Rig *rig, const char *command)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = spp_qmp_client_execute(rig->qmp, command, NULL, WAIT_MS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ret);
}

/* The next BOOT line, after the lines already read. */
static void expect_boot(Rig *rig, const char *line)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *boot = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_BOOT_LINE, WAIT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(boot, ==, line);
}

/* No TICK for a while: no guest instruction runs. Lines already buffered are consumed first (by
 * waiting for a prefix no line has). */
static void expect_guest_silent(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    g_free(spp_launcher_serial_wait_line(rig->qemu, "\001", 200, NULL));
    g_autofree char *tick = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_TICK_LINE, QUIET_MS, &err);
    g_assert_null(tick);
    g_assert_error(err, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TIMEOUT);
}

/* QEMU's trace of an outcome names the client that asked: the loopback address, plain TCP, the
 * session's connection id. The trace goes to QEMU's stderr, maybe just after the RESULT. */
static void expect_trace(Rig *rig, const char *action, const char *result)
{
    g_autofree char *pattern = g_strdup_printf(TRACE_POINT " peer 127\\.0\\.0\\.1:[0-9]+ tls 0 connection_id %u "
                                               "action %s result %s$",
                                               rig->session->id, action, result);
    g_autoptr(GRegex) re = g_regex_new(pattern, G_REGEX_MULTILINE, 0, NULL);
    g_assert_nonnull(re);
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;
    for (;;) {
        g_autofree char *log = spp_launcher_read_stderr(rig->qemu);
        if (g_regex_match(re, log, 0, NULL))
            return;
        if (g_get_monotonic_time() > deadline)
            g_error("no trace /%s/ in QEMU's stderr:\n%s", pattern, log);
        g_usleep(20000);
    }
}

static const RigSpec power_on = {.power_control = TRUE};

static void test_caps_and_state(void)
{
    Rig *rig = rig_new(&power_on);
    g_assert_true(channel_list_has_power(rig));
    g_assert_true(link_power(rig));
    g_assert_cmphex(rig->power->link.channel_caps[0], ==, ALL_CAPS);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    rig_free(rig);
}

static void test_reset(void)
{
    Rig *rig = rig_new(&power_on);
    g_assert_true(link_power(rig));
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    expect_event(rig, "RESET", is_host_ui);
    expect_boot(rig, "BOOT 2");
    expect_trace(rig, "RESET", "OK");
    rig_free(rig);
}

static void test_poweroff_then_poweron(void)
{
    Rig *rig = rig_new(&power_on);
    g_assert_true(link_power(rig));
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_OK);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_OFF);
    expect_event(rig, "STOP", NULL);
    expect_event(rig, "RESET", is_host_ui); /* held in reset */
    g_autofree char *held = run_state(rig);
    g_assert_cmpstr(held, ==, "prelaunch");
    expect_guest_silent(rig);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_INVALID_STATE);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_INVALID_STATE);

    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_POWERON), ==, SPP_POWER_RESULT_OK);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    expect_event(rig, "RESUME", NULL);
    expect_boot(rig, "BOOT 2");
    expect_trace(rig, "POWEROFF", "OK");
    expect_trace(rig, "POWERON", "OK");
    expect_trace(rig, "POWEROFF", "INVALID_STATE"); /* the server's own answers are traced too */
    rig_free(rig);
}

/* Stops the running VM from the monitor: STATE PAUSED. */
static void pause_vm(Rig *rig)
{
    qmp(rig, "stop");
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_PAUSED);
}

/* A reset of a PAUSED VM holds it in reset: QEMU leaves a stopped VM in prelaunch without telling
 * the VM change state handlers, and STATE must still say OFF (§7.1, §12.4), whoever reset it. */
static void test_reset_while_paused(void)
{
    Rig *rig = rig_new(&power_on);
    g_assert_true(link_power(rig));
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    pause_vm(rig);
    qmp(rig, "system_reset");
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_OFF);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_POWERON), ==, SPP_POWER_RESULT_OK);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    expect_boot(rig, "BOOT 2");

    pause_vm(rig);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    expect_event(rig, "RESET", is_host_ui);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_OFF);
    g_autofree char *held = run_state(rig);
    g_assert_cmpstr(held, ==, "prelaunch");
    rig_free(rig);
}

/* A VM stopped by the monitor is PAUSED: powered, so POWERON is refused; cont makes it ON. */
static void test_paused(void)
{
    Rig *rig = rig_new(&power_on);
    g_assert_true(link_power(rig));
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    pause_vm(rig);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_POWERON), ==, SPP_POWER_RESULT_INVALID_STATE);
    qmp(rig, "cont");
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    rig_free(rig);
}

/* -action shutdown=pause: a guest that switches itself off is OFF, and POWERON resets it first
 * (cont alone is refused in run state shutdown). */
static void test_guest_shutdown_then_poweron(void)
{
    const RigSpec spec = {.power_control = TRUE, .action = "shutdown=pause"};
    Rig *rig = rig_new(&spec);
    g_assert_true(link_power(rig));
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_autoptr(GError) err = NULL;
    g_assert_true(spp_launcher_serial_write(rig->qemu, "o", 1, &err));
    g_assert_no_error(err);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_OFF);
    g_autofree char *off = run_state(rig);
    g_assert_cmpstr(off, ==, "shutdown");
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_POWERON), ==, SPP_POWER_RESULT_OK);
    expect_event(rig, "RESET", is_host_ui);
    expect_event(rig, "RESUME", NULL);
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    expect_boot(rig, "BOOT 2");
    rig_free(rig);
}

/* -action reboot=shutdown (-no-reboot) turns every reset into the end of QEMU: RESET is not
 * offered, and a client that asks anyway gets UNSUPPORTED while the VM runs on. */
static void test_no_reboot(void)
{
    const RigSpec spec = {.power_control = TRUE, .action = "reboot=shutdown"};
    Rig *rig = rig_new(&spec);
    g_assert_true(link_power(rig));
    g_assert_cmphex(rig->power->link.channel_caps[0], ==, ALL_CAPS & ~SPP_CAP_MASK(SPP_POWER_CAP_RESET));
    g_assert_cmpint(expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_UNSUPPORTED);
    g_autofree char *state = run_state(rig);
    g_assert_cmpstr(state, ==, "running");
    expect_trace(rig, "RESET", "UNSUPPORTED");
    rig_free(rig);
}

/* Without power-control (the default) the channel does not exist: not listed, not linkable. */
static void test_off_by_default(void)
{
    const RigSpec spec = {.power_control = FALSE};
    Rig *rig = rig_new(&spec);
    g_assert_false(channel_list_has_power(rig));
    g_assert_false(link_power(rig));
    /* closed without a reply (an unregistered type) or CHANNEL_NOT_AVAILABLE: both mean "none" */
    if (rig->power->link.reply_received)
        g_assert_cmpuint(rig->power->link.error, ==, SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE);
    rig_free(rig);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-power/caps-and-state", test_caps_and_state);
    g_test_add_func("/qemu-power/reset", test_reset);
    g_test_add_func("/qemu-power/poweroff-then-poweron", test_poweroff_then_poweron);
    g_test_add_func("/qemu-power/paused", test_paused);
    g_test_add_func("/qemu-power/reset-while-paused", test_reset_while_paused);
    g_test_add_func("/qemu-power/guest-shutdown-then-poweron", test_guest_shutdown_then_poweron);
    g_test_add_func("/qemu-power/no-reboot", test_no_reboot);
    g_test_add_func("/qemu-power/off-by-default", test_off_by_default);
    return g_test_run();
}
