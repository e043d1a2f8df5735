/* How long from a RESET written to the power channel's socket to QEMU's RESET event, seen on
 * another QMP monitor: real QEMU, the real bridge, a real SPICE client. Printed beside the round
 * trip of query-status on the same monitor, measured in the same run: the physical floor. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-common.h"
#include "spp_bridge_process.h"
#include "spp_power.h"

#define STEP_MS 2000
#define EVENT_MS 5000

static gboolean is_host_reset(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = ev->data ? json_node_get_object(ev->data) : NULL;
    return d && g_strcmp0(json_object_get_string_member_with_default(d, "reason", ""), "host-qmp-system-reset") == 0;
}

/* The round trip of query-status, in ms, `rounds` times. */
static double *measure_baseline(SppQmpClient *watch, int rounds)
{
    double *rtt = g_new(double, rounds);
    for (int i = 0; i < rounds; i++) {
        g_autoptr(GError) err = NULL;
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(JsonNode) r = spp_qmp_client_execute(watch, "query-status", NULL, EVENT_MS, &err);
        if (!r)
            g_error("%s", err->message);
        rtt[i] = (g_get_monotonic_time() - t0) / 1000.0;
    }
    return rtt;
}

/* From RESET sent to QEMU's RESET event, in ms, `rounds` times; each RESULT is awaited before
 * the next RESET. */
static double *measure_reset_latency(SppQmpClient *watch, SppPowerChannel *power, int rounds)
{
    double *lat = g_new(double, rounds);
    for (int i = 0; i < rounds; i++) {
        g_autoptr(GError) err = NULL;
        g_ptr_array_unref(spp_qmp_client_drain_events(watch));
        gint64 t0 = g_get_monotonic_time();
        if (!spp_power_channel_send(power, SPP_MSGC_POWER_RESET, 0, &err))
            g_error("%s", err->message);
        g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(watch, "RESET", is_host_reset, NULL, EVENT_MS, &err);
        if (!ev)
            g_error("no RESET event: %s", err->message);
        lat[i] = (ev->received_us - t0) / 1000.0;
        uint32_t code;
        if (!spp_power_channel_expect_result(power, SPP_MSGC_POWER_RESET, EVENT_MS, &code, &err))
            g_error("%s", err->message);
    }
    return lat;
}

static void report(double *rtt, double *lat, int rounds)
{
    double rtt_med = spp_bench_percentile(rtt, rounds, 0.5), lat_med = spp_bench_percentile(lat, rounds, 0.5);
    double lat_p90 = spp_bench_percentile(lat, rounds, 0.9);
    printf("reset latency (power channel RESET -> QMP RESET event), %d resets: median %.3f ms, p90 %.3f ms\n", rounds,
           lat_med, lat_p90);
    printf("baseline (query-status round trip, same monitor, same run):      median %.3f ms\n", rtt_med);
    printf("ratio latency/baseline: %.2f; goal: median <= 10 ms: %s\n", lat_med / rtt_med,
           lat_med <= 10.0 ? "met" : "NOT met");
}

int main(int argc, char **argv)
{
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    const char *bridge_path = argc > 1 ? argv[1] : NULL;
    if (!bridge_path || rounds < 100) {
        fprintf(stderr, "usage: %s SPICE-POWER-BRIDGE [ROUNDS >= 100]\n", argv[0]);
        return 2;
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(SppLauncher) qemu = spp_bench_start_qemu();
    SppQmpClient *watch = spp_launcher_get_qmp(qemu);
    const SppBridgeProcessSpec spec = {
        .path = bridge_path, .qmp_socket = spp_launcher_get_monitor_socket_path(qemu), .log_file = "/dev/null"};
    g_autoptr(SppBridgeProcess) bridge = spp_bridge_process_start(&spec, &err);
    if (!bridge)
        g_error("%s", err->message);
    g_autoptr(SppPowerSession) session =
        spp_power_session_open("127.0.0.1", spp_bridge_process_port(bridge), NULL, 5000, STEP_MS, &err);
    if (!session)
        g_error("%s", err->message);
    g_autoptr(SppPowerChannel) power = spp_power_channel_new();
    if (!spp_power_channel_link(power, session, SPP_POWER_CHANNEL_ID, SPP_CAP_MASK(SPP_POWER_CAP_RESULT), NULL,
                                STEP_MS, &err))
        g_error("cannot link the power channel: %s", err->message);

    g_autofree double *rtt = measure_baseline(watch, rounds);
    g_autofree double *lat = measure_reset_latency(watch, power, rounds);
    report(rtt, lat, rounds);
    return 0;
}
