/* The harness guest on the real QEMU: it boots and counts boots on disk,
 * ticks, writes its state sector, reboots on a QMP reset, obeys serial
 * commands, and a snapshot-load visibly rewinds both RAM and disk. */
#include "guest.h"
#include "launcher.h"

#include <string.h>
#include <sys/wait.h>

#define TIMEOUT_MS 5000

/* For results and events whose arrival is the whole point. */
static void drop_result(JsonNode *result)
{
    if (result != NULL)
        json_node_unref(result);
}

static void drop_event(SppQmpEvent *event)
{
    spp_qmp_event_free(event);
}

static SppLauncher *start_guest(const char *format, gboolean paused)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autofree char *spec = spp_guest_disk_spec("disk0", format);
    g_autoptr(GError) error = NULL;
    g_assert_true(spp_launch_config_add_disk(config, spec, &error));
    spp_launch_config_set_paused(config, paused);
    SppLauncher *launcher = spp_launcher_start(config, &error);
    g_assert_no_error(error);
    return launcher;
}

/* Waits for the next complete line of this kind ("TICK 12", never a line cut
 * by a stop or a reset) and returns its number. */
static guint32 wait_for(SppLauncher *launcher, SppGuestLineKind kind)
{
    static const char *const patterns[] = {
        [SPP_GUEST_LINE_BOOT] = "^BOOT [0-9]+$",
        [SPP_GUEST_LINE_TICK] = "^TICK [0-9]+$",
        [SPP_GUEST_LINE_DISK] = "^DISK [0-9]+$",
        [SPP_GUEST_LINE_CMD] = "^CMD .$",
    };
    g_assert_true(kind < G_N_ELEMENTS(patterns) && patterns[kind] != NULL);
    g_autoptr(GRegex) regex = g_regex_new(patterns[kind], 0, 0, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *line = spp_launcher_serial_wait_regex(launcher, regex, TIMEOUT_MS, &error);
    g_assert_no_error(error);
    guint32 value = 0;
    g_assert_cmpint(spp_guest_parse_line(line, &value), ==, kind);
    return value;
}

static JsonNode *qmp(SppLauncher *launcher, const char *command, const char *arguments)
{
    g_autoptr(GError) error = NULL;
    JsonNode *result = spp_qmp_client_execute_json(spp_launcher_get_qmp(launcher), command, arguments, TIMEOUT_MS,
                                                   &error);
    g_assert_no_error(error);
    return result;
}

static void read_state(SppLauncher *launcher, SppGuestState *state)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(spp_guest_read_state(spp_launcher_get_disk_path(launcher, "disk0"),
                                       spp_launcher_get_disk_format(launcher, "disk0"), state, &error));
    g_assert_no_error(error);
}

static void test_parse_lines(void)
{
    guint32 value = 0;
    g_assert_cmpint(spp_guest_parse_line("BOOT 12", &value), ==, SPP_GUEST_LINE_BOOT);
    g_assert_cmpuint(value, ==, 12);
    g_assert_cmpint(spp_guest_parse_line("TICK 4294967295", &value), ==, SPP_GUEST_LINE_TICK);
    g_assert_cmpuint(value, ==, 4294967295u);
    g_assert_cmpint(spp_guest_parse_line("DISK 10", &value), ==, SPP_GUEST_LINE_DISK);
    g_assert_cmpint(spp_guest_parse_line("DISKERR 128", &value), ==, SPP_GUEST_LINE_DISKERR);
    g_assert_cmpuint(value, ==, 128);
    g_assert_cmpint(spp_guest_parse_line("CMD r", &value), ==, SPP_GUEST_LINE_CMD);
    g_assert_cmpuint(value, ==, 'r');
    g_assert_cmpint(spp_guest_parse_line("TICK", NULL), ==, SPP_GUEST_LINE_OTHER);
    g_assert_cmpint(spp_guest_parse_line("TICK 1x", NULL), ==, SPP_GUEST_LINE_OTHER);
    g_assert_cmpint(spp_guest_parse_line("CK 17", NULL), ==, SPP_GUEST_LINE_OTHER);
    g_assert_cmpint(spp_guest_parse_line("SeaBIOS (version 1.16.2-debian)", NULL), ==, SPP_GUEST_LINE_OTHER);

    guint8 sector[512] = "SPPGUEST";
    sector[8] = 3;
    sector[12] = 0x2c;
    sector[13] = 0x01;
    SppGuestState state;
    g_autoptr(GError) error = NULL;
    g_assert_true(spp_guest_decode_state(sector, sizeof sector, &state, &error));
    g_assert_cmpuint(state.boot_count, ==, 3);
    g_assert_cmpuint(state.tick, ==, 300);
    sector[0] = 'X';
    g_assert_false(spp_guest_decode_state(sector, sizeof sector, &state, &error));
    g_assert_error(error, SPP_GUEST_ERROR, SPP_GUEST_ERROR_NO_STATE);

    /* The built image really is a boot sector. */
    g_autofree char *image = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(spp_guest_image_path(), &image, &length, NULL));
    g_assert_cmpuint(length, ==, 512);
    g_assert_cmphex((guint8)image[510], ==, 0x55);
    g_assert_cmphex((guint8)image[511], ==, 0xAA);
}

static void test_boot_and_tick(void)
{
    gint64 start = g_get_monotonic_time();
    g_autoptr(SppLauncher) launcher = start_guest("qcow2", FALSE);
    gint64 started = g_get_monotonic_time();
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);
    gint64 booted = g_get_monotonic_time();
    g_test_message("launcher start %.3f s, BOOT 1 after %.3f s from start", (started - start) / 1e6,
                   (booted - start) / 1e6);

    /* Ticks count 1, 2, 3, ... with no gaps, ~55 ms apart (BIOS timer, 18.2 Hz). */
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_TICK), ==, 1);
    gint64 first_tick = g_get_monotonic_time();
    for (guint32 expected = 2; expected <= 10; expected++)
        g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_TICK), ==, expected);
    double period_ms = (g_get_monotonic_time() - first_tick) / 1e3 / 9;
    g_test_message("tick period %.1f ms", period_ms);
    g_assert_cmpfloat(period_ms, >, 30);
    g_assert_cmpfloat(period_ms, <, 150);
    /* DISK 10 immediately follows TICK 10. */
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_DISK), ==, 10);

    /* The state sector, read while QEMU runs, and again at rest. */
    SppGuestState state;
    read_state(launcher, &state);
    g_assert_cmpuint(state.boot_count, ==, 1);
    g_assert_cmpuint(state.tick % SPP_GUEST_DISK_EVERY, ==, 0);
    g_assert_cmpuint(state.tick, >=, 10);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_DISK), ==, 20);
    spp_launcher_stop(launcher, TIMEOUT_MS);
    read_state(launcher, &state);
    g_assert_cmpuint(state.boot_count, ==, 1);
    g_assert_cmpuint(state.tick, >=, 20);
}

static gboolean is_host_reset(const SppQmpEvent *event, gpointer unused)
{
    (void)unused;
    return !json_object_get_boolean_member(json_node_get_object(event->data), "guest");
}

/* In the bytes COM1 carried, every "BOOT " follows a line end: a line the reset cut ("DIS", or
 * "DISK 20\r" without its "\n") ends there, and cannot become the start of the BOOT line. */
static void assert_boot_starts_a_line(SppLauncher *launcher, guint boots)
{
    g_autofree char *path = g_build_filename(spp_launcher_get_tmpdir(launcher), "serial.log", NULL);
    g_autofree char *bytes = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(path, &bytes, &length, &error));
    guint seen = 0;
    for (const char *at = strstr(bytes, SPP_GUEST_BOOT_LINE); at != NULL; at = strstr(at + 1, SPP_GUEST_BOOT_LINE)) {
        g_assert_true(at - bytes >= 2 && at[-2] == '\r' && at[-1] == '\n');
        seen++;
    }
    g_assert_cmpuint(seen, ==, boots);
}

static void test_qmp_reset_reboots(void)
{
    g_autoptr(SppLauncher) launcher = start_guest("qcow2", FALSE);
    SppQmpClient *client = spp_launcher_get_qmp(launcher);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);
    while (wait_for(launcher, SPP_GUEST_LINE_TICK) < 3)
        ;

    gint64 reset_at = g_get_monotonic_time();
    drop_result(qmp(launcher, "system_reset", NULL));
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpEvent) reset = spp_qmp_client_wait_event(client, "RESET", is_host_reset, NULL, 0, &error);
    g_assert_no_error(error); /* queued before the return */
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(reset->data), "reason"), ==,
                    "host-qmp-system-reset");

    /* The boot count lives on disk, so it survives the reset. */
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 2);
    g_test_message("system_reset to BOOT 2: %.3f s", (g_get_monotonic_time() - reset_at) / 1e6);
    /* RAM does not: ticks start over. */
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_TICK), ==, 1);

    /* SeaBIOS adds its own guest resets; tolerate them, but nothing else. */
    spp_qmp_client_pump(client, 300, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) rest = spp_qmp_client_drain_events(client);
    g_test_message("extra events after the reset: %u", rest->len);
    for (guint i = 0; i < rest->len; i++) {
        const SppQmpEvent *event = rest->pdata[i];
        g_assert_cmpstr(event->name, ==, "RESET");
        g_assert_true(json_object_get_boolean_member(json_node_get_object(event->data), "guest"));
    }
    SppGuestState state;
    read_state(launcher, &state);
    g_assert_cmpuint(state.boot_count, ==, 2);
    assert_boot_starts_a_line(launcher, 2);
}

static void test_raw_disk_state_at_rest(void)
{
    g_autoptr(SppLauncher) launcher = start_guest("raw", FALSE);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_DISK), ==, 10);
    spp_launcher_stop(launcher, TIMEOUT_MS);
    /* Plain file read: LBA 1 is at byte 512 of the raw image. */
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(spp_launcher_get_disk_path(launcher, "disk0"), &contents, &length, NULL));
    g_assert_cmpuint(length, ==, 1024 * 1024);
    g_assert_cmpmem(contents + 512, 8, "SPPGUEST", 8);
    SppGuestState state;
    read_state(launcher, &state);
    g_assert_cmpuint(state.boot_count, ==, 1);
    g_assert_cmpuint(state.tick, >=, 10);
}

static void test_serial_commands(void)
{
    g_autoptr(SppLauncher) launcher = start_guest("qcow2", FALSE);
    SppQmpClient *client = spp_launcher_get_qmp(launcher);
    g_autoptr(GError) error = NULL;
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);

    /* 'r': the guest resets itself through the keyboard controller. */
    g_assert_true(spp_launcher_serial_write(launcher, "r", 1, &error));
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_CMD), ==, 'r');
    g_autoptr(SppQmpEvent) reset = spp_qmp_client_wait_event(client, "RESET", NULL, NULL, TIMEOUT_MS, &error);
    g_assert_no_error(error);
    JsonObject *reset_data = json_node_get_object(reset->data);
    g_assert_true(json_object_get_boolean_member(reset_data, "guest"));
    g_assert_cmpstr(json_object_get_string_member(reset_data, "reason"), ==, "guest-reset");
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 2);

    /* 'o': ACPI S5; without -action shutdown=pause QEMU exits. */
    g_assert_true(spp_launcher_serial_write(launcher, "o", 1, &error));
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_CMD), ==, 'o');
    g_autoptr(SppQmpEvent) shutdown = spp_qmp_client_wait_event(client, "SHUTDOWN", NULL, NULL, TIMEOUT_MS, &error);
    g_assert_no_error(error);
    JsonObject *shutdown_data = json_node_get_object(shutdown->data);
    g_assert_true(json_object_get_boolean_member(shutdown_data, "guest"));
    g_assert_cmpstr(json_object_get_string_member(shutdown_data, "reason"), ==, "guest-shutdown");
    int status = 0;
    g_assert_true(spp_launcher_wait_exit(launcher, TIMEOUT_MS, &status, &error));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static const char *run_state(SppLauncher *launcher)
{
    static char status[64];
    g_autoptr(JsonNode) result = qmp(launcher, "query-status", NULL);
    g_strlcpy(status, json_object_get_string_member(json_node_get_object(result), "status"), sizeof status);
    return status;
}

/* A line that must not come: waiting for it times out. */
static void expect_no_line(SppLauncher *launcher, const char *prefix, gint64 timeout_ms)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *line = spp_launcher_serial_wait_line(launcher, prefix, timeout_ms, &error);
    g_assert_null(line);
    g_assert_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TIMEOUT);
}

static void test_hang_command(void)
{
    g_autoptr(SppLauncher) launcher = start_guest("qcow2", FALSE);
    g_autoptr(GError) error = NULL;
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);
    g_assert_true(spp_launcher_serial_write(launcher, "h", 1, &error));
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_CMD), ==, 'h');
    /* The CPU sits in cli; hlt: QEMU still says running, but ticks stop. */
    expect_no_line(launcher, SPP_GUEST_TICK_LINE, 300);
    g_assert_cmpstr(run_state(launcher), ==, "running");
}

static void test_reset_while_stopped_holds_off(void)
{
    /* How the bridge holds a VM "off": stop + system_reset leaves it in
     * prelaunch, and only cont boots it (fresh: BOOT 2). */
    g_autoptr(SppLauncher) launcher = start_guest("qcow2", FALSE);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);
    drop_result(qmp(launcher, "stop", NULL));
    drop_result(qmp(launcher, "system_reset", NULL));
    g_assert_cmpstr(run_state(launcher), ==, "prelaunch");
    expect_no_line(launcher, SPP_GUEST_BOOT_LINE, 300);
    drop_result(qmp(launcher, "cont", NULL));
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 2);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_TICK), ==, 1);
    g_assert_cmpstr(run_state(launcher), ==, "running");
}

static gboolean job_status_is(const SppQmpEvent *event, gpointer wanted)
{
    JsonObject *data = json_node_get_object(event->data);
    return g_strcmp0(json_object_get_string_member(data, "status"), wanted) == 0;
}

/* Runs a snapshot job to completion and dismisses it. */
static void run_snapshot_job(SppLauncher *launcher, const char *command, const char *job_id)
{
    g_autofree char *arguments = g_strdup_printf(
        "{\"job-id\": \"%s\", \"tag\": \"t1\", \"vmstate\": \"disk0\", \"devices\": [\"disk0\"]}", job_id);
    drop_result(qmp(launcher, command, arguments));
    g_autoptr(GError) error = NULL;
    drop_event(spp_qmp_client_wait_event(
        spp_launcher_get_qmp(launcher), "JOB_STATUS_CHANGE", job_status_is, "concluded", TIMEOUT_MS, &error));
    g_assert_no_error(error);
    g_autoptr(JsonNode) jobs = qmp(launcher, "query-jobs", NULL);
    JsonObject *job = json_array_get_object_element(json_node_get_array(jobs), 0);
    g_assert_false(json_object_has_member(job, "error"));
    g_autofree char *dismiss = g_strdup_printf("{\"id\": \"%s\"}", job_id);
    drop_result(qmp(launcher, "job-dismiss", dismiss));
}

/* The highest TICK value among the lines read so far. */
static guint32 last_tick_seen(SppLauncher *launcher)
{
    const GPtrArray *lines = spp_launcher_serial_get_lines(launcher);
    for (guint i = lines->len; i > 0; i--) {
        guint32 value;
        if (spp_guest_parse_line(lines->pdata[i - 1], &value) == SPP_GUEST_LINE_TICK)
            return value;
    }
    return 0;
}

static void test_snapshot_load_rewinds_ram_and_disk(void)
{
    g_autoptr(SppLauncher) launcher = start_guest("qcow2", FALSE);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_BOOT), ==, 1);
    g_assert_cmpuint(wait_for(launcher, SPP_GUEST_LINE_DISK), ==, 10);

    /* Save while paused so that nothing moves between reading and saving. */
    drop_result(qmp(launcher, "stop", NULL));
    spp_launcher_serial_pump(launcher, 50, NULL);
    guint32 tick_at_save = last_tick_seen(launcher);
    SppGuestState saved;
    read_state(launcher, &saved);
    run_snapshot_job(launcher, "snapshot-save", "save1");

    drop_result(qmp(launcher, "cont", NULL));
    guint32 disk_after = wait_for(launcher, SPP_GUEST_LINE_DISK);
    while (disk_after < saved.tick + 20)
        disk_after = wait_for(launcher, SPP_GUEST_LINE_DISK);
    drop_result(qmp(launcher, "stop", NULL));
    spp_launcher_serial_pump(launcher, 50, NULL);
    guint32 tick_before_load = last_tick_seen(launcher);
    SppGuestState before_load;
    read_state(launcher, &before_load);
    g_assert_cmpuint(before_load.tick, >, saved.tick);

    run_snapshot_job(launcher, "snapshot-load", "load1");
    SppGuestState loaded;
    read_state(launcher, &loaded);
    g_test_message("disk tick: saved %u, before load %u, after load %u; RAM tick at save %u, before load %u",
                   saved.tick, before_load.tick, loaded.tick, tick_at_save, tick_before_load);
    g_assert_cmpuint(loaded.boot_count, ==, saved.boot_count);
    g_assert_cmpuint(loaded.tick, ==, saved.tick);

    /* RAM rewinds too: ticks resume right after the saved value. A line may
     * have been cut by the stop, so skip to the first complete TICK. */
    drop_result(qmp(launcher, "cont", NULL));
    guint32 next_tick = wait_for(launcher, SPP_GUEST_LINE_TICK);
    g_assert_cmpuint(next_tick, >, tick_at_save);
    g_assert_cmpuint(next_tick, <=, tick_at_save + 3);
    g_assert_cmpuint(next_tick, <, tick_before_load);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/guest/parse_lines", test_parse_lines);
    g_test_add_func("/guest/boot_and_tick", test_boot_and_tick);
    g_test_add_func("/guest/qmp_reset_reboots", test_qmp_reset_reboots);
    g_test_add_func("/guest/raw_disk_state_at_rest", test_raw_disk_state_at_rest);
    g_test_add_func("/guest/serial_commands", test_serial_commands);
    g_test_add_func("/guest/snapshot_load_rewinds", test_snapshot_load_rewinds_ram_and_disk);
    g_test_add_func("/guest/hang_command", test_hang_command);
    g_test_add_func("/guest/reset_while_stopped_holds_off", test_reset_while_stopped_holds_off);
    return g_test_run();
}
