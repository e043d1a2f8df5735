/* How long from a RESET written to the power channel's socket to QEMU's RESET event, seen on
 * another QMP monitor: real QEMU, the real bridge, a real SPICE client. Printed beside the round
 * trip of query-status on the same monitor, measured in the same run: the physical floor. */
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "guest.h"
#include "launcher.h"
#include "spp_client.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[(int)((n - 1) * p + 0.5)];
}

static gboolean is_host_reset(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = ev->data ? json_node_get_object(ev->data) : NULL;
    return d && g_strcmp0(json_object_get_string_member_with_default(d, "reason", ""), "host-qmp-system-reset") == 0;
}

static void die_with_parent(gpointer unused)
{
    (void)unused;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

int main(int argc, char **argv)
{
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    const char *bridge = argc > 1 ? argv[1] : NULL;
    if (!bridge || rounds < 100) {
        fprintf(stderr, "usage: %s SPICE-POWER-BRIDGE [ROUNDS >= 100]\n", argv[0]);
        return 2;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    if (!spp_launch_config_add_disk(config, disk, &err))
        g_error("%s", err->message);
    spp_launch_config_set_second_monitor(config, TRUE);
    g_autoptr(SppLauncher) qemu = spp_launcher_start(config, &err);
    if (!qemu)
        g_error("%s", err->message);
    SppQmpClient *watch = spp_launcher_get_qmp(qemu);

    int port = spp_free_loopback_port();
    if (port < 0)
        g_error("no free loopback port");
    g_autofree char *qmp_arg = g_strconcat("unix:", spp_launcher_get_monitor_socket_path(qemu), NULL);
    g_autofree char *listen = g_strdup_printf("127.0.0.1:%d", port);
    const char *bargv[] = {bridge, "--qmp", qmp_arg, "--listen", listen, "--disable-ticketing", NULL};
    GPid pid;
    if (!g_spawn_async(NULL, (char **)bargv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
                       die_with_parent, NULL, &pid, &err))
        g_error("%s", err->message);

    SppConn *main_conn = NULL, *power = spp_conn_new();
    uint32_t session = 0;
    for (int i = 0; i < 100; i++) {
        main_conn = spp_conn_new();
        if (spp_main_connect(main_conn, "127.0.0.1", port, NULL, 2000, &session) == SPP_OK)
            break;
        spp_conn_free(main_conn);
        main_conn = NULL;
        g_usleep(50000);
    }
    uint32_t caps = SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    SppLinkInfo info;
    if (!main_conn || spp_channel_connect(power, "127.0.0.1", port, session, SPP_CHANNEL_POWER, 0, &caps, 1, NULL, 2000,
                                          &info) != SPP_OK)
        g_error("cannot link the power channel: %s", spp_conn_error(power));

    double *rtt = g_new(double, rounds), *lat = g_new(double, rounds);
    for (int i = 0; i < rounds; i++) {
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(JsonNode) r = spp_qmp_client_execute(watch, "query-status", NULL, 5000, &err);
        if (!r)
            g_error("%s", err->message);
        rtt[i] = (g_get_monotonic_time() - t0) / 1000.0;
    }
    for (int i = 0; i < rounds; i++) {
        g_ptr_array_unref(spp_qmp_client_drain_events(watch));
        gint64 t0 = g_get_monotonic_time();
        if (spp_send(power, SPP_MSGC_POWER_RESET, NULL, 0) != SPP_OK)
            g_error("send: %s", spp_conn_error(power));
        g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(watch, "RESET", is_host_reset, NULL, 5000, &err);
        if (!ev)
            g_error("no RESET event: %s", err->message);
        lat[i] = (ev->received_us - t0) / 1000.0;
        SppMessage msg = {0};
        if (spp_recv_type(power, SPP_MSG_POWER_RESULT, &msg, 5000) != SPP_OK)
            g_error("no RESULT: %s", spp_conn_error(power));
        spp_message_clear(&msg);
    }
    double rtt_med = percentile(rtt, rounds, 0.5), lat_med = percentile(lat, rounds, 0.5);
    double lat_p90 = percentile(lat, rounds, 0.9);
    printf("reset latency (power channel RESET -> QMP RESET event), %d resets: median %.3f ms, p90 %.3f ms\n", rounds,
           lat_med, lat_p90);
    printf("baseline (query-status round trip, same monitor, same run):      median %.3f ms\n", rtt_med);
    printf("ratio latency/baseline: %.2f; goal: median <= 10 ms: %s\n", lat_med / rtt_med,
           lat_med <= 10.0 ? "met" : "NOT met");

    spp_conn_free(power);
    spp_conn_free(main_conn);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    g_free(rtt);
    g_free(lat);
    return 0;
}
