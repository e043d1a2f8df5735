/* SpicePowerChannel, the patched spice-gtk's GObject API, against real servers: the patched QEMU
 * with power-control=on, spice-power-bridge in front of Debian's QEMU, and servers without the
 * channel (Debian's QEMU with its stock spice-server, the patched QEMU without power-control=on).
 * The client is spice-gtk's own session, which creates its channels from the server's channel
 * list as any spice-gtk application's does. Outcomes are checked where they happen: in the
 * GObject API (properties, state-changed, the calls' results), on the guest's serial line and in
 * QMP events. Each test path starts its own QEMU.
 *
 * spice-gtk runs on the default main context, which this program iterates only while it waits for
 * the client; the launcher's serial and QMP reads block without it, which costs the client nothing
 * but a pause. A warning or critical logged by anyone fails the test (record_log). */
#include <glib.h>
#include <spice-client.h>

#include "guest.h"
#include "launcher.h"
#include "spp_bridge_process.h"
#include "spp_client.h" /* spp_free_loopback_port() */

#define WAIT_MS 10000 /* one step of QEMU under TCG on a loaded machine: a boot, a link */
#define ALL_ACTIONS "reset,poweroff,poweron"
#define CHANNEL_BIT(type) (1u << (type))
/* what every session with a display opens, with or without the power channel */
#define BASE_CHANNELS \
    (CHANNEL_BIT(SPICE_CHANNEL_MAIN) | CHANNEL_BIT(SPICE_CHANNEL_DISPLAY) | CHANNEL_BIT(SPICE_CHANNEL_INPUTS))

typedef enum { RESET, POWER_OFF, POWER_ON } Action;

static const struct {
    void (*start)(SpicePowerChannel *, GCancellable *, GAsyncReadyCallback, gpointer);
    gboolean (*finish)(SpicePowerChannel *, GAsyncResult *, GError **);
} actions[] = {
    [RESET] = {spice_power_channel_reset_async, spice_power_channel_reset_finish},
    [POWER_OFF] = {spice_power_channel_power_off_async, spice_power_channel_power_off_finish},
    [POWER_ON] = {spice_power_channel_power_on_async, spice_power_channel_power_on_finish},
};

/* the announcement's properties: all TRUE for a server of the whole protocol with all actions */
static const char *const announcement[] = {"can-reset", "can-power-off", "can-power-on", "reports-state",
                                           "reports-results"};

/* warnings and criticals logged during the test (record_log) */
static GPtrArray *logged;

typedef struct {
    SppLauncher *qemu;
    SppQmpClient *qmp; /* events: the launcher's monitor, or the second one when the bridge has the first */
    SppBridgeProcess *bridge;
    int port; /* where the SPICE server listens */
    guint32 boot; /* the guest's last BOOT count */
    SpiceSession *session;
    guint created; /* CHANNEL_BIT of every channel type the session created */
    guint opened;  /* ... and of those that opened */
    guint live;    /* channels not yet destroyed */
    SpicePowerChannel *power; /* NULL until the session creates it */
    gboolean announced_at_open[G_N_ELEMENTS(announcement)];
} Rig;

typedef struct {
    Action action;
    gboolean done;
    gboolean ok;
    GError *error;
} Call;

/* g_test makes warnings and criticals fatal; recording them instead lets a test end its session
 * and say which were logged. Everything is still printed. */
static void record_log(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    if (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL))
        g_ptr_array_add(logged, g_strdup_printf("%s: %s", domain ? domain : "(no domain)", message));
    g_log_default_handler(domain, level, message, data);
}

static void assert_nothing_logged(void)
{
    for (guint i = 0; i < logged->len; i++)
        g_printerr("logged: %s\n", (const char *)g_ptr_array_index(logged, i));
    g_assert_cmpuint(logged->len, ==, 0);
}

/* ---- the main context ------------------------------------------------- */

static gboolean deadline_passed(gpointer late)
{
    *(gboolean *)late = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the client until done(data) holds. */
static void run_until(gboolean (*done)(gconstpointer), gconstpointer data, const char *what)
{
    gboolean late = FALSE;
    guint timer = g_timeout_add(WAIT_MS, deadline_passed, &late);
    while (!done(data)) {
        if (late)
            g_error("timed out waiting for %s", what);
        g_main_context_iteration(NULL, TRUE);
    }
    if (!late)
        g_source_remove(timer);
}

/* ---- the servers -------------------------------------------------------- */

/* A QEMU (binary NULL: Debian's) with SPICE on a free loopback port, a display for the display
 * channel, whose guest has booted. With for_bridge the first monitor is left for the bridge and
 * rig->qmp is the second. */
static void start_qemu(Rig *rig, const char *binary, gboolean power_control, gboolean for_bridge)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    if (binary)
        spp_launch_config_set_qemu_binary(config, binary);
    g_assert_true(spp_launch_config_add_disk(config, disk, &err));
    if (for_bridge) {
        spp_launch_config_set_connect_qmp(config, FALSE);
        spp_launch_config_set_second_monitor(config, TRUE);
    } else {
        rig->port = spp_free_loopback_port();
        g_assert_cmpint(rig->port, >, 0);
        g_autofree char *spice = g_strdup_printf("port=%d,addr=127.0.0.1,disable-ticketing=on%s", rig->port,
                                                 power_control ? ",power-control=on" : "");
        /* isa-vga: the one display both Debian's QEMU and our minimal build have */
        spp_launch_config_add_args(config, "-spice", spice, "-device", "isa-vga", NULL);
    }
    rig->qemu = spp_launcher_start(config, &err);
    g_assert_no_error(err);
    g_autofree char *boot = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_BOOT_LINE, WAIT_MS, &err);
    g_assert_no_error(err);
    g_assert_cmpint(spp_guest_parse_line(boot, &rig->boot), ==, SPP_GUEST_LINE_BOOT);
    if (for_bridge) {
        rig->qmp = spp_qmp_client_connect(spp_launcher_get_monitor_socket_path(rig->qemu), WAIT_MS, &err);
        g_assert_no_error(err);
    } else {
        rig->qmp = spp_launcher_get_qmp(rig->qemu);
    }
}

static void start_bridge(Rig *rig)
{
    const SppBridgeProcessSpec spec = {.path = SPP_BRIDGE_PATH,
                                       .qmp_socket = spp_launcher_get_qmp_socket_path(rig->qemu),
                                       .actions = ALL_ACTIONS};
    g_autoptr(GError) err = NULL;
    rig->bridge = spp_bridge_process_start(&spec, &err);
    g_assert_no_error(err);
    rig->port = spp_bridge_process_port(rig->bridge);
}

static void stop_qemu(Rig *rig)
{
    if (rig->bridge)
        spp_qmp_client_free(rig->qmp);
    rig->qmp = NULL;
    spp_launcher_free(rig->qemu);
    rig->qemu = NULL;
}

/* ---- the client --------------------------------------------------------- */

static int channel_type(SpiceChannel *channel)
{
    int type;
    g_object_get(channel, "channel-type", &type, NULL);
    return type;
}

static void channel_event(SpiceChannel *channel, SpiceChannelEvent event, Rig *rig)
{
    if (event != SPICE_CHANNEL_OPENED)
        return;
    rig->opened |= CHANNEL_BIT(channel_type(channel));
    /* what an application sees when it builds its controls */
    if (SPICE_IS_POWER_CHANNEL(channel)) {
        for (guint i = 0; i < G_N_ELEMENTS(announcement); i++)
            g_object_get(channel, announcement[i], &rig->announced_at_open[i], NULL);
    }
}

static void channel_new(SpiceSession *session, SpiceChannel *channel, Rig *rig)
{
    (void)session;
    int type = channel_type(channel);
    rig->created |= CHANNEL_BIT(type);
    rig->live++;
    g_signal_connect(channel, "channel-event", G_CALLBACK(channel_event), rig);
    if (SPICE_IS_POWER_CHANNEL(channel)) {
        g_assert_null(rig->power);
        rig->power = SPICE_POWER_CHANNEL(channel);
    }
    /* the session connects the main channel itself; an application connects the others */
    if (type != SPICE_CHANNEL_MAIN)
        spice_channel_connect(channel);
}

static void channel_destroy(SpiceSession *session, SpiceChannel *channel, Rig *rig)
{
    (void)session;
    if (channel == SPICE_CHANNEL(rig->power))
        rig->power = NULL;
    rig->live--;
}

static void client_connect(Rig *rig)
{
    g_autofree char *port = g_strdup_printf("%d", rig->port);
    rig->session = spice_session_new();
    g_object_set(rig->session, "host", "127.0.0.1", "port", port, NULL);
    g_signal_connect(rig->session, "channel-new", G_CALLBACK(channel_new), rig);
    g_signal_connect(rig->session, "channel-destroy", G_CALLBACK(channel_destroy), rig);
    g_assert_true(spice_session_connect(rig->session));
}

static gboolean no_channel_left(gconstpointer data)
{
    const Rig *rig = data;
    return rig->live == 0;
}

static gboolean all_opened(gconstpointer data)
{
    const Rig *rig = data;
    return rig->opened == rig->created;
}

/* Ends the session once every channel has opened: spice-gtk warns about a link it cut short. */
static void client_disconnect(Rig *rig)
{
    run_until(all_opened, rig, "every channel to open");
    spice_session_disconnect(rig->session);
    run_until(no_channel_left, rig, "the session's channels to go");
    g_clear_object(&rig->session);
}

static void rig_free(Rig *rig)
{
    if (rig->session)
        client_disconnect(rig);
    spp_bridge_process_stop(rig->bridge);
    stop_qemu(rig);
    g_free(rig);
    assert_nothing_logged();
}

static gboolean power_opened(gconstpointer data)
{
    const Rig *rig = data;
    return rig->opened & CHANNEL_BIT(SPICE_CHANNEL_POWER);
}

/* Connects the session and waits for the power channel: it announces everything. */
static void open_power(Rig *rig)
{
    client_connect(rig);
    run_until(power_opened, rig, "the power channel to open");
    g_assert_nonnull(rig->power);
    for (guint i = 0; i < G_N_ELEMENTS(announcement); i++) {
        gboolean now;
        g_object_get(rig->power, announcement[i], &now, NULL);
        g_assert_true(rig->announced_at_open[i]);
        g_assert_true(now);
    }
}

typedef struct {
    SpicePowerChannel *channel;
    SpicePowerChannelState state;
} StateWait;

static gboolean state_reached(gconstpointer data)
{
    const StateWait *wait = data;
    return spice_power_channel_get_state(wait->channel) == wait->state;
}

static void wait_state(Rig *rig, SpicePowerChannelState state)
{
    const StateWait wait = {rig->power, state};
    run_until(state_reached, &wait, "a power state");
}

static void call_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    Call *call = user_data;
    call->ok = actions[call->action].finish(SPICE_POWER_CHANNEL(source), result, &call->error);
    call->done = TRUE;
}

static gboolean call_finished(gconstpointer data)
{
    const Call *call = data;
    return call->done;
}

/* Calls an action and waits for its outcome: TRUE, or FALSE with error set. */
static gboolean act(Rig *rig, Action action, GError **error)
{
    Call call = {.action = action};
    actions[action].start(rig->power, NULL, call_done, &call);
    run_until(call_finished, &call, "a power call to finish");
    g_assert_true(call.ok == (call.error == NULL));
    if (call.error)
        g_propagate_error(error, call.error);
    return call.ok;
}

static void act_ok(Rig *rig, Action action)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(act(rig, action, &err));
    g_assert_no_error(err);
}

static void act_fails(Rig *rig, Action action, int code)
{
    g_autoptr(GError) err = NULL;
    g_assert_false(act(rig, action, &err));
    g_assert_error(err, SPICE_POWER_CHANNEL_ERROR, code);
}

/* ---- what QEMU did ------------------------------------------------------ */

/* The guest booted once more since the last look. */
static void expect_boot(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *line = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_BOOT_LINE, WAIT_MS, &err);
    g_assert_no_error(err);
    guint32 boot = 0;
    g_assert_cmpint(spp_guest_parse_line(line, &boot), ==, SPP_GUEST_LINE_BOOT);
    g_assert_cmpuint(boot, ==, rig->boot + 1);
    rig->boot = boot;
}

/* A reset the host asked for: host-ui from QEMU's own channel, host-qmp-system-reset from the
 * bridge's system_reset (firmware adds resets of its own, with guest: true). */
static gboolean is_host_reset(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = json_node_get_object(ev->data);
    return !json_object_get_boolean_member_with_default(d, "guest", TRUE);
}

static void expect_event(Rig *rig, const char *name, SppQmpEventMatch match)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(rig->qmp, name, match, NULL, WAIT_MS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ev);
}

/* ---- the tests ---------------------------------------------------------- */

/* QEMU's own power channel: every action, its effect on the guest, and the state it leads to. */
static void test_patched_qemu(void)
{
    Rig *rig = g_new0(Rig, 1);
    start_qemu(rig, SPP_QEMU_POWER_BINARY, TRUE, FALSE);
    open_power(rig);
    wait_state(rig, SPICE_POWER_CHANNEL_STATE_ON);

    act_ok(rig, RESET);
    expect_event(rig, "RESET", is_host_reset);
    expect_boot(rig);

    act_ok(rig, POWER_OFF);
    wait_state(rig, SPICE_POWER_CHANNEL_STATE_OFF);
    expect_event(rig, "STOP", NULL);
    act_fails(rig, RESET, SPICE_POWER_CHANNEL_ERROR_INVALID_STATE);

    act_ok(rig, POWER_ON);
    wait_state(rig, SPICE_POWER_CHANNEL_STATE_ON);
    expect_event(rig, "RESUME", NULL);
    expect_boot(rig);
    rig_free(rig);
}

/* spice-power-bridge in front of Debian's QEMU: a reset, an action the state forbids, and the
 * management plane gone (§12.5: UNKNOWN, then FAILED). */
static void test_bridge(void)
{
    Rig *rig = g_new0(Rig, 1);
    start_qemu(rig, NULL, FALSE, TRUE);
    start_bridge(rig);
    open_power(rig);
    wait_state(rig, SPICE_POWER_CHANNEL_STATE_ON);

    act_ok(rig, RESET);
    expect_event(rig, "RESET", is_host_reset);
    expect_boot(rig);
    act_fails(rig, POWER_ON, SPICE_POWER_CHANNEL_ERROR_INVALID_STATE);

    stop_qemu(rig);
    wait_state(rig, SPICE_POWER_CHANNEL_STATE_UNKNOWN);
    act_fails(rig, RESET, SPICE_POWER_CHANNEL_ERROR_FAILED);
    rig_free(rig);
}

static gboolean base_opened(gconstpointer data)
{
    const Rig *rig = data;
    return (rig->opened & BASE_CHANNELS) == BASE_CHANNELS;
}

/* A server without the power channel: the session works as before and never has one. The channels
 * come from one channel list, created together, so once the others opened a power channel would
 * have been created too. */
static void session_without_power(const char *binary)
{
    Rig *rig = g_new0(Rig, 1);
    start_qemu(rig, binary, FALSE, FALSE);
    client_connect(rig);
    run_until(base_opened, rig, "main, display and inputs to open");
    g_assert_false(rig->created & CHANNEL_BIT(SPICE_CHANNEL_POWER));
    g_assert_null(rig->power);
    GList *channels = spice_session_get_channels(rig->session);
    for (GList *l = channels; l; l = l->next)
        g_assert_false(SPICE_IS_POWER_CHANNEL(l->data));
    g_list_free(channels);
    rig_free(rig);
}

static void test_absent_stock_qemu(void)
{
    session_without_power(NULL);
}

static void test_absent_power_control_off(void)
{
    session_without_power(SPP_QEMU_POWER_BINARY);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    logged = g_ptr_array_new_with_free_func(g_free);
    g_log_set_default_handler(record_log, NULL);
    g_test_add_func("/gtk-power/patched-qemu", test_patched_qemu);
    g_test_add_func("/gtk-power/bridge", test_bridge);
    g_test_add_func("/gtk-power/absent/stock-qemu", test_absent_stock_qemu);
    g_test_add_func("/gtk-power/absent/power-control-off", test_absent_power_control_off);
    int ret = g_test_run();
    g_ptr_array_unref(logged);
    return ret;
}
