/* spp_launcher and spp_qmp against the real qemu-system-x86_64: the QMP
 * lifecycle, start failures, disks, firmware, and teardown that leaves
 * neither a QEMU process nor a temp dir behind. */
#include "launcher.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define QMP_TIMEOUT_MS 5000
#define CHILD_MODE_OPTION "--launcher-child="

static char *self_path;

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

static SppLauncher *start_or_fail(SppLaunchConfig *config)
{
    g_autoptr(GError) error = NULL;
    SppLauncher *launcher = spp_launcher_start(config, &error);
    g_assert_no_error(error);
    g_assert_nonnull(launcher);
    return launcher;
}

static SppLauncher *start_default(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    return start_or_fail(config);
}

static const char *status_of(SppQmpClient *qmp)
{
    static char status[64];
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = spp_qmp_client_execute(qmp, "query-status", NULL, QMP_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    g_strlcpy(status, json_object_get_string_member(json_node_get_object(result), "status"), sizeof status);
    return status;
}

/* TRUE once the pid no longer exists (a zombie still counts as existing). */
static gboolean wait_process_gone(pid_t pid, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    do {
        /* Reap it if it became ours (we are a subreaper, see main()). */
        waitpid(pid, NULL, WNOHANG);
        if (kill(pid, 0) != 0 && errno == ESRCH)
            return TRUE;
        g_usleep(5000);
    } while (g_get_monotonic_time() < deadline);
    return FALSE;
}

static gboolean wait_dir_gone(const char *dir, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    while (g_file_test(dir, G_FILE_TEST_EXISTS)) {
        if (g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(5000);
    }
    return TRUE;
}

static void test_qmp_lifecycle(void)
{
    g_autoptr(SppLauncher) launcher = start_default();
    SppQmpClient *qmp = spp_launcher_get_qmp(launcher);
    g_autoptr(GError) error = NULL;

    /* Greeting and capabilities (negotiated by the launcher). */
    int major, minor, micro;
    spp_qmp_client_get_version(qmp, &major, &minor, &micro);
    g_test_message("QEMU %d.%d.%d", major, minor, micro);
    g_assert_cmpint(major, >=, 7);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(spp_qmp_client_get_greeting(qmp)));
    g_assert_cmpstr(status_of(qmp), ==, "running");

    /* Errors: QEMU's class and desc come back verbatim. */
    g_assert_null(spp_qmp_client_execute(qmp, "no-such-command", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_error(error, SPP_QMP_COMMAND_ERROR, SPP_QMP_COMMAND_ERROR_COMMAND_NOT_FOUND);
    g_assert_cmpstr(error->message, ==, "The command no-such-command has not been found");
    g_clear_error(&error);
    g_assert_null(spp_qmp_client_execute_json(qmp, "query-status", "{\"foo\": 1}", QMP_TIMEOUT_MS, &error));
    g_assert_error(error, SPP_QMP_COMMAND_ERROR, SPP_QMP_COMMAND_ERROR_GENERIC_ERROR);
    g_assert_cmpstr(error->message, ==, "Parameter 'foo' is unexpected");
    g_clear_error(&error);

    /* stop: STOP is sent before the return, so it is queued when execute returns. */
    g_assert_cmpuint(spp_qmp_client_count_events(qmp), ==, 0);
    drop_result(spp_qmp_client_execute(qmp, "stop", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(spp_qmp_client_count_events(qmp), ==, 1);
    g_assert_cmpstr(spp_qmp_client_peek_event(qmp)->name, ==, "STOP");
    drop_event(spp_qmp_client_wait_event(qmp, "STOP", NULL, NULL, 0, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(status_of(qmp), ==, "paused");

    drop_result(spp_qmp_client_execute(qmp, "cont", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
    drop_event(spp_qmp_client_wait_event(qmp, "RESUME", NULL, NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);

    /* system_reset: RESET {guest:false, reason:host-qmp-system-reset} before the return. */
    drop_result(spp_qmp_client_execute(qmp, "system_reset", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
    g_autoptr(SppQmpEvent) reset = spp_qmp_client_pop_event(qmp);
    g_assert_nonnull(reset);
    g_assert_cmpstr(reset->name, ==, "RESET");
    JsonObject *reset_data = json_node_get_object(reset->data);
    g_assert_false(json_object_get_boolean_member(reset_data, "guest"));
    g_assert_cmpstr(json_object_get_string_member(reset_data, "reason"), ==, "host-qmp-system-reset");

    /* quit: SHUTDOWN, the return, then EOF, reported as "QEMU went away". */
    drop_result(spp_qmp_client_execute(qmp, "quit", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
    g_autoptr(SppQmpEvent) shutdown = spp_qmp_client_wait_event(qmp, "SHUTDOWN", NULL, NULL, QMP_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(shutdown->data), "reason"), ==,
                    "host-qmp-quit");
    g_assert_cmpint(spp_qmp_client_pump(qmp, QMP_TIMEOUT_MS, &error), ==, -1);
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    g_assert_nonnull(strstr(error->message, "QEMU went away"));
    g_clear_error(&error);
    g_assert_null(spp_qmp_client_execute(qmp, "query-status", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    g_clear_error(&error);

    int status = 0;
    g_assert_true(spp_launcher_wait_exit(launcher, QMP_TIMEOUT_MS, &status, &error));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_second_monitor_sees_events(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    spp_launch_config_set_second_monitor(config, TRUE);
    g_autoptr(SppLauncher) launcher = start_or_fail(config);
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpClient) watcher =
        spp_qmp_client_connect(spp_launcher_get_monitor_socket_path(launcher), QMP_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    drop_result(spp_qmp_client_execute(spp_launcher_get_qmp(launcher), "stop", NULL,
                                                        QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
    drop_event(spp_qmp_client_wait_event(watcher, "STOP", NULL, NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
}

static void test_paused_start(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    spp_launch_config_set_paused(config, TRUE);
    spp_launch_config_add_action(config, "shutdown=pause");
    g_autoptr(SppLauncher) launcher = start_or_fail(config);
    g_assert_cmpstr(status_of(spp_launcher_get_qmp(launcher)), ==, "prelaunch");
    gboolean has_dash_s = FALSE, has_action = FALSE;
    for (const char *const *arg = spp_launcher_get_argv(launcher); *arg != NULL; arg++) {
        has_dash_s |= strcmp(*arg, "-S") == 0;
        has_action |= strcmp(*arg, "shutdown=pause") == 0 && strcmp(arg[-1], "-action") == 0;
    }
    g_assert_true(has_dash_s);
    g_assert_true(has_action);
}

static void test_action_reboot_shutdown(void)
{
    /* -action reboot=shutdown turns even a host reset into a shutdown + exit. */
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    spp_launch_config_add_action(config, "reboot=shutdown");
    g_autoptr(SppLauncher) launcher = start_or_fail(config);
    SppQmpClient *qmp = spp_launcher_get_qmp(launcher);
    g_autoptr(GError) error = NULL;
    drop_result(spp_qmp_client_execute(qmp, "system_reset", NULL, QMP_TIMEOUT_MS, &error));
    g_assert_no_error(error);
    g_autoptr(SppQmpEvent) shutdown = spp_qmp_client_wait_event(qmp, "SHUTDOWN", NULL, NULL, QMP_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    JsonObject *data = json_node_get_object(shutdown->data);
    g_assert_false(json_object_get_boolean_member(data, "guest"));
    g_assert_cmpstr(json_object_get_string_member(data, "reason"), ==, "host-qmp-system-reset");
    int status = 0;
    g_assert_true(spp_launcher_wait_exit(launcher, QMP_TIMEOUT_MS, &status, &error));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void test_no_fd_leaks_into_qemu(void)
{
    /* A pipe without O_CLOEXEC, as a careless caller might hold: once we close
     * the write end, the read end must see EOF although QEMU is running. */
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    g_autoptr(SppLauncher) launcher = start_default();
    close(fds[1]);
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    g_assert_cmpint(poll(&pfd, 1, 1000), ==, 1);
    char byte;
    g_assert_cmpint(read(fds[0], &byte, 1), ==, 0);
    close(fds[0]);
    g_assert_true(spp_launcher_is_running(launcher));
}

static void test_start_failure_reports_stderr(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    spp_launch_config_add_args(config, "-no-such-option", NULL);
    g_autoptr(GError) error = NULL;
    guint live_before = spp_launcher_count_live();
    g_assert_null(spp_launcher_start(config, &error));
    g_assert_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_START);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "-no-such-option"));
    g_assert_cmpuint(spp_launcher_count_live(), ==, live_before);
    g_clear_error(&error);

    spp_launch_config_set_qemu_binary(config, "/nonexistent/qemu-system-x86_64");
    g_assert_null(spp_launcher_start(config, &error));
    g_assert_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_START);
    g_assert_nonnull(strstr(error->message, "not found"));
}

static void test_qemu_from_environment(void)
{
    /* SPP_QEMU is honoured when no binary is set explicitly. */
    g_setenv("SPP_QEMU", "/nonexistent/from-env-qemu", TRUE);
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) error = NULL;
    g_assert_null(spp_launcher_start(config, &error));
    g_assert_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_START);
    g_assert_nonnull(strstr(error->message, "from-env-qemu"));
    g_unsetenv("SPP_QEMU");
}

static void test_bad_disk_specs(void)
{
    static const char *const bad[] = {
        "format=qcow2",                  /* no name */
        "name=0disk",                    /* must start with a letter */
        "name=d,format=vmdk",            /* unsupported format */
        "name=d,size=12Q",               /* bad size */
        "name=d,boot=maybe",
        "name=d,colour=blue",            /* unknown key */
        "name=d,oops",                   /* not key=value */
        "name=pflash-code",              /* reserved for OVMF */
    };
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_assert_false(spp_launch_config_add_disk(config, bad[i], &error));
        g_assert_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC);
    }
    g_autoptr(GError) error = NULL;
    g_assert_true(spp_launch_config_add_disk(config, "name=d", &error));
    g_assert_false(spp_launch_config_add_disk(config, "name=d,format=raw", &error));
    g_assert_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC);
}

static gboolean has_node(JsonArray *nodes, const char *node_name, const char *driver)
{
    for (guint i = 0; i < json_array_get_length(nodes); i++) {
        JsonObject *node = json_array_get_object_element(nodes, i);
        if (g_strcmp0(json_object_get_string_member_with_default(node, "node-name", ""), node_name) == 0)
            return g_strcmp0(json_object_get_string_member_with_default(node, "drv", ""), driver) == 0;
    }
    return FALSE;
}

static void test_disks_attached_with_predictable_nodes(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(spp_launch_config_add_disk(config, "name=disk0,format=qcow2,size=16M", &error));
    g_assert_true(spp_launch_config_add_disk(config, "name=scratch,format=raw,size=1M", &error));
    spp_launch_config_set_paused(config, TRUE);
    g_autoptr(SppLauncher) launcher = start_or_fail(config);

    g_autoptr(JsonNode) result = spp_qmp_client_execute_json(spp_launcher_get_qmp(launcher),
                                                             "query-named-block-nodes", "{\"flat\": true}",
                                                             QMP_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    JsonArray *nodes = json_node_get_array(result);
    g_assert_true(has_node(nodes, "disk0", "qcow2"));
    g_assert_true(has_node(nodes, "disk0-file", "file"));
    g_assert_true(has_node(nodes, "scratch", "raw"));
    g_assert_true(has_node(nodes, "scratch-file", "file"));

    const char *disk0 = spp_launcher_get_disk_path(launcher, "disk0");
    g_assert_true(g_str_has_prefix(disk0, spp_launcher_get_tmpdir(launcher)));
    g_assert_cmpstr(spp_launcher_get_disk_format(launcher, "scratch"), ==, "raw");
    GStatBuf st;
    g_assert_cmpint(g_stat(spp_launcher_get_disk_path(launcher, "scratch"), &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 1024 * 1024);
    g_assert_null(spp_launcher_get_disk_path(launcher, "nope"));
}

static void test_ovmf_firmware(void)
{
    g_autofree char *code = NULL;
    g_autofree char *vars = NULL;
    g_autoptr(GError) error = NULL;
    if (!spp_launcher_find_ovmf(&code, &vars, &error)) {
        g_test_skip(error->message);
        return;
    }
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    spp_launch_config_set_firmware(config, SPP_FIRMWARE_OVMF);
    g_autoptr(SppLauncher) launcher = start_or_fail(config);
    g_assert_cmpstr(status_of(spp_launcher_get_qmp(launcher)), ==, "running");
    g_autoptr(JsonNode) result = spp_qmp_client_execute_json(spp_launcher_get_qmp(launcher),
                                                             "query-named-block-nodes", "{\"flat\": true}",
                                                             QMP_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    g_assert_true(has_node(json_node_get_array(result), "pflash-code", "raw"));
    g_assert_true(has_node(json_node_get_array(result), "pflash-vars", "raw"));
    /* The vars are a private copy, never the system file. */
    g_autofree char *vars_copy = g_build_filename(spp_launcher_get_tmpdir(launcher), "ovmf-vars.fd", NULL);
    g_assert_true(g_file_test(vars_copy, G_FILE_TEST_IS_REGULAR));
}

static void test_teardown_leaves_nothing(void)
{
    SppLauncher *launcher = start_default();
    pid_t pid = spp_launcher_get_pid(launcher);
    g_autofree char *tmpdir = g_strdup(spp_launcher_get_tmpdir(launcher));
    g_assert_true(g_file_test(tmpdir, G_FILE_TEST_IS_DIR));
    g_assert_cmpint(getpgid(pid), ==, pid); /* its own process group */
    g_assert_cmpuint(spp_launcher_count_live(), ==, 1);
    spp_launcher_free(launcher);
    g_assert_true(wait_process_gone(pid, 100));
    g_assert_false(g_file_test(tmpdir, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(spp_launcher_count_live(), ==, 0);
}

static void test_teardown_after_qemu_crash(void)
{
    SppLauncher *launcher = start_default();
    pid_t pid = spp_launcher_get_pid(launcher);
    g_autofree char *tmpdir = g_strdup(spp_launcher_get_tmpdir(launcher));
    g_assert_cmpint(kill(pid, SIGSEGV), ==, 0);
    g_autoptr(GError) error = NULL;
    int status = 0;
    g_assert_true(spp_launcher_wait_exit(launcher, QMP_TIMEOUT_MS, &status, &error));
    g_assert_true(WIFSIGNALED(status));
    g_assert_false(spp_launcher_is_running(launcher));
    g_assert_null(spp_qmp_client_execute(spp_launcher_get_qmp(launcher), "query-status", NULL, QMP_TIMEOUT_MS,
                                         &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    spp_launcher_free(launcher);
    g_assert_true(wait_process_gone(pid, 100));
    g_assert_false(g_file_test(tmpdir, G_FILE_TEST_EXISTS));
}

static void test_forked_child_exit_spares_parent_qemu(void)
{
    /* A plain fork() copies the registry and its atexit handler; the child's
     * exit() must not kill the parent's QEMU. */
    g_autoptr(SppLauncher) launcher = start_default();
    pid_t child = fork();
    g_assert_cmpint(child, >=, 0);
    if (child == 0)
        exit(0);
    int status;
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    g_assert_true(spp_launcher_is_running(launcher));
    g_assert_true(g_file_test(spp_launcher_get_tmpdir(launcher), G_FILE_TEST_IS_DIR));
    g_assert_cmpstr(status_of(spp_launcher_get_qmp(launcher)), ==, "running");
}

/* ---- a child process that uses the launcher and then gets a signal ------- */

/* Runs in the re-executed test binary: start QEMU, report, then wait to die
 * (or, in "exit" mode, exit without freeing the launcher). */
/* Reachable from a global, so LeakSanitizer does not flag the launch that
 * "exit" mode deliberately never frees. */
static SppLauncher *child_launcher;

static int run_child(const char *mode)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) error = NULL;
    SppLauncher *launcher = child_launcher = spp_launcher_start(config, &error);
    if (launcher == NULL) {
        fprintf(stderr, "child: %s\n", error->message);
        return 2;
    }
    printf("READY %d %s\n", (int)spp_launcher_get_pid(launcher), spp_launcher_get_tmpdir(launcher));
    fflush(stdout);
    if (strcmp(mode, "exit") == 0)
        return 0; /* atexit must clean up */
    for (;;)
        pause();
}

typedef struct {
    pid_t child;
    pid_t qemu;
    char *tmpdir;
} ChildLaunch;

static void spawn_child(const char *mode, ChildLaunch *launch)
{
    g_autofree char *option = g_strconcat(CHILD_MODE_OPTION, mode, NULL);
    char *argv[] = {self_path, option, NULL};
    g_autoptr(GError) error = NULL;
    int out_fd;
    g_assert_true(g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &launch->child,
                                           NULL, &out_fd, NULL, &error));
    g_assert_no_error(error);
    FILE *out = fdopen(out_fd, "r");
    char line[4096] = "";
    g_assert_nonnull(fgets(line, sizeof line, out));
    fclose(out);
    g_auto(GStrv) words = g_strsplit(g_strstrip(line), " ", 3);
    g_assert_cmpstr(words[0], ==, "READY");
    launch->qemu = (pid_t)atoi(words[1]);
    launch->tmpdir = g_strdup(words[2]);
    g_assert_cmpint(launch->qemu, >, 0);
    if (strcmp(mode, "wait") == 0) { /* in "exit" mode the child may be cleaning up already */
        g_assert_true(g_file_test(launch->tmpdir, G_FILE_TEST_IS_DIR));
        g_assert_cmpint(kill(launch->qemu, 0), ==, 0);
    }
}

static int reap_child(pid_t child)
{
    int status;
    pid_t result;
    do
        result = waitpid(child, &status, 0);
    while (result < 0 && errno == EINTR);
    g_assert_cmpint(result, ==, child);
    return status;
}

static void check_child_killed_by(int sig)
{
    ChildLaunch launch = {0};
    spawn_child("wait", &launch);
    g_assert_cmpint(kill(launch.child, sig), ==, 0);
    int status = reap_child(launch.child);
    /* The handler re-raised the signal after cleaning up. */
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, sig);
    g_assert_true(wait_process_gone(launch.qemu, 2000));
    g_assert_false(g_file_test(launch.tmpdir, G_FILE_TEST_EXISTS));
    g_free(launch.tmpdir);
}

static void test_child_sigint_cleans_up(void)
{
    check_child_killed_by(SIGINT);
}

static void test_child_sigterm_cleans_up(void)
{
    check_child_killed_by(SIGTERM);
}

static void test_child_exit_cleans_up(void)
{
    ChildLaunch launch = {0};
    spawn_child("exit", &launch);
    int status = reap_child(launch.child);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_true(wait_process_gone(launch.qemu, 2000));
    g_assert_false(g_file_test(launch.tmpdir, G_FILE_TEST_EXISTS));
    g_free(launch.tmpdir);
}

static void test_child_sigkill_still_kills_qemu(void)
{
    /* SIGKILL cannot be handled: PR_SET_PDEATHSIG still takes QEMU down, and
     * the temp dir stays until the next sweep. */
    ChildLaunch launch = {0};
    spawn_child("wait", &launch);
    g_assert_cmpint(kill(launch.child, SIGKILL), ==, 0);
    reap_child(launch.child);
    g_assert_true(wait_process_gone(launch.qemu, 2000));
    /* No check that the dir is still there, nor that this sweep counts it: a
     * parallel test process's first launch may be sweeping it right now (then
     * this sweep skips it, its owner.pid being gone), so allow a moment. */
    spp_launcher_sweep_stale();
    g_assert_true(wait_dir_gone(launch.tmpdir, 2000));
    g_free(launch.tmpdir);
}

/* A launch dir that another user could have planted: a symlink named like a launch dir to a
 * directory of the victim's, a world-writable dir, and (as root) a dir owned by someone else.
 * Each holds the marks of a dead owner; the sweep must leave all of them, and what they point
 * at, alone. */
static char *plant(const char *tmp, const char *kind, pid_t dead)
{
    g_autofree char *name = g_strdup_printf("spp-qemu-decoy-%s-%d", kind, (int)getpid());
    char *path = g_build_filename(tmp, name, NULL);
    g_autofree char *owner = g_build_filename(path, "owner.pid", NULL);
    g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    g_autofree char *text = g_strdup_printf("%d\n", (int)dead);
    g_assert_true(g_file_set_contents(owner, text, -1, NULL));
    return path;
}

static pid_t dead_pid(void)
{
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    return child;
}

static void test_sweep_spares_planted_dirs(void)
{
    const char *tmp = g_get_tmp_dir();
    pid_t dead = dead_pid();
    g_autofree char *victim = g_dir_make_tmp("victim-XXXXXX", NULL);
    g_autofree char *precious = g_build_filename(victim, "owner.pid", NULL);
    g_autofree char *text = g_strdup_printf("%d\n", (int)dead);
    g_assert_true(g_file_set_contents(precious, text, -1, NULL));
    g_autofree char *link = g_strdup_printf("%s/spp-qemu-decoy-link-%d", tmp, (int)getpid());
    g_assert_cmpint(symlink(victim, link), ==, 0);

    g_autofree char *open_dir = plant(tmp, "open", dead);
    g_assert_cmpint(chmod(open_dir, 0777), ==, 0);
    g_autofree char *foreign = NULL;
    if (geteuid() == 0) {
        foreign = plant(tmp, "foreign", dead);
        g_assert_cmpint(chown(foreign, 65534, 65534), ==, 0);
    }

    spp_launcher_sweep_stale();
    g_assert_true(g_file_test(precious, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(open_dir, G_FILE_TEST_IS_DIR));
    if (foreign)
        g_assert_true(g_file_test(foreign, G_FILE_TEST_IS_DIR));

    unlink(link);
    const char *planted[] = {open_dir, foreign, victim};
    for (size_t i = 0; i < G_N_ELEMENTS(planted); i++) {
        if (!planted[i])
            continue;
        g_autofree char *mark = g_build_filename(planted[i], "owner.pid", NULL);
        unlink(mark);
        g_rmdir(planted[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && g_str_has_prefix(argv[1], CHILD_MODE_OPTION))
        return run_child(argv[1] + strlen(CHILD_MODE_OPTION));

    /* Orphaned grandchildren (a QEMU whose launcher child was SIGKILLed) are
     * re-parented to us rather than to an init that may never reap them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    self_path = g_canonicalize_filename(argv[0], NULL);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/launcher/qmp_lifecycle", test_qmp_lifecycle);
    g_test_add_func("/launcher/second_monitor", test_second_monitor_sees_events);
    g_test_add_func("/launcher/paused_start", test_paused_start);
    g_test_add_func("/launcher/action_reboot_shutdown", test_action_reboot_shutdown);
    g_test_add_func("/launcher/no_fd_leak", test_no_fd_leaks_into_qemu);
    g_test_add_func("/launcher/start_failure", test_start_failure_reports_stderr);
    g_test_add_func("/launcher/qemu_from_environment", test_qemu_from_environment);
    g_test_add_func("/launcher/bad_disk_specs", test_bad_disk_specs);
    g_test_add_func("/launcher/disks", test_disks_attached_with_predictable_nodes);
    g_test_add_func("/launcher/ovmf", test_ovmf_firmware);
    g_test_add_func("/launcher/teardown/clean", test_teardown_leaves_nothing);
    g_test_add_func("/launcher/teardown/qemu_crashed", test_teardown_after_qemu_crash);
    g_test_add_func("/launcher/teardown/forked_child_exit", test_forked_child_exit_spares_parent_qemu);
    g_test_add_func("/launcher/teardown/child_sigint", test_child_sigint_cleans_up);
    g_test_add_func("/launcher/teardown/child_sigterm", test_child_sigterm_cleans_up);
    g_test_add_func("/launcher/teardown/child_exit", test_child_exit_cleans_up);
    g_test_add_func("/launcher/teardown/child_sigkill", test_child_sigkill_still_kills_qemu);
    g_test_add_func("/launcher/sweep/spares_planted_dirs", test_sweep_spares_planted_dirs);
    int result = g_test_run();
    g_free(self_path);
    return result;
}
