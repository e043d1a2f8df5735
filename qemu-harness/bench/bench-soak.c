/* bench-soak: many SPICE clients against one spice-power-bridge for a while, to see whether the
 * bridge's memory or open files grow and how its latency holds up under concurrent load.
 *
 *     bench-soak [--clients N] [--actions M] [--seconds T] SPICE-POWER-BRIDGE
 *
 * Real QEMU (the boot-sector guest, TCG) and the real bridge in multi-client mode; N client
 * threads (default 8) each, again and again until T seconds (default 20) have passed: link a
 * session (main channel, then power channel announcing RESULT), send M RESETs (default 50), each
 * awaiting its RESULT, close. Meanwhile the main thread runs query-status on QEMU's other QMP
 * monitor (the bridge holds one) every few milliseconds: QEMU's own round trip under the same
 * load, the floor for an action. Printed: the bridge's VmRSS and open fds before the clients start
 * (after one warm-up session) and after they have gone, p50/p99 of link latency (connect to power
 * channel linked), of action latency (RESET sent to its RESULT) and of the QMP round trip, and,
 * as the headline, action p50 / QMP p50.
 *
 * The bench talks to the bridge only over SPICE and QMP. Exit status 0 when every link and action
 * succeeded, 1 when one failed or the bridge ended, 2 for a bad command line. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-common.h"
#include "spp_bridge_process.h"
#include "spp_power.h"

#define PROGRAM "bench-soak"
#define USAGE "usage: " PROGRAM " [--clients N] [--actions M] [--seconds T] SPICE-POWER-BRIDGE"
#define STEP_MS 5000              /* each step of a link; generous, so that load shows as latency, not failure */
#define ACTION_TIMEOUT_MS 10000   /* RESET to RESULT */
#define FAILURE_PAUSE_US 100000   /* after a failed link, so that a broken bridge is not hammered */
#define QMP_SAMPLE_PAUSE_US 10000 /* between two query-status round trips during the soak */
#define IDLE_QMP_ROUNDS 200       /* query-status round trips before the clients start */
#define SETTLE_US 500000          /* for the bridge to let go of the clients that closed */

/* The numeric options: name, bounds, default. */
typedef enum { OPT_CLIENTS, OPT_ACTIONS, OPT_SECONDS, OPT_COUNT } CountOption;
static const struct {
    const char *name;
    const char *meaning;
    int min, max, fallback;
} count_options[OPT_COUNT] = {
    [OPT_CLIENTS] = {"clients", "concurrent SPICE clients", 1, 128, 8},
    [OPT_ACTIONS] = {"actions", "RESETs per linked session", 1, 100000, 50},
    [OPT_SECONDS] = {"seconds", "how long the clients keep going", 1, 86400, 20},
};

typedef struct {
    int counts[OPT_COUNT];
    char *bridge_path;
} SoakOptions;

/* One client thread's run: its samples (ms) and what went wrong. */
typedef struct {
    int port;
    int actions;
    gint64 end_us;
    GArray *link_ms;
    GArray *action_ms;
    guint link_failures;
    guint action_failures; /* no RESULT, or a RESULT other than OK */
    char *first_error;
} ClientRun;

typedef struct {
    gint64 rss_kb; /* VmRSS */
    gint64 hwm_kb; /* VmHWM: the peak so far */
    int fds;
} Resources;

static gboolean parse_count(const char *text, CountOption which, int *value, char **error_line)
{
    char *end = NULL;
    long v = text ? strtol(text, &end, 10) : count_options[which].fallback;
    if (text && (!*text || *end || v < count_options[which].min || v > count_options[which].max)) {
        *error_line = g_strdup_printf("--%s wants a whole number from %d to %d, got '%s'", count_options[which].name,
                                      count_options[which].min, count_options[which].max, text);
        return FALSE;
    }
    *value = (int)v;
    return TRUE;
}

static gboolean parse_options(int argc, char **argv, SoakOptions *opts, char **error_line)
{
    char *texts[OPT_COUNT] = {NULL};
    char *descriptions[OPT_COUNT] = {NULL};
    GOptionEntry entries[OPT_COUNT + 1] = {G_OPTION_ENTRY_NULL};
    for (int i = 0; i < OPT_COUNT; i++) {
        descriptions[i] = g_strdup_printf("%s (default %d)", count_options[i].meaning, count_options[i].fallback);
        entries[i] = (GOptionEntry){count_options[i].name, 0, 0, G_OPTION_ARG_STRING, &texts[i], descriptions[i], "N"};
    }
    g_autoptr(GOptionContext) ctx = g_option_context_new("SPICE-POWER-BRIDGE - soak spice-power-bridge with clients");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    gboolean ok = g_option_context_parse(ctx, &argc, &argv, &err);
    if (!ok)
        *error_line = g_strdup(err->message);
    for (int i = 0; ok && i < OPT_COUNT; i++)
        ok = parse_count(texts[i], i, &opts->counts[i], error_line);
    if (ok && argc != 2) {
        *error_line = argc < 2 ? g_strdup("name the spice-power-bridge binary (" USAGE ")")
                               : g_strdup_printf("unexpected argument '%s' (" USAGE ")", argv[2]);
        ok = FALSE;
    }
    if (ok && (!g_file_test(argv[1], G_FILE_TEST_IS_REGULAR) || access(argv[1], X_OK) != 0)) {
        *error_line = g_strdup_printf("'%s' is not an executable file (the spice-power-bridge binary)", argv[1]);
        ok = FALSE;
    }
    if (ok)
        opts->bridge_path = g_strdup(argv[1]);
    for (int i = 0; i < OPT_COUNT; i++) {
        g_free(texts[i]);
        g_free(descriptions[i]);
    }
    return ok;
}

static double ms_since(gint64 start_us)
{
    return (g_get_monotonic_time() - start_us) / 1000.0;
}

static void note_failure(ClientRun *run, guint *counter, const char *what)
{
    (*counter)++;
    if (!run->first_error)
        run->first_error = g_strdup(what);
}

/* One session: link it, run up to run->actions RESETs (stopping at the end of the soak), close. */
static void one_session(ClientRun *run)
{
    g_autoptr(GError) err = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(SppPowerSession) session = spp_power_session_open("127.0.0.1", run->port, NULL, 0, STEP_MS, &err);
    g_autoptr(SppPowerChannel) power = spp_power_channel_new();
    if (!session || !spp_power_channel_link(power, session, SPP_POWER_CHANNEL_ID, SPP_CAP_MASK(SPP_POWER_CAP_RESULT),
                                            NULL, STEP_MS, &err)) {
        note_failure(run, &run->link_failures, err->message);
        g_usleep(FAILURE_PAUSE_US);
        return;
    }
    double link = ms_since(t0);
    g_array_append_val(run->link_ms, link);
    for (int i = 0; i < run->actions && g_get_monotonic_time() < run->end_us; i++) {
        uint32_t code;
        gint64 sent = g_get_monotonic_time();
        if (!spp_power_channel_act(power, SPP_MSGC_POWER_RESET, ACTION_TIMEOUT_MS, &code, &err)) {
            note_failure(run, &run->action_failures, err->message);
            return; /* the channel is out of step: link anew */
        }
        double latency = ms_since(sent);
        g_array_append_val(run->action_ms, latency);
        if (code != SPP_POWER_RESULT_OK) {
            g_autofree char *what = g_strdup_printf("RESET answered %s", spp_power_result_name(code));
            note_failure(run, &run->action_failures, what);
        }
    }
}

static gpointer client_main(gpointer data)
{
    ClientRun *run = data;
    while (g_get_monotonic_time() < run->end_us)
        one_session(run);
    return NULL;
}

/* query-status round trips (ms) on the monitor until end_us, or `rounds` of them when end_us is 0.
 * The events QEMU sends meanwhile (a RESET per action) are of no interest here: drained. */
static GArray *sample_qmp(SppQmpClient *monitor, gint64 end_us, int rounds)
{
    GArray *rtt = g_array_new(FALSE, FALSE, sizeof(double));
    while (end_us ? g_get_monotonic_time() < end_us : (int)rtt->len < rounds) {
        g_autoptr(GError) err = NULL;
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(JsonNode) status = spp_qmp_client_execute(monitor, "query-status", NULL, ACTION_TIMEOUT_MS, &err);
        if (!status)
            g_error("QEMU's monitor: %s", err->message);
        double ms = ms_since(t0);
        g_array_append_val(rtt, ms);
        g_ptr_array_unref(spp_qmp_client_drain_events(monitor));
        if (end_us)
            g_usleep(QMP_SAMPLE_PAUSE_US);
    }
    return rtt;
}

static gint64 status_kb(const char *status, const char *field)
{
    const char *line = strstr(status, field);
    return line ? g_ascii_strtoll(line + strlen(field), NULL, 10) : -1;
}

static Resources read_resources(GPid pid)
{
    Resources r = {-1, -1, -1};
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *status = NULL;
    if (g_file_get_contents(status_path, &status, NULL, NULL)) {
        r.rss_kb = status_kb(status, "\nVmRSS:");
        r.hwm_kb = status_kb(status, "\nVmHWM:");
    }
    g_autofree char *fd_path = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(fd_path, 0, NULL);
    if (dir) {
        r.fds = 0;
        while (g_dir_read_name(dir))
            r.fds++;
    }
    return r;
}

/* A session before measuring "before": what the first client allocates once is not a leak. */
static void warm_up(int port)
{
    ClientRun run = {.port = port, .actions = 1, .end_us = G_MAXINT64};
    run.link_ms = g_array_new(FALSE, FALSE, sizeof(double));
    run.action_ms = g_array_new(FALSE, FALSE, sizeof(double));
    one_session(&run);
    if (run.first_error)
        g_error("warm-up session: %s", run.first_error);
    g_array_unref(run.link_ms);
    g_array_unref(run.action_ms);
    g_usleep(SETTLE_US);
}

/* Runs the clients for the soak's duration while sampling QMP; returns the QMP samples. */
static GArray *run_clients(ClientRun *runs, int clients, SppQmpClient *monitor, gint64 end_us)
{
    g_autofree GThread **threads = g_new(GThread *, clients);
    for (int i = 0; i < clients; i++)
        threads[i] = g_thread_new("soak-client", client_main, &runs[i]);
    GArray *qmp = sample_qmp(monitor, end_us, 0);
    for (int i = 0; i < clients; i++)
        g_thread_join(threads[i]);
    return qmp;
}

static void print_latency(const char *what, GArray *samples)
{
    double *v = (double *)samples->data;
    printf("%-44s p50 %8.3f ms   p99 %8.3f ms   (n=%u)\n", what, spp_bench_percentile(v, samples->len, 0.5),
           spp_bench_percentile(v, samples->len, 0.99), samples->len);
}

static void print_resources(const Resources *before, const Resources *after)
{
    printf("bridge VmRSS:     before %6" G_GINT64_FORMAT " kB   after %6" G_GINT64_FORMAT " kB   (%+" G_GINT64_FORMAT
           " kB; peak VmHWM %" G_GINT64_FORMAT " kB)\n",
           before->rss_kb, after->rss_kb, after->rss_kb - before->rss_kb, after->hwm_kb);
    printf("bridge open fds:  before %6d      after %6d      (%+d)\n", before->fds, after->fds,
           after->fds - before->fds);
}

/* Merges the clients' samples and failures; prints the failures. Returns the number of failures. */
static guint merge_runs(ClientRun *runs, int clients, GArray *link_ms, GArray *action_ms)
{
    guint link_failures = 0, action_failures = 0;
    for (int i = 0; i < clients; i++) {
        g_array_append_vals(link_ms, runs[i].link_ms->data, runs[i].link_ms->len);
        g_array_append_vals(action_ms, runs[i].action_ms->data, runs[i].action_ms->len);
        link_failures += runs[i].link_failures;
        action_failures += runs[i].action_failures;
        if (runs[i].first_error)
            printf("client %d: first failure: %s\n", i, runs[i].first_error);
    }
    printf("sessions linked: %u (%u failed to link); RESETs answered: %u (%u failed or not OK)\n", link_ms->len,
           link_failures, action_ms->len, action_failures);
    return link_failures + action_failures;
}

typedef struct {
    ClientRun *runs;
    GArray *qmp_idle, *qmp_soak;
    Resources before, after;
    double seconds;
} SoakResult;

static guint report(const SoakOptions *opts, SoakResult *result)
{
    int clients = opts->counts[OPT_CLIENTS];
    printf("soak: %d clients, each linking and sending %d RESETs per session, for %.1f s\n", clients,
           opts->counts[OPT_ACTIONS], result->seconds);
    g_autoptr(GArray) link_ms = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) action_ms = g_array_new(FALSE, FALSE, sizeof(double));
    guint failures = merge_runs(result->runs, clients, link_ms, action_ms);
    printf("throughput: %.1f RESETs/s through the bridge\n", action_ms->len / result->seconds);
    print_resources(&result->before, &result->after);
    print_latency("link (connect to power channel linked):", link_ms);
    print_latency("action (RESET sent to its RESULT):", action_ms);
    print_latency("QMP query-status round trip, during soak:", result->qmp_soak);
    print_latency("QMP query-status round trip, idle before:", result->qmp_idle);
    double action_p50 = spp_bench_percentile((double *)action_ms->data, action_ms->len, 0.5);
    double soak_p50 = spp_bench_percentile((double *)result->qmp_soak->data, result->qmp_soak->len, 0.5);
    double idle_p50 = spp_bench_percentile((double *)result->qmp_idle->data, result->qmp_idle->len, 0.5);
    printf("headline: action p50 / QMP p50 (during soak) = %.2f   (against idle QMP: %.2f)\n",
           soak_p50 > 0 ? action_p50 / soak_p50 : 0.0, idle_p50 > 0 ? action_p50 / idle_p50 : 0.0);
    return failures;
}

static void free_runs(ClientRun *runs, int clients)
{
    for (int i = 0; i < clients; i++) {
        g_array_unref(runs[i].link_ms);
        g_array_unref(runs[i].action_ms);
        g_free(runs[i].first_error);
    }
    g_free(runs);
}

static ClientRun *new_runs(const SoakOptions *opts, int port, gint64 end_us)
{
    ClientRun *runs = g_new0(ClientRun, opts->counts[OPT_CLIENTS]);
    for (int i = 0; i < opts->counts[OPT_CLIENTS]; i++) {
        runs[i] = (ClientRun){.port = port, .actions = opts->counts[OPT_ACTIONS], .end_us = end_us};
        runs[i].link_ms = g_array_new(FALSE, FALSE, sizeof(double));
        runs[i].action_ms = g_array_new(FALSE, FALSE, sizeof(double));
    }
    return runs;
}

static int soak(const SoakOptions *opts)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(SppLauncher) qemu = spp_bench_start_qemu();
    SppQmpClient *monitor = spp_launcher_get_qmp(qemu);
    const SppBridgeProcessSpec spec = {.path = opts->bridge_path,
                                       .qmp_socket = spp_launcher_get_monitor_socket_path(qemu),
                                       .multiple_clients = TRUE,
                                       .log_file = "/dev/null"};
    g_autoptr(SppBridgeProcess) bridge = spp_bridge_process_start(&spec, &err);
    if (!bridge)
        g_error("%s", err->message);
    int port = spp_bridge_process_port(bridge);
    GPid pid = spp_bridge_process_pid(bridge);
    warm_up(port);

    SoakResult result = {.before = read_resources(pid)};
    result.qmp_idle = sample_qmp(monitor, 0, IDLE_QMP_ROUNDS);
    gint64 start = g_get_monotonic_time();
    gint64 end_us = start + (gint64)opts->counts[OPT_SECONDS] * G_USEC_PER_SEC;
    result.runs = new_runs(opts, port, end_us);
    result.qmp_soak = run_clients(result.runs, opts->counts[OPT_CLIENTS], monitor, end_us);
    result.seconds = ms_since(start) / 1000.0;
    g_usleep(SETTLE_US);
    result.after = read_resources(pid);

    guint failures = report(opts, &result);
    gboolean alive = spp_bridge_process_running(bridge, &err);
    if (!alive)
        printf("the bridge did not survive: %s\n", err->message);
    free_runs(result.runs, opts->counts[OPT_CLIENTS]);
    g_array_unref(result.qmp_idle);
    g_array_unref(result.qmp_soak);
    return failures == 0 && alive ? 0 : 1;
}

int main(int argc, char **argv)
{
    SoakOptions opts = {0};
    g_autofree char *error_line = NULL;
    if (!parse_options(argc, argv, &opts, &error_line)) {
        fprintf(stderr, PROGRAM ": %s\n", error_line);
        return 2;
    }
    int status = soak(&opts);
    g_free(opts.bridge_path);
    return status;
}
