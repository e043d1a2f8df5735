/* spicy's Power menu end to end, as a person uses it: spicy (the patched spice-gtk's) on a private
 * Xvfb connects to QEMU running the harness guest; the menu is opened with the keyboard
 * (xdotool: Alt+P, then the item's mnemonic), and the outcome is seen where it happens: on the
 * guest's serial line (BOOT n), in QEMU's QMP events, and in what spicy shows, read through the
 * accessibility tree (AT-SPI: the menu items' sensitivity, the status bar's power label, the
 * error dialog), which is what a screen reader reads.
 *
 *   spicy-power-e2e --scenario end-to-end|no-power-channel [--port N]
 *
 * end-to-end: the patched QEMU (power-control=on): Reset (BOOT 2, RESET host-ui), Power off (STOP,
 *   "power: off", only Power on offered), Power on (RESUME, BOOT 3, "power: on"), then a Reset
 *   that QEMU's policy denies (set-action reboot=shutdown): spicy shows "Power action failed".
 * no-power-channel: Debian's QEMU, whose spice-server has no power channel: the Power entries stay
 *   insensitive, no power label, the Reset mnemonic does nothing, spicy logs no warning.
 * --port: the SPICE port (default: a free one), for recording the session with dumpcap.
 * Environment: SPP_SPICY, another spicy to drive (e.g. a broken one, to see the test fail);
 * SPP_KEEP_TMPDIR=1 keeps the logs (Xvfb, D-Bus, spicy; QEMU's is the launcher's).
 *
 * Everything it starts (Xvfb, a D-Bus session bus for AT-SPI, QEMU, spicy) dies with it: the
 * children get PR_SET_PDEATHSIG, and every exit path tears them down. Exit 0 when every check
 * passed, 1 with the failed check on stderr (and spicy's log), 2 on bad arguments. */
#include <atspi/atspi.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "guest.h"
#include "launcher.h"
#include "spp_client.h"

#define WAIT_MS 10000    /* for anything that needs QEMU, spicy or the X server to get going */
#define STEP_MS 5000     /* for one outcome after one key press */
#define SETTLE_MS 1500   /* how long something that must not happen is given to happen */
#define POLL_MS 100
#define WINDOW_NAME "spice display 0:0"
#define ERROR_DIALOG "Power action failed"
#define SCREEN "1024x768x24"
#define RESET "Reset"
#define POWER_OFF "Power off"
#define POWER_ON "Power on"

/* libatspi 2.46 defines no cleanup functions of its own */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AtspiAccessible, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(AtspiStateSet, g_object_unref)

typedef struct {
    char *tmpdir;
    GSubprocess *xvfb;
    GSubprocess *dbus;
    GSubprocess *spicy;
    char *display; /* ":N" */
    SppLauncher *qemu;
    SppQmpClient *qmp;
    AtspiAccessible *app;
    char *window; /* spicy's toplevel, as xdotool names it */
    int port;
} Rig;

static Rig rig;

/* The session bus starts the accessibility bus and its registry on demand, as its children, in
 * the process group it leads (die_with_parent): the group goes, and the directory is removed once
 * nothing in it can write there any more. */
static void end_dbus(void)
{
    const char *id = rig.dbus ? g_subprocess_get_identifier(rig.dbus) : NULL;
    pid_t group = id ? (pid_t)g_ascii_strtoll(id, NULL, 10) : 0;
    if (group > 0)
        kill(-group, SIGKILL);
    gint64 deadline = g_get_monotonic_time() + 2 * G_TIME_SPAN_SECOND;
    while (group > 0 && kill(-group, 0) == 0 && g_get_monotonic_time() < deadline)
        g_usleep(20000);
}

static void rig_teardown(void)
{
    GSubprocess **children[] = {&rig.spicy, &rig.dbus, &rig.xvfb};
    end_dbus();
    for (gsize i = 0; i < G_N_ELEMENTS(children); i++) {
        if (*children[i] == NULL)
            continue;
        g_subprocess_force_exit(*children[i]);
        g_subprocess_wait(*children[i], NULL, NULL);
        g_clear_object(children[i]);
    }
    g_clear_pointer(&rig.qemu, spp_launcher_free);
    g_clear_object(&rig.app);
    if (rig.tmpdir && !g_getenv("SPP_KEEP_TMPDIR")) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", rig.tmpdir);
        (void)!system(cmd);
    }
    g_clear_pointer(&rig.tmpdir, g_free);
}

static void on_signal(int sig)
{
    (void)sig;
    _exit(1); /* the children die with us (PR_SET_PDEATHSIG); QEMU's launcher cleans its own */
}

static void print_spicy_log(void)
{
    g_autofree char *path = g_build_filename(rig.tmpdir, "spicy.log", NULL);
    g_autofree char *log = NULL;
    if (rig.tmpdir && g_file_get_contents(path, &log, NULL, NULL))
        g_printerr("--- spicy's log ---\n%s--- end of spicy's log ---\n", log);
}

static void G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *msg = g_strdup_vprintf(format, args);
    va_end(args);
    g_printerr("spicy-power-e2e: FAIL: %s\n", msg);
    print_spicy_log();
    rig_teardown();
    exit(1);
}

static void pass(const char *what)
{
    g_print("ok - %s\n", what);
}

/* ---- children ------------------------------------------------------------------------------- */

static void die_with_parent(gpointer unused)
{
    (void)unused;
    setpgid(0, 0); /* a group of its own, which its children join (end_dbus) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *child_launcher(const char *log_name)
{
    GSubprocessLauncher *l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_INHERIT);
    g_autofree char *log = g_build_filename(rig.tmpdir, log_name, NULL);
    g_subprocess_launcher_set_child_setup(l, die_with_parent, NULL, NULL);
    g_subprocess_launcher_set_stdout_file_path(l, log);
    g_subprocess_launcher_set_stderr_file_path(l, log);
    return l;
}

/* Reads what a child writes on the pipe it was given (Xvfb's -displayfd, dbus-daemon's
 * --print-address): one line, within WAIT_MS. */
static char *read_line_from(int fd, const char *what)
{
    GString *line = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        char c;
        if (left <= 0 || poll(&p, 1, left) <= 0 || read(fd, &c, 1) != 1)
            fail("%s did not say where it is within %d ms", what, WAIT_MS);
        if (c == '\n')
            break;
        g_string_append_c(line, c);
    }
    close(fd);
    return g_string_free(line, FALSE);
}

/* Starts argv with its end of a pipe as fd 3 and returns what it writes there. */
static GSubprocess *spawn_reporting(const char *const *argv, const char *log_name, char **report)
{
    int fds[2];
    if (!g_unix_open_pipe(fds, FD_CLOEXEC, NULL))
        fail("pipe: %s", g_strerror(errno));
    g_autoptr(GSubprocessLauncher) l = child_launcher(log_name);
    g_subprocess_launcher_take_fd(l, fds[1], 3);
    g_autoptr(GError) err = NULL;
    GSubprocess *child = g_subprocess_launcher_spawnv(l, argv, &err);
    if (!child)
        fail("cannot start %s: %s", argv[0], err->message);
    *report = read_line_from(fds[0], argv[0]);
    return child;
}

/* Xvfb picks a free display itself (-displayfd); the D-Bus session bus serves AT-SPI, whose own
 * bus it starts on demand (org.a11y.Bus). Both are this process's environment from now on. */
static void start_x_and_dbus(void)
{
    const char *xvfb[] = {"Xvfb", "-displayfd", "3", "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset", NULL};
    g_autofree char *num = NULL;
    rig.xvfb = spawn_reporting(xvfb, "xvfb.log", &num);
    rig.display = g_strdup_printf(":%s", num);
    g_setenv("DISPLAY", rig.display, TRUE);
    g_setenv("XDG_RUNTIME_DIR", rig.tmpdir, TRUE);
    g_unsetenv("NO_AT_BRIDGE");
    const char *dbus[] = {"dbus-daemon", "--session", "--nofork", "--print-address=3", NULL};
    g_autofree char *address = NULL;
    rig.dbus = spawn_reporting(dbus, "dbus.log", &address);
    g_setenv("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
}

/* ---- QEMU ------------------------------------------------------------------------------------ */

static void start_qemu(const char *binary, gboolean power_control)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    g_autofree char *spice = g_strdup_printf("port=%d,addr=127.0.0.1,disable-ticketing=on%s", rig.port,
                                             power_control ? ",power-control=on" : "");
    spp_launch_config_set_qemu_binary(config, binary);
    if (!spp_launch_config_add_disk(config, disk, &err))
        fail("guest disk: %s", err->message);
    /* a graphic console, so that spicy has a display channel and a window: the patched QEMU is
     * built without default devices, and isa-vga is the VGA it has */
    spp_launch_config_add_args(config, "-device", "isa-vga", "-spice", spice, NULL);
    rig.qemu = spp_launcher_start(config, &err);
    if (!rig.qemu)
        fail("QEMU did not start: %s", err->message);
    rig.qmp = spp_launcher_get_qmp(rig.qemu);
    g_autofree char *boot = spp_launcher_serial_wait_line(rig.qemu, SPP_GUEST_BOOT_LINE, WAIT_MS, &err);
    if (g_strcmp0(boot, "BOOT 1") != 0)
        fail("the guest did not boot: %s", err ? err->message : boot);
}

static void expect_boot(const char *line)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *boot = spp_launcher_serial_wait_line(rig.qemu, SPP_GUEST_BOOT_LINE, STEP_MS, &err);
    if (g_strcmp0(boot, line) != 0)
        fail("expected '%s' on the guest's serial line, got %s", line, err ? err->message : boot);
}

static gboolean is_host_ui_reset(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = ev->data ? json_node_get_object(ev->data) : NULL;
    return d && !json_object_get_boolean_member_with_default(d, "guest", TRUE) &&
           g_strcmp0(json_object_get_string_member_with_default(d, "reason", ""), "host-ui") == 0;
}

/* waits for the QMP event; with timeout_ms == SETTLE_MS, that it does not come */
static gboolean qmp_event(const char *name, SppQmpEventMatch match, gint64 timeout_ms)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(rig.qmp, name, match, NULL, timeout_ms, &err);
    return ev != NULL;
}

static void expect_qmp_event(const char *name, SppQmpEventMatch match)
{
    if (!qmp_event(name, match, STEP_MS))
        fail("no QMP %s event within %d ms", name, STEP_MS);
}

static void qmp_execute(const char *command, const char *arguments)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) ret = spp_qmp_client_execute_json(rig.qmp, command, arguments, STEP_MS, &err);
    if (!ret)
        fail("QMP %s: %s", command, err->message);
}

/* ---- spicy and the X server ------------------------------------------------------------------ */

/* Runs xdotool with ARGS (NULL-terminated); its stdout, or NULL when it failed. */
static char *xdotool(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer) "xdotool");
    va_list args;
    va_start(args, first);
    for (const char *a = first; a; a = va_arg(args, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(args);
    g_ptr_array_add(argv, NULL);
    char *out = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                      NULL, &out, NULL, &status, NULL) ||
        !g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    return g_strstrip(out);
}

/* The first window called NAME, within timeout_ms, or NULL. */
static char *wait_window(const char *name, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    do {
        g_autofree char *ids = xdotool("search", "--onlyvisible", "--name", name, NULL);
        if (ids && *ids) {
            char *nl = strchr(ids, '\n');
            return nl ? g_strndup(ids, nl - ids) : g_strdup(ids);
        }
        g_usleep(POLL_MS * 1000);
    } while (g_get_monotonic_time() < deadline);
    return NULL;
}

static void start_spicy(void)
{
    g_autoptr(GSubprocessLauncher) l = child_launcher("spicy.log");
    g_autofree char *home = g_build_filename(rig.tmpdir, "home", NULL);
    g_autofree char *port = g_strdup_printf("%d", rig.port);
    g_mkdir_with_parents(home, 0700);
    /* a home of its own: no settings or recent files of the user's, none left behind */
    g_subprocess_launcher_setenv(l, "HOME", home, TRUE);
    g_subprocess_launcher_unsetenv(l, "XDG_CONFIG_HOME");
    g_subprocess_launcher_unsetenv(l, "XDG_DATA_HOME");
    g_subprocess_launcher_setenv(l, "GSETTINGS_BACKEND", "memory", TRUE);
    g_subprocess_launcher_setenv(l, "GDK_BACKEND", "x11", TRUE);
    g_subprocess_launcher_setenv(l, "LC_ALL", "C.UTF-8", TRUE);
    g_autoptr(GError) err = NULL;
    const char *spicy = g_getenv("SPP_SPICY") ? g_getenv("SPP_SPICY") : SPP_SPICY;
    rig.spicy = g_subprocess_launcher_spawn(l, &err, spicy, "-h", "127.0.0.1", "-p", port, NULL);
    if (!rig.spicy)
        fail("cannot start spicy: %s", err->message);
    rig.window = wait_window(WINDOW_NAME, WAIT_MS);
    if (!rig.window)
        fail("no spicy window '%s' within %d ms", WINDOW_NAME, WAIT_MS);
    /* the pointer stays outside the display widget, which would otherwise grab the keyboard
     * for the guest (and with it the menu's mnemonics) */
    if (!xdotool("windowmove", "--sync", rig.window, "0", "0", NULL) ||
        !xdotool("mousemove", "1020", "760", NULL) || !xdotool("windowfocus", "--sync", rig.window, NULL))
        fail("xdotool could not place and focus spicy's window");
}

static gboolean spicy_running(void)
{
    return rig.spicy && g_subprocess_get_identifier(rig.spicy) != NULL; /* NULL once it ended */
}

/* ---- what spicy shows (AT-SPI) -------------------------------------------------------------- */

static AtspiAccessible *find_app(void)
{
    g_autoptr(AtspiAccessible) desktop = atspi_get_desktop(0);
    GPid pid = (GPid)g_ascii_strtoll(g_subprocess_get_identifier(rig.spicy), NULL, 10);
    gint n = atspi_accessible_get_child_count(desktop, NULL);
    for (gint i = 0; i < n; i++) {
        AtspiAccessible *app = atspi_accessible_get_child_at_index(desktop, i, NULL);
        if (app && (GPid)atspi_accessible_get_process_id(app, NULL) == pid)
            return app;
        g_clear_object(&app);
    }
    return NULL;
}

typedef gboolean (*NodeMatch)(AtspiAccessible *node, AtspiRole role, const char *name, gconstpointer data);

/* depth-first search of the tree under node; a new reference, or NULL */
static AtspiAccessible *find_node(AtspiAccessible *node, NodeMatch match, gconstpointer data, int depth)
{
    g_autofree char *name = atspi_accessible_get_name(node, NULL);
    if (match(node, atspi_accessible_get_role(node, NULL), name ? name : "", data))
        return g_object_ref(node);
    gint n = depth < 16 ? atspi_accessible_get_child_count(node, NULL) : 0;
    for (gint i = 0; i < n; i++) {
        g_autoptr(AtspiAccessible) child = atspi_accessible_get_child_at_index(node, i, NULL);
        AtspiAccessible *found = child ? find_node(child, match, data, depth + 1) : NULL;
        if (found)
            return found;
    }
    return NULL;
}

static gboolean is_menu_item(AtspiAccessible *node, AtspiRole role, const char *name, gconstpointer item)
{
    (void)node;
    return role == ATSPI_ROLE_MENU_ITEM && strcmp(name, item) == 0;
}

static gboolean has_state(AtspiAccessible *node, AtspiStateType state)
{
    g_autoptr(AtspiStateSet) set = atspi_accessible_get_state_set(node);
    return set && atspi_state_set_contains(set, state);
}

static gboolean is_power_label(AtspiAccessible *node, AtspiRole role, const char *name, gconstpointer unused)
{
    (void)unused;
    return role == ATSPI_ROLE_LABEL && g_str_has_prefix(name, "power: ") && has_state(node, ATSPI_STATE_SHOWING);
}

/* spicy's accessible tree, freshly read (states and names change under the cache) */
static AtspiAccessible *app_fresh(void)
{
    if (!rig.app)
        rig.app = find_app();
    if (rig.app)
        atspi_accessible_clear_cache(rig.app);
    return rig.app;
}

/* 1 sensitive, 0 insensitive, -1 no such menu item */
static int item_sensitive(const char *item)
{
    AtspiAccessible *app = app_fresh();
    g_autoptr(AtspiAccessible) node = app ? find_node(app, is_menu_item, item, 0) : NULL;
    return node ? has_state(node, ATSPI_STATE_SENSITIVE) : -1;
}

/* the power label's text, or NULL when there is none on screen */
static char *power_label(void)
{
    AtspiAccessible *app = app_fresh();
    g_autoptr(AtspiAccessible) node = app ? find_node(app, is_power_label, NULL, 0) : NULL;
    return node ? atspi_accessible_get_name(node, NULL) : NULL;
}

/* Whether spicy shows LABEL (NULL: no power label) with exactly the power items in
 * SENSITIVE offered ("R" reset, "F" power off, "N" power on). */
static gboolean shows(const char *label, const char *sensitive, GString *seen)
{
    static const struct {
        char key;
        const char *item;
    } items[] = {{'R', RESET}, {'F', POWER_OFF}, {'N', POWER_ON}};
    g_autofree char *text = power_label();
    gboolean ok = g_strcmp0(text, label) == 0;
    g_string_printf(seen, "label '%s', offered:", text ? text : "(none)");
    for (gsize i = 0; i < G_N_ELEMENTS(items); i++) {
        int s = item_sensitive(items[i].item);
        if (s < 0)
            g_string_append_printf(seen, " (no '%s' item)", items[i].item);
        else if (s)
            g_string_append_printf(seen, " '%s'", items[i].item);
        ok = ok && s == (strchr(sensitive, items[i].key) != NULL);
    }
    return ok;
}

static void expect_shown(const char *label, const char *sensitive, gint64 timeout_ms)
{
    g_autoptr(GString) seen = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    while (!shows(label, sensitive, seen)) {
        if (g_get_monotonic_time() > deadline)
            fail("spicy shows %s; expected label '%s' and offered '%s'", seen->str, label ? label : "(none)",
                 sensitive);
        g_usleep(POLL_MS * 1000);
    }
}

/* Power -> ITEM with the keyboard: Alt+P opens the menu (once its items are on screen), then the
 * item's mnemonic. */
static void choose(const char *item, const char *mnemonic)
{
    if (!xdotool("key", "alt+p", NULL))
        fail("xdotool key alt+p failed");
    gint64 deadline = g_get_monotonic_time() + STEP_MS * G_TIME_SPAN_MILLISECOND;
    for (;;) {
        AtspiAccessible *app = app_fresh();
        g_autoptr(AtspiAccessible) node = app ? find_node(app, is_menu_item, item, 0) : NULL;
        if (node && has_state(node, ATSPI_STATE_SHOWING))
            break;
        if (g_get_monotonic_time() > deadline)
            fail("Alt+P did not open the Power menu (no '%s' on screen)", item);
        g_usleep(POLL_MS * 1000);
    }
    if (!xdotool("key", mnemonic, NULL))
        fail("xdotool key %s failed", mnemonic);
}

/* spicy's log has no GLib warning or critical */
static void expect_quiet_log(void)
{
    g_autofree char *path = g_build_filename(rig.tmpdir, "spicy.log", NULL);
    g_autofree char *log = NULL;
    g_file_get_contents(path, &log, NULL, NULL);
    if (log && (strstr(log, "-WARNING") || strstr(log, "-CRITICAL") || strstr(log, "-ERROR")))
        fail("spicy logged a warning");
}

/* ---- the scenarios --------------------------------------------------------------------------- */

static void rig_up(const char *qemu, gboolean power_control)
{
    start_x_and_dbus();
    if (atspi_init() < 0)
        fail("AT-SPI did not start");
    start_qemu(qemu, power_control);
    start_spicy();
}

static void end_to_end(void)
{
    rig_up(SPP_QEMU_POWER_BINARY, TRUE);
    expect_shown("power: on", "RF", WAIT_MS);
    pass("spicy shows 'power: on' and offers Reset and Power off");

    choose(RESET, "r");
    expect_boot("BOOT 2");
    expect_qmp_event("RESET", is_host_ui_reset);
    pass("Power -> Reset: the guest booted again (BOOT 2), QMP RESET host-ui");

    choose(POWER_OFF, "o");
    expect_qmp_event("STOP", NULL);
    expect_shown("power: off", "N", STEP_MS);
    pass("Power -> Power off: QMP STOP, spicy shows 'power: off' and offers only Power on");

    choose(POWER_ON, "n");
    expect_qmp_event("RESUME", NULL);
    expect_boot("BOOT 3");
    expect_shown("power: on", "RF", STEP_MS);
    pass("Power -> Power on: QMP RESUME, the guest booted (BOOT 3), 'power: on'");

    /* QEMU now turns every reset into a shutdown, so it denies the channel's RESET */
    qmp_execute("set-action", "{\"reboot\": \"shutdown\"}");
    g_ptr_array_unref(spp_qmp_client_drain_events(rig.qmp)); /* the firmware's RESETs of the boot */
    choose(RESET, "r");
    g_autofree char *dialog = wait_window(ERROR_DIALOG, STEP_MS);
    if (!dialog)
        fail("no '%s' dialog after a denied Reset", ERROR_DIALOG);
    if (!spp_launcher_is_running(rig.qemu) || qmp_event("RESET", NULL, SETTLE_MS))
        fail("the denied Reset reset or ended QEMU");
    pass("a denied Reset: spicy shows '" ERROR_DIALOG "', the machine runs on");
    expect_quiet_log();
}

static void no_power_channel(void)
{
    rig_up(QEMU_STOCK_BINARY, FALSE);
    /* the channel list came before the display channel that made the window: a power channel
     * would be linked within this time (end-to-end's items turn sensitive within it) */
    g_usleep(SETTLE_MS * 1000);
    expect_shown(NULL, "", STEP_MS);
    pass("Reset, Power off and Power on are insensitive, no power label");

    choose(RESET, "r");
    if (qmp_event("RESET", NULL, SETTLE_MS))
        fail("an insensitive Reset reset the machine");
    if (!spicy_running())
        fail("spicy ended");
    pass("the Reset mnemonic does nothing; spicy runs on");
    expect_quiet_log();
    pass("no warning or critical in spicy's log");
}

int main(int argc, char **argv)
{
    g_autofree char *scenario = NULL;
    GOptionEntry entries[] = {
        {"scenario", 0, 0, G_OPTION_ARG_STRING, &scenario, "end-to-end or no-power-channel", "NAME"},
        {"port", 0, 0, G_OPTION_ARG_INT, &rig.port, "SPICE port (default: a free one)", "N"},
        G_OPTION_ENTRY_NULL};
    g_autoptr(GOptionContext) ctx = g_option_context_new("- spicy's Power menu end to end");
    g_autoptr(GError) err = NULL;
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        g_printerr("spicy-power-e2e: %s\n", err->message);
        return 2;
    }
    void (*run)(void) = g_strcmp0(scenario, "end-to-end") == 0         ? end_to_end
                        : g_strcmp0(scenario, "no-power-channel") == 0 ? no_power_channel
                                                                        : NULL;
    if (!run || argc > 1 || rig.port < 0 || rig.port > 65535) {
        g_printerr("spicy-power-e2e: %s\n", !run ? "--scenario must be end-to-end or no-power-channel"
                                                  : "unexpected arguments or a bad --port");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rig.tmpdir = g_dir_make_tmp("spicy-e2e-XXXXXX", NULL);
    if (rig.port == 0)
        rig.port = spp_free_loopback_port();
    if (!rig.tmpdir || rig.port <= 0)
        fail("no temporary directory or free port");
    gint64 start = g_get_monotonic_time();
    run();
    rig_teardown();
    g_print("ok - %s passed in %.1f s\n", scenario, (g_get_monotonic_time() - start) / 1e6);
    return 0;
}
