/* Starting and stopping spice-power-bridge for tests and benchmarks (see spp_bridge_process.h). */
#define _GNU_SOURCE
#include "spp_bridge_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spp_client.h" /* spp_free_loopback_port() */

#define DEFAULT_START_TIMEOUT_MS 10000
#define POLL_INTERVAL_US 10000
#define TCP_STATE_LISTEN 0x0A /* "st" in /proc/net/tcp */

struct SppBridgeProcess {
    GPid pid;
    gboolean reaped;
    int port;
};

G_DEFINE_QUARK(spp-bridge-process-error-quark, spp_bridge_process_error)

/* The bridge must not outlive its parent, whatever way the parent ends (a failed assertion, a
 * signal): it would hold ctest's output pipe and the port. */
static void die_with_parent(gpointer unused)
{
    (void)unused;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* An ignored signal stays ignored across exec: the bridge must meet SIGPIPE as it does when a
     * shell starts it, not as the test program that starts it happens to treat it. */
    signal(SIGPIPE, SIG_DFL);
}

/* A private file holding the password, for --password-file. */
static char *write_password_file(const char *password, GError **error)
{
    char *path = NULL;
    int fd = g_file_open_tmp("spice-power-bridge-ticket-XXXXXX", &path, error); /* mode 0600 */
    if (fd < 0)
        return NULL;
    close(fd);
    if (!g_file_set_contents_full(path, password, -1, G_FILE_SET_CONTENTS_NONE, 0600, error)) {
        unlink(path);
        g_free(path);
        return NULL;
    }
    return path;
}

static GPtrArray *build_argv(const SppBridgeProcessSpec *spec, int port, const char *password_file)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(spec->path));
    g_ptr_array_add(argv, g_strdup("--qmp"));
    g_ptr_array_add(argv, g_strconcat("unix:", spec->qmp_socket, NULL));
    g_ptr_array_add(argv, g_strdup("--listen"));
    g_ptr_array_add(argv, g_strdup_printf("127.0.0.1:%d", port));
    if (password_file) {
        g_ptr_array_add(argv, g_strdup("--password-file"));
        g_ptr_array_add(argv, g_strdup(password_file));
    } else {
        g_ptr_array_add(argv, g_strdup("--disable-ticketing"));
    }
    if (spec->actions) {
        g_ptr_array_add(argv, g_strdup("--actions"));
        g_ptr_array_add(argv, g_strdup(spec->actions));
    }
    if (spec->multiple_clients)
        g_ptr_array_add(argv, g_strdup("--multiple-clients"));
    for (const char *const *a = spec->extra_args; a && *a; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    g_ptr_array_add(argv, NULL);
    return argv;
}

static gboolean spawn(SppBridgeProcess *bridge, const SppBridgeProcessSpec *spec, const char *password_file,
                      GError **error)
{
    int log_fd = -1;
    if (spec->log_file && (log_fd = open(spec->log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        g_set_error(error, SPP_BRIDGE_PROCESS_ERROR, SPP_BRIDGE_PROCESS_ERROR_START, "cannot open %s: %s",
                    spec->log_file, g_strerror(errno));
        return FALSE;
    }
    g_autoptr(GPtrArray) argv = build_argv(spec, bridge->port, password_file);
    gboolean ok = g_spawn_async_with_pipes_and_fds(
        NULL, (const char *const *)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
        die_with_parent, NULL, -1, log_fd, log_fd, NULL, NULL, 0, &bridge->pid, NULL, NULL, NULL, error);
    if (log_fd >= 0)
        close(log_fd);
    return ok;
}

/* Whether a TCP socket listens on port, from /proc/net/tcp{,6}: a probe connection would show up
 * in the captures the dissector's tests record, and spice-server would log it. */
static gboolean port_listening(int port)
{
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
        g_autofree char *text = NULL;
        if (!g_file_get_contents(tables[t], &text, NULL, NULL))
            continue;
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **line = lines; *line; line++) {
            unsigned local_port, state;
            if (sscanf(*line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &local_port, &state) == 2 &&
                (int)local_port == port && state == TCP_STATE_LISTEN)
                return TRUE;
        }
    }
    return FALSE;
}

/* FALSE, with how the bridge ended, once it has exited (it is reaped then). */
static gboolean still_running(SppBridgeProcess *bridge, GError **error)
{
    int status;
    if (bridge->reaped || waitpid(bridge->pid, &status, WNOHANG) != bridge->pid)
        return !bridge->reaped;
    bridge->reaped = TRUE;
    g_autoptr(GError) why = NULL;
    g_spawn_check_wait_status(status, &why);
    g_set_error(error, SPP_BRIDGE_PROCESS_ERROR, SPP_BRIDGE_PROCESS_ERROR_EXITED, "spice-power-bridge on port %d ended: %s",
                bridge->port, why ? why->message : "exit status 0");
    return FALSE;
}

static gboolean wait_listening(SppBridgeProcess *bridge, int timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        if (!still_running(bridge, error)) {
            g_prefix_error(error, "before listening: ");
            return FALSE;
        }
        if (port_listening(bridge->port))
            return TRUE;
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, SPP_BRIDGE_PROCESS_ERROR, SPP_BRIDGE_PROCESS_ERROR_TIMEOUT,
                        "spice-power-bridge did not listen on port %d within %d ms", bridge->port, timeout_ms);
            return FALSE;
        }
        g_usleep(POLL_INTERVAL_US);
    }
}

static gboolean start(SppBridgeProcess *bridge, const SppBridgeProcessSpec *spec, GError **error)
{
    bridge->port = spec->port ? spec->port : spp_free_loopback_port();
    if (bridge->port < 0) {
        g_set_error(error, SPP_BRIDGE_PROCESS_ERROR, SPP_BRIDGE_PROCESS_ERROR_START, "no free loopback port: %s",
                    g_strerror(errno));
        return FALSE;
    }
    g_autofree char *password_file = NULL;
    if (spec->password && !(password_file = write_password_file(spec->password, error))) {
        g_prefix_error(error, "the bridge's password file: ");
        return FALSE;
    }
    gboolean ok = spawn(bridge, spec, password_file, error) &&
                  wait_listening(bridge, spec->start_timeout_ms ? spec->start_timeout_ms : DEFAULT_START_TIMEOUT_MS,
                                 error);
    /* A listening bridge has read its password: the file has served its purpose. */
    if (password_file)
        unlink(password_file);
    return ok;
}

SppBridgeProcess *spp_bridge_process_start(const SppBridgeProcessSpec *spec, GError **error)
{
    SppBridgeProcess *bridge = g_new0(SppBridgeProcess, 1);
    if (start(bridge, spec, error))
        return bridge;
    spp_bridge_process_stop(bridge);
    return NULL;
}

int spp_bridge_process_port(const SppBridgeProcess *bridge)
{
    return bridge->port;
}

GPid spp_bridge_process_pid(const SppBridgeProcess *bridge)
{
    return bridge->pid;
}

gboolean spp_bridge_process_running(SppBridgeProcess *bridge, GError **error)
{
    return still_running(bridge, error);
}

void spp_bridge_process_stop(SppBridgeProcess *bridge)
{
    if (!bridge)
        return;
    if (bridge->pid > 0) {
        if (!bridge->reaped) {
            kill(bridge->pid, SIGTERM);
            waitpid(bridge->pid, NULL, 0);
        }
        g_spawn_close_pid(bridge->pid);
    }
    g_free(bridge);
}
