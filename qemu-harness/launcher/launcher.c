#define _GNU_SOURCE
#include "launcher.h"

#include "launcher-disks.h"
#include "launcher-registry.h"
#include "launcher-serial.h"
#include "launcher-sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

G_DEFINE_QUARK(spp-launcher-error-quark, spp_launcher_error)

#define DEFAULT_QEMU "qemu-system-x86_64"
#define STDERR_TAIL_BYTES 2000
#define TERM_GRACE_MS 2000

struct SppLaunchConfig {
    char *qemu_binary;
    guint memory_mb;
    SppFirmware firmware;
    GPtrArray *disks;   /* of SppDisk* */
    gboolean paused;
    GPtrArray *actions; /* of char* */
    gboolean second_monitor;
    gboolean connect_qmp;
    GPtrArray *extra_args;
    gint64 start_timeout_ms;
};

struct SppLauncher {
    pid_t pid;
    gboolean reaped;
    int wait_status;
    int registry_slot;
    gboolean keep_tmpdir;
    char *tmpdir;
    char *qmp_path;
    char *monitor_path;
    char *serial_path;
    char *stderr_path;
    GPtrArray *argv;    /* NULL-terminated */
    GPtrArray *disks;   /* of SppDisk* with paths */
    SppQmpClient *qmp;
    SppSerialReader *serial;
};

/* ---- configuration ---------------------------------------------------- */

SppLaunchConfig *spp_launch_config_new(void)
{
    SppLaunchConfig *config = g_new0(SppLaunchConfig, 1);
    config->memory_mb = 64;
    config->firmware = SPP_FIRMWARE_SEABIOS;
    config->disks = g_ptr_array_new_with_free_func((GDestroyNotify)spp_disk_free);
    config->actions = g_ptr_array_new_with_free_func(g_free);
    config->connect_qmp = TRUE;
    config->extra_args = g_ptr_array_new_with_free_func(g_free);
    config->start_timeout_ms = 10000;
    return config;
}

void spp_launch_config_free(SppLaunchConfig *config)
{
    if (config == NULL)
        return;
    g_free(config->qemu_binary);
    g_ptr_array_unref(config->disks);
    g_ptr_array_unref(config->actions);
    g_ptr_array_unref(config->extra_args);
    g_free(config);
}

void spp_launch_config_set_qemu_binary(SppLaunchConfig *config, const char *binary)
{
    g_free(config->qemu_binary);
    config->qemu_binary = g_strdup(binary);
}

void spp_launch_config_set_memory_mb(SppLaunchConfig *config, guint memory_mb)
{
    config->memory_mb = memory_mb;
}

void spp_launch_config_set_firmware(SppLaunchConfig *config, SppFirmware firmware)
{
    config->firmware = firmware;
}

gboolean spp_launch_config_add_disk(SppLaunchConfig *config, const char *spec, GError **error)
{
    if (config->disks->len >= 4) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC,
                    "at most 4 disks fit on the PIIX IDE controller (disk '%s')", spec);
        return FALSE;
    }
    SppDisk *disk = spp_disk_parse(spec, error);
    if (disk == NULL)
        return FALSE;
    if (g_str_has_prefix(disk->name, "pflash-")) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC, "disk name %s is reserved for firmware",
                    disk->name);
        spp_disk_free(disk);
        return FALSE;
    }
    for (guint i = 0; i < config->disks->len; i++) {
        const SppDisk *other = config->disks->pdata[i];
        if (strcmp(other->name, disk->name) == 0) {
            g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC, "two disks are called %s", disk->name);
            spp_disk_free(disk);
            return FALSE;
        }
    }
    g_ptr_array_add(config->disks, disk);
    return TRUE;
}

void spp_launch_config_set_paused(SppLaunchConfig *config, gboolean paused)
{
    config->paused = paused;
}

void spp_launch_config_add_action(SppLaunchConfig *config, const char *action)
{
    g_ptr_array_add(config->actions, g_strdup(action));
}

void spp_launch_config_set_second_monitor(SppLaunchConfig *config, gboolean enabled)
{
    config->second_monitor = enabled;
}

void spp_launch_config_set_connect_qmp(SppLaunchConfig *config, gboolean enabled)
{
    config->connect_qmp = enabled;
}

void spp_launch_config_add_args(SppLaunchConfig *config, const char *first_arg, ...)
{
    va_list args;
    va_start(args, first_arg);
    for (const char *arg = first_arg; arg != NULL; arg = va_arg(args, const char *))
        g_ptr_array_add(config->extra_args, g_strdup(arg));
    va_end(args);
}

void spp_launch_config_set_start_timeout_ms(SppLaunchConfig *config, gint64 timeout_ms)
{
    config->start_timeout_ms = timeout_ms;
}

/* ---- helpers ---------------------------------------------------------- */

static const char *qemu_binary_of(const SppLaunchConfig *config)
{
    if (config->qemu_binary != NULL)
        return config->qemu_binary;
    const char *from_env = g_getenv("SPP_QEMU");
    return from_env != NULL && *from_env != '\0' ? from_env : DEFAULT_QEMU;
}

/* QEMU option values separate keys with ',': a literal comma is written ",,". */
static char *escape_option_value(const char *value)
{
    g_auto(GStrv) parts = g_strsplit(value, ",", -1);
    return g_strjoinv(",,", parts);
}

static char *blockdev_json(const char *driver, const char *node_name, const char *filename, const char *file_node,
                           gboolean read_only)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "driver");
    json_builder_add_string_value(builder, driver);
    json_builder_set_member_name(builder, "node-name");
    json_builder_add_string_value(builder, node_name);
    if (filename != NULL) {
        json_builder_set_member_name(builder, "filename");
        json_builder_add_string_value(builder, filename);
    }
    if (file_node != NULL) {
        json_builder_set_member_name(builder, "file");
        json_builder_add_string_value(builder, file_node);
    }
    if (read_only) {
        json_builder_set_member_name(builder, "read-only");
        json_builder_add_boolean_value(builder, TRUE);
    }
    json_builder_end_object(builder);
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    return json_to_string(root, FALSE);
}

static void add_arg(GPtrArray *argv, const char *arg)
{
    g_ptr_array_add(argv, g_strdup(arg));
}

static void add_blockdev_pair(GPtrArray *argv, const char *name, const char *format, const char *path,
                              gboolean read_only)
{
    g_autofree char *file_node = g_strdup_printf("%s-file", name);
    add_arg(argv, "-blockdev");
    g_ptr_array_add(argv, blockdev_json("file", file_node, path, NULL, read_only));
    add_arg(argv, "-blockdev");
    g_ptr_array_add(argv, blockdev_json(format, name, NULL, file_node, read_only));
}

static void add_qmp_monitor(GPtrArray *argv, const char *id, const char *path)
{
    g_autofree char *escaped = escape_option_value(path);
    add_arg(argv, "-chardev");
    g_ptr_array_add(argv, g_strdup_printf("socket,id=%s,path=%s,server=on,wait=off", id, escaped));
    add_arg(argv, "-mon");
    g_ptr_array_add(argv, g_strdup_printf("chardev=%s,mode=control", id));
}

static GPtrArray *build_argv(const SppLaunchConfig *config, SppLauncher *launcher, const char *ovmf_code,
                             const char *ovmf_vars)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    add_arg(argv, qemu_binary_of(config));
    add_arg(argv, "-machine");
    if (config->firmware == SPP_FIRMWARE_OVMF)
        add_arg(argv, "pc,accel=tcg,pflash0=pflash-code,pflash1=pflash-vars");
    else
        add_arg(argv, "pc,accel=tcg");
    add_arg(argv, "-nodefaults");
    add_arg(argv, "-display");
    add_arg(argv, "none");
    add_arg(argv, "-m");
    g_ptr_array_add(argv, g_strdup_printf("%u", config->memory_mb));
    if (config->firmware == SPP_FIRMWARE_OVMF) {
        add_blockdev_pair(argv, "pflash-code", "raw", ovmf_code, TRUE);
        add_blockdev_pair(argv, "pflash-vars", "raw", ovmf_vars, FALSE);
    }

    add_qmp_monitor(argv, "qmp0", launcher->qmp_path);
    if (launcher->monitor_path != NULL)
        add_qmp_monitor(argv, "qmp1", launcher->monitor_path);

    if (launcher->serial_path != NULL) {
        g_autofree char *escaped = escape_option_value(launcher->serial_path);
        add_arg(argv, "-chardev");
        g_ptr_array_add(argv, g_strdup_printf("socket,id=serial0,path=%s,server=off", escaped));
        add_arg(argv, "-serial");
        add_arg(argv, "chardev:serial0");
    }

    for (guint i = 0; i < launcher->disks->len; i++) {
        const SppDisk *disk = launcher->disks->pdata[i];
        add_blockdev_pair(argv, disk->name, disk->format, disk->path, FALSE);
        add_arg(argv, "-device");
        /* PIIX has two IDE buses of two units each; QEMU's automatic placement gives up at the
         * third disk ("IDE unit 1 is in use"), so place each disk explicitly. */
        g_ptr_array_add(argv, g_strdup_printf("ide-hd,drive=%s,id=%s-dev,bus=ide.%u,unit=%u%s", disk->name,
                                              disk->name, i / 2, i % 2, disk->boot ? ",bootindex=0" : ""));
    }

    for (guint i = 0; i < config->actions->len; i++) {
        add_arg(argv, "-action");
        add_arg(argv, config->actions->pdata[i]);
    }
    if (config->paused)
        add_arg(argv, "-S");
    for (guint i = 0; i < config->extra_args->len; i++)
        add_arg(argv, config->extra_args->pdata[i]);
    g_ptr_array_add(argv, NULL);
    return argv;
}

static char *stderr_tail(SppLauncher *launcher)
{
    g_autofree char *all = spp_launcher_read_stderr(launcher);
    gsize length = strlen(all);
    const char *tail = length > STDERR_TAIL_BYTES ? all + length - STDERR_TAIL_BYTES : all;
    g_autofree char *copy = g_strstrip(g_strdup(tail));
    return *copy != '\0' ? g_strdup_printf("QEMU stderr: %s", copy) : g_strdup("QEMU stderr is empty");
}

/* Reaps QEMU if it has exited. TRUE if it is gone. */
static gboolean reap(SppLauncher *launcher, gboolean block)
{
    if (launcher->pid <= 0 || launcher->reaped)
        return TRUE;
    int status;
    pid_t result;
    do
        result = waitpid(launcher->pid, &status, block ? 0 : WNOHANG);
    while (result < 0 && errno == EINTR);
    if (result == launcher->pid || (result < 0 && errno == ECHILD)) {
        launcher->reaped = TRUE;
        launcher->wait_status = result == launcher->pid ? status : -1;
        /* Reaped: the pid may be reused, so the registry must forget it. */
        spp_registry_set_pid(launcher->registry_slot, 0);
        return TRUE;
    }
    return FALSE;
}

static char *describe_exit(int status)
{
    if (status == -1)
        return g_strdup("exited");
    if (WIFEXITED(status))
        return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return g_strdup_printf("was killed by signal %d", WTERMSIG(status));
    return g_strdup("stopped");
}

static void set_start_error(SppLauncher *launcher, GError **error, int code, const char *what)
{
    g_autofree char *tail = stderr_tail(launcher);
    g_set_error(error, SPP_LAUNCHER_ERROR, code, "QEMU did not start: %s. %s", what, tail);
}

/* fork + exec with the isolation that teardown relies on. */
static gboolean spawn_qemu(SppLauncher *launcher, GError **error)
{
    const char *binary = launcher->argv->pdata[0];
    g_autofree char *resolved = g_find_program_in_path(binary);
    if (resolved == NULL) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_START, "QEMU binary %s not found", binary);
        return FALSE;
    }
    int stderr_fd = open(launcher->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (stderr_fd < 0 || null_fd < 0) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "open %s: %s", launcher->stderr_path,
                    g_strerror(errno));
        if (stderr_fd >= 0)
            close(stderr_fd);
        if (null_fd >= 0)
            close(null_fd);
        return FALSE;
    }
    char **argv = (char **)launcher->argv->pdata;
    pid_t parent = getpid();

    /* Signals stay blocked across fork so that neither side runs the cleanup
     * handler before the child is exec'd and registered. */
    sigset_t saved;
    spp_registry_block_signals(&saved);
    pid_t pid = fork();
    if (pid == 0) {
        /* Child: only async-signal-safe calls until exec. */
        setpgid(0, 0); /* own group: the terminal's ^C goes to us, and we kill the whole group */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127); /* the parent died before PDEATHSIG was armed */
        dup2(null_fd, STDIN_FILENO);
        dup2(stderr_fd, STDOUT_FILENO);
        dup2(stderr_fd, STDERR_FILENO);
        /* Nothing else of ours may reach QEMU: an inherited pipe end would
         * keep e.g. `harness | tail` waiting for as long as QEMU lives. */
        if (close_range(3, ~0U, 0) != 0)
            for (int fd = 3; fd < 4096; fd++)
                close(fd);
        spp_registry_reset_signals_in_child();
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        execv(resolved, argv);
        static const char message[] = "exec of QEMU failed\n";
        if (write(STDERR_FILENO, message, sizeof message - 1) < 0)
            _exit(127);
        _exit(127);
    }
    int fork_errno = errno;
    if (pid > 0) {
        setpgid(pid, pid); /* also here: whichever runs first wins the race */
        launcher->pid = pid;
        spp_registry_set_pid(launcher->registry_slot, pid);
    }
    spp_registry_restore_signals(&saved);
    close(stderr_fd);
    close(null_fd);
    if (pid < 0) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_START, "fork: %s", g_strerror(fork_errno));
        return FALSE;
    }
    return TRUE;
}

static int listen_unix(const char *path, GError **error)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "socket path too long (set TMPDIR shorter): %s",
                    path);
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 1) != 0) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "listen on %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Waits for QEMU's serial chardev to connect, watching for QEMU dying. */
static int accept_serial(SppLauncher *launcher, int listen_fd, gint64 deadline, GError **error)
{
    for (;;) {
        struct pollfd pfd = {.fd = listen_fd, .events = POLLIN};
        int ready = poll(&pfd, 1, 10);
        if (ready > 0) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                return fd;
        }
        if (reap(launcher, FALSE)) {
            g_autofree char *how = describe_exit(launcher->wait_status);
            set_start_error(launcher, error, SPP_LAUNCHER_ERROR_START, how);
            return -1;
        }
        if (g_get_monotonic_time() >= deadline) {
            set_start_error(launcher, error, SPP_LAUNCHER_ERROR_TIMEOUT, "its serial chardev never connected");
            return -1;
        }
    }
}

static int connect_unix(const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_strlcpy(address.sun_path, path, sizeof address.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Connects QMP once QEMU has created the socket, watching for QEMU dying. */
static SppQmpClient *connect_qmp(SppLauncher *launcher, gint64 deadline, GError **error)
{
    for (;;) {
        int fd = connect_unix(launcher->qmp_path);
        if (fd >= 0) {
            gint64 left_ms = MAX(1, (deadline - g_get_monotonic_time()) / 1000);
            g_autoptr(GError) qmp_error = NULL;
            SppQmpClient *client = spp_qmp_client_new_from_fd(fd, left_ms, &qmp_error);
            if (client != NULL)
                return client;
            reap(launcher, FALSE);
            g_autofree char *what = g_strdup_printf("QMP handshake failed (%s)", qmp_error->message);
            set_start_error(launcher, error, SPP_LAUNCHER_ERROR_START, what);
            return NULL;
        }
        if (reap(launcher, FALSE)) {
            g_autofree char *how = describe_exit(launcher->wait_status);
            set_start_error(launcher, error, SPP_LAUNCHER_ERROR_START, how);
            return NULL;
        }
        if (g_get_monotonic_time() >= deadline) {
            set_start_error(launcher, error, SPP_LAUNCHER_ERROR_TIMEOUT, "its QMP socket never accepted");
            return NULL;
        }
        g_usleep(2000);
    }
}

static gboolean copy_file(const char *from, const char *to, GError **error)
{
    g_autofree char *contents = NULL;
    gsize length;
    g_autoptr(GError) io_error = NULL;
    if (!g_file_get_contents(from, &contents, &length, &io_error) ||
        !g_file_set_contents(to, contents, (gssize)length, &io_error)) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "copy %s: %s", from, io_error->message);
        return FALSE;
    }
    return TRUE;
}

/* ---- lifecycle -------------------------------------------------------- */

SppLauncher *spp_launcher_start(const SppLaunchConfig *config, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + config->start_timeout_ms * 1000;
    static gsize swept;
    if (g_once_init_enter(&swept)) {
        spp_launcher_sweep_stale();
        g_once_init_leave(&swept, 1);
    }
    g_autofree char *ovmf_code = NULL;
    g_autofree char *ovmf_vars = NULL;
    if (config->firmware == SPP_FIRMWARE_OVMF && !spp_launcher_find_ovmf(&ovmf_code, &ovmf_vars, error))
        return NULL;

    g_autoptr(GError) tmp_error = NULL;
    g_autofree char *tmpdir = g_dir_make_tmp("spp-qemu-XXXXXX", &tmp_error);
    if (tmpdir == NULL) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "temp dir: %s", tmp_error->message);
        return NULL;
    }
    SppLauncher *launcher = g_new0(SppLauncher, 1);
    launcher->keep_tmpdir = g_strcmp0(g_getenv("SPP_KEEP_TMPDIR"), "1") == 0;
    launcher->tmpdir = g_steal_pointer(&tmpdir);
    launcher->registry_slot = spp_registry_add(launcher->tmpdir, launcher->keep_tmpdir);
    if (launcher->registry_slot < 0) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_START, "too many live launches");
        spp_registry_remove_flat_dir(launcher->tmpdir);
        g_free(launcher->tmpdir);
        g_free(launcher);
        return NULL;
    }
    spp_sweep_mark_owner(launcher->tmpdir);
    launcher->qmp_path = g_build_filename(launcher->tmpdir, "qmp.sock", NULL);
    if (config->second_monitor)
        launcher->monitor_path = g_build_filename(launcher->tmpdir, "qmp-monitor.sock", NULL);
    launcher->serial_path = g_build_filename(launcher->tmpdir, "serial.sock", NULL);
    launcher->stderr_path = g_build_filename(launcher->tmpdir, "stderr.log", NULL);
    launcher->disks = g_ptr_array_new_with_free_func((GDestroyNotify)spp_disk_free);

    int serial_listen_fd = -1;
    for (guint i = 0; i < config->disks->len; i++) {
        SppDisk *disk = spp_disk_copy(config->disks->pdata[i]);
        g_ptr_array_add(launcher->disks, disk);
        if (!spp_disk_create(disk, launcher->tmpdir, error))
            goto fail;
    }
    if (ovmf_vars != NULL) {
        g_autofree char *vars_copy = g_build_filename(launcher->tmpdir, "ovmf-vars.fd", NULL);
        if (!copy_file(ovmf_vars, vars_copy, error))
            goto fail;
        g_free(ovmf_vars);
        ovmf_vars = g_steal_pointer(&vars_copy);
    }
    if (launcher->serial_path != NULL) {
        serial_listen_fd = listen_unix(launcher->serial_path, error);
        if (serial_listen_fd < 0)
            goto fail;
    }
    launcher->argv = build_argv(config, launcher, ovmf_code, ovmf_vars);
    if (!spawn_qemu(launcher, error))
        goto fail;
    spp_sweep_mark_qemu(launcher->tmpdir, launcher->pid);

    if (serial_listen_fd >= 0) {
        int serial_fd = accept_serial(launcher, serial_listen_fd, deadline, error);
        if (serial_fd < 0)
            goto fail;
        g_autofree char *log_path = g_build_filename(launcher->tmpdir, "serial.log", NULL);
        launcher->serial = spp_serial_reader_new(serial_fd, log_path);
        close(serial_listen_fd);
        serial_listen_fd = -1;
    }
    if (config->connect_qmp) {
        launcher->qmp = connect_qmp(launcher, deadline, error);
        if (launcher->qmp == NULL)
            goto fail;
    }
    return launcher;

fail:
    if (serial_listen_fd >= 0)
        close(serial_listen_fd);
    spp_launcher_free(launcher);
    return NULL;
}

int spp_launcher_stop(SppLauncher *launcher, gint64 timeout_ms)
{
    if (launcher->pid <= 0)
        return -1;
    if (!reap(launcher, FALSE)) {
        kill(launcher->pid, SIGTERM);
        gint64 deadline = g_get_monotonic_time() + MAX(timeout_ms, 0) * 1000;
        while (!reap(launcher, FALSE) && g_get_monotonic_time() < deadline)
            g_usleep(2000);
        if (!launcher->reaped) {
            kill(-launcher->pid, SIGKILL);
            kill(launcher->pid, SIGKILL);
            reap(launcher, TRUE);
        }
    }
    return launcher->wait_status;
}

gboolean spp_launcher_wait_exit(SppLauncher *launcher, gint64 timeout_ms, int *wait_status, GError **error)
{
    gint64 deadline = timeout_ms < 0 ? G_MAXINT64 : g_get_monotonic_time() + timeout_ms * 1000;
    while (!reap(launcher, FALSE)) {
        if (g_get_monotonic_time() >= deadline) {
            g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TIMEOUT,
                        "QEMU still running after %" G_GINT64_FORMAT " ms", timeout_ms);
            return FALSE;
        }
        g_usleep(2000);
    }
    if (wait_status != NULL)
        *wait_status = launcher->wait_status;
    return TRUE;
}

gboolean spp_launcher_is_running(SppLauncher *launcher)
{
    return launcher->pid > 0 && !reap(launcher, FALSE);
}

void spp_launcher_free(SppLauncher *launcher)
{
    if (launcher == NULL)
        return;
    /* Close our ends first so QEMU sees EOF rather than blocking on a full socket. */
    spp_qmp_client_free(launcher->qmp);
    spp_serial_reader_free(launcher->serial);
    spp_launcher_stop(launcher, TERM_GRACE_MS);
    if (!launcher->keep_tmpdir)
        spp_registry_remove_flat_dir(launcher->tmpdir);
    else
        g_message("SPP_KEEP_TMPDIR=1: keeping %s", launcher->tmpdir);
    spp_registry_remove(launcher->registry_slot);
    g_free(launcher->tmpdir);
    g_free(launcher->qmp_path);
    g_free(launcher->monitor_path);
    g_free(launcher->serial_path);
    g_free(launcher->stderr_path);
    if (launcher->argv != NULL)
        g_ptr_array_unref(launcher->argv);
    g_ptr_array_unref(launcher->disks);
    g_free(launcher);
}

/* ---- accessors -------------------------------------------------------- */

pid_t spp_launcher_get_pid(SppLauncher *launcher)
{
    return launcher->pid;
}

const char *spp_launcher_get_tmpdir(SppLauncher *launcher)
{
    return launcher->tmpdir;
}

const char *const *spp_launcher_get_argv(SppLauncher *launcher)
{
    return (const char *const *)launcher->argv->pdata;
}

SppQmpClient *spp_launcher_get_qmp(SppLauncher *launcher)
{
    return launcher->qmp;
}

const char *spp_launcher_get_qmp_socket_path(SppLauncher *launcher)
{
    return launcher->qmp_path;
}

const char *spp_launcher_get_monitor_socket_path(SppLauncher *launcher)
{
    return launcher->monitor_path;
}

static const SppDisk *find_disk(SppLauncher *launcher, const char *name)
{
    for (guint i = 0; i < launcher->disks->len; i++) {
        const SppDisk *disk = launcher->disks->pdata[i];
        if (g_strcmp0(disk->name, name) == 0)
            return disk;
    }
    return NULL;
}

const char *spp_launcher_get_disk_path(SppLauncher *launcher, const char *name)
{
    const SppDisk *disk = find_disk(launcher, name);
    return disk != NULL ? disk->path : NULL;
}

const char *spp_launcher_get_disk_format(SppLauncher *launcher, const char *name)
{
    const SppDisk *disk = find_disk(launcher, name);
    return disk != NULL ? disk->format : NULL;
}

char *spp_launcher_read_stderr(SppLauncher *launcher)
{
    char *contents = NULL;
    if (!g_file_get_contents(launcher->stderr_path, &contents, NULL, NULL))
        return g_strdup("");
    return contents;
}

/* ---- serial ----------------------------------------------------------- */

static gboolean require_serial(SppLauncher *launcher, GError **error)
{
    if (launcher->serial != NULL)
        return TRUE;
    g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC, "this launch has no serial port");
    return FALSE;
}

static gboolean starts_with(const char *line, gconstpointer prefix)
{
    return g_str_has_prefix(line, prefix);
}

static gboolean matches_regex(const char *line, gconstpointer regex)
{
    return g_regex_match(regex, line, 0, NULL);
}

char *spp_launcher_serial_wait_line(SppLauncher *launcher, const char *prefix, gint64 timeout_ms, GError **error)
{
    if (!require_serial(launcher, error))
        return NULL;
    const char *wanted = prefix != NULL ? prefix : "";
    g_autofree char *what = g_strdup_printf("starting with \"%s\"", wanted);
    return spp_serial_reader_wait(launcher->serial, starts_with, wanted, what, timeout_ms, error);
}

char *spp_launcher_serial_wait_regex(SppLauncher *launcher, const GRegex *regex, gint64 timeout_ms, GError **error)
{
    if (!require_serial(launcher, error))
        return NULL;
    g_autofree char *what = g_strdup_printf("matching /%s/", g_regex_get_pattern(regex));
    return spp_serial_reader_wait(launcher->serial, matches_regex, regex, what, timeout_ms, error);
}

int spp_launcher_serial_pump(SppLauncher *launcher, gint64 timeout_ms, GError **error)
{
    if (!require_serial(launcher, error))
        return -1;
    gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + timeout_ms * 1000;
    return spp_serial_reader_pump(launcher->serial, deadline, error);
}

const GPtrArray *spp_launcher_serial_get_lines(SppLauncher *launcher)
{
    static GPtrArray *no_lines;
    if (launcher->serial == NULL) {
        if (g_once_init_enter(&no_lines))
            g_once_init_leave(&no_lines, g_ptr_array_new());
        return no_lines;
    }
    return spp_serial_reader_get_lines(launcher->serial);
}

gboolean spp_launcher_serial_write(SppLauncher *launcher, const void *bytes, gsize length, GError **error)
{
    if (!require_serial(launcher, error))
        return FALSE;
    return spp_serial_reader_write(launcher->serial, bytes, length, error);
}

int spp_launcher_serial_get_fd(SppLauncher *launcher)
{
    return launcher->serial != NULL ? spp_serial_reader_get_fd(launcher->serial) : -1;
}
