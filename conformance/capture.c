#include "capture.h"

#include "case-runner.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct VcCapture {
    GPid pid;
    int err_fd; /* kept open: dumpcap reports at exit, and a closed pipe would kill it before it flushes */
};

VcCapture *vc_capture_start(const char *pcap_path, GError **error)
{
    const char *argv[] = {"dumpcap", "-q", "-i", "lo", "-f", "tcp", "-w", pcap_path, NULL};
    GPid pid;
    int err_fd;
    if (!g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                  NULL, &pid, NULL, NULL, &err_fd, error))
        return NULL;
    /* dumpcap says "Capturing on ..." once packets are being recorded; traffic before that is lost. */
    GString *said = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    gboolean ready = FALSE;
    while (!ready && g_get_monotonic_time() < deadline) {
        GPollFD p = {err_fd, G_IO_IN | G_IO_HUP, 0};
        if (g_poll(&p, 1, 200) <= 0)
            continue;
        char buf[512];
        ssize_t n = read(err_fd, buf, sizeof buf);
        if (n <= 0)
            break;
        g_string_append_len(said, buf, n);
        ready = strstr(said->str, "Capturing on") != NULL;
    }
    if (!ready) {
        close(err_fd);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "dumpcap did not start capturing on lo: %s",
                    g_strstrip(said->str));
        g_string_free(said, TRUE);
        return NULL;
    }
    g_string_free(said, TRUE);
    VcCapture *c = g_new0(VcCapture, 1);
    c->pid = pid;
    c->err_fd = err_fd;
    vc_runner_spare_pid(pid);
    return c;
}

void vc_capture_stop(VcCapture *capture)
{
    if (!capture)
        return;
    /* Let the kernel hand dumpcap the last packets before asking it to finish the file. */
    g_usleep(300 * 1000);
    kill(capture->pid, SIGINT);
    waitpid(capture->pid, NULL, 0);
    g_spawn_close_pid(capture->pid);
    close(capture->err_fd);
    g_free(capture);
}

char *vc_capture_decode(const char *pcap_path, const char *plugin_path, GError **error)
{
    const char *argv[] = {VMCONFORM_DECODE_SCRIPT, pcap_path, plugin_path, NULL};
    char *out = NULL, *err = NULL;
    int status;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out, &err, &status, error))
        return NULL;
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "decoding the capture failed: %s", g_strstrip(err));
        g_free(out);
        g_free(err);
        return NULL;
    }
    g_free(err);
    return out;
}
