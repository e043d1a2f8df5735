/* fuzz_qmp_snapshot: libFuzzer target for QEMU's snapshot-save, snapshot-load and snapshot-delete
 * QMP commands and their jobs, driven over QMP against the stock qemu-system-x86_64 ($SPP_QEMU).
 *
 * One QEMU (TCG, the harness guest on qcow2 disk0, a second qcow2 disk1, a raw disk rawd) is
 * started in LLVMFuzzerInitialize and reused. Each input decodes into up to 24 operations
 * (qmp_snapshot_input.h); each is run and its outcome compared with the model of
 * docs/snapshot-jobs.md (qmp_snapshot_model.h): synchronous error text, job error text, event
 * sequence, query-jobs, the snapshots of every node and the run state. After an input the VM is
 * brought back to "running, no jobs, no snapshots" and that is checked too. A divergence, a QEMU
 * exit and a hang (a deadline per operation) abort with "FINDING [§id]" and the decoded sequence.
 * Jobs are run and observed through qemu-harness/qmp/qmp-jobs.h. The model tolerates the known
 * deviations that the shared registry (qemu-harness/qmp/qemu-deviations.h) lists for the release
 * QEMU reports in its QMP greeting.
 *
 * Environment: SPP_QEMU (binary), SPP_QMP_SNAPSHOT_STRICT (§8 ids not to tolerate, or "all"),
 * SPP_QMP_SNAPSHOT_TRACE=1 (print every operation and outcome), SPP_QMP_SNAPSHOT_DEADLINE_MS
 * (per operation, default 10000), SPP_QMP_SNAPSHOT_RESTART_EVERY (inputs per QEMU, default 2000),
 * SPP_QMP_SNAPSHOT_STATS_SECONDS (stats period on stderr, default 10).
 */
#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <errno.h>

#include "guest.h"
#include "launcher.h"
#include "qemu-snapshot-errors.h"
#include "qmp-jobs.h"
#include "qmp_snapshot_input.h"
#include "qmp_snapshot_model.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Feedback for libFuzzer beyond the harness's edges: (operation, outcome, state) tuples. */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t qs_state_counters[8192];

static struct {
    SppLauncher *launcher;
    SppQmpClient *qmp;
    QsModel *model;
    gint64 deadline_ms;
    guint restart_every, inputs_on_this_qemu;
    gboolean trace;
    /* the input being run, for findings */
    const QsProgram *program;
    size_t op_index;
    gboolean live_running; /* run state as the events seen so far tell it */
    /* statistics */
    guint64 commands, snapshot_commands, inputs, restarts;
    GHashTable *sequences;
    gint64 started_us, last_stats_us, stats_period_us;
} S;

/* ---- findings and statistics -------------------------------------------------------------- */

static void print_program(void)
{
    if (!S.program)
        return;
    for (size_t i = 0; i < S.program->count; i++) {
        char line[512];
        qs_format_op(&S.program->ops[i], line, sizeof(line));
        fprintf(stderr, "  %s%2zu %s\n", i == S.op_index ? "=>" : "  ", i, line);
    }
}

static void stderr_tail(void)
{
    if (!S.launcher)
        return;
    g_autofree char *text = spp_launcher_read_stderr(S.launcher);
    if (text && *text) {
        size_t len = strlen(text);
        fprintf(stderr, "QEMU stderr (tail):\n%s\n", text + (len > 2000 ? len - 2000 : 0));
    }
}

static G_NORETURN G_GNUC_PRINTF(2, 3) void finding(const char *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nfuzz_qmp_snapshot: FINDING [docs/snapshot-jobs.md %s] at operation %zu: %s\n", req, S.op_index,
            msg);
    fprintf(stderr, "operation sequence:\n");
    print_program();
    stderr_tail();
    fflush(stderr);
    spp_launcher_cleanup_all(); /* libFuzzer's crash path skips atexit */
    abort();
}

static void print_stats(const char *when)
{
    double secs = (g_get_monotonic_time() - S.started_us) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    fprintf(stderr,
            "fuzz_qmp_snapshot: %s: %" G_GUINT64_FORMAT " QMP commands (%.0f/s), %" G_GUINT64_FORMAT
            " snapshot commands (%.1f/s), %" G_GUINT64_FORMAT " inputs (%.1f/s), %u distinct operation sequences, "
            "%" G_GUINT64_FORMAT " QEMU restarts, %.0f s\n",
            when, S.commands, S.commands / secs, S.snapshot_commands, S.snapshot_commands / secs, S.inputs,
            S.inputs / secs, S.sequences ? g_hash_table_size(S.sequences) : 0, S.restarts, secs);
}

static void at_exit(void)
{
    if (S.started_us) {
        print_stats("final");
        /* One figure per line for scripts (fuzz/bench/run-bench.sh takes the last number). */
        double secs = MAX((g_get_monotonic_time() - S.started_us) / 1e6, 1e-6);
        fprintf(stderr, "fuzz_qmp_snapshot: distinct sequences: %u\n",
                S.sequences ? g_hash_table_size(S.sequences) : 0);
        fprintf(stderr, "fuzz_qmp_snapshot: commands/s: %.1f\n", S.commands / secs);
    }
    spp_launcher_free(S.launcher);
    S.launcher = NULL;
}

static void count_state(unsigned a, unsigned b, unsigned c)
{
    unsigned h = (a * 31u + b) * 131u + c;
    qs_state_counters[(h ^ (h >> 13)) % sizeof(qs_state_counters)]++;
}

/* ---- QEMU --------------------------------------------------------------------------------- */

static void stop_qemu(void)
{
    spp_launcher_free(S.launcher);
    S.launcher = NULL;
    S.qmp = NULL;
}

static void start_qemu(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *boot = spp_guest_disk_spec("disk0", "qcow2");
    spp_launch_config_set_memory_mb(config, 32);
    spp_launch_config_set_start_timeout_ms(config, 30000);
    if (!spp_launch_config_add_disk(config, boot, &err) ||
        !spp_launch_config_add_disk(config, "name=disk1,format=qcow2,size=4M", &err) ||
        !spp_launch_config_add_disk(config, "name=rawd,format=raw,size=1M", &err)) {
        fprintf(stderr, "fuzz_qmp_snapshot: disk spec: %s\n", err->message);
        exit(1);
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        g_clear_error(&err);
        S.launcher = spp_launcher_start(config, &err);
        if (!S.launcher)
            continue;
        g_autofree char *line = spp_launcher_serial_wait_line(S.launcher, SPP_GUEST_BOOT_LINE, 10000, &err);
        if (line)
            break;
        stop_qemu();
    }
    if (!S.launcher) {
        fprintf(stderr, "fuzz_qmp_snapshot: cannot start QEMU ($SPP_QEMU=%s): %s\n",
                g_getenv("SPP_QEMU") ? g_getenv("SPP_QEMU") : "unset", err ? err->message : "?");
        exit(1);
    }
    S.qmp = spp_launcher_get_qmp(S.launcher);
    S.inputs_on_this_qemu = 0;
    qs_model_clear(S.model);
    memset(S.model->active_area, 0, sizeof(S.model->active_area)); /* fresh images */
}

/* ---- QMP helpers -------------------------------------------------------------------------- */

/* A command got no answer: QEMU hung or died. */
static G_NORETURN void transport_finding(const char *command, const GError *err)
{
    if (g_error_matches(err, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT))
        finding("§4.8", "hang: no answer to %s within %" G_GINT64_FORMAT " ms", command, S.deadline_ms);
    finding("§2.1", "QEMU went away during %s: %s (exit: %s)", command, err->message,
            spp_launcher_is_running(S.launcher) ? "still running" : "exited");
}

/* Runs a command (takes args); returns the result or NULL with *error set to the command's error.
 * Transport failures are findings (QEMU died or hung). */
static JsonNode *qmp(const char *command, JsonNode *args, GError **cmd_error)
{
    g_autoptr(GError) err = NULL;
    S.commands++;
    JsonNode *ret = spp_qmp_client_execute(S.qmp, command, args, S.deadline_ms, &err);
    if (args)
        json_node_unref(args);
    if (ret)
        return ret;
    if (err->domain != SPP_QMP_COMMAND_ERROR)
        transport_finding(command, err);
    g_propagate_error(cmd_error, g_steal_pointer(&err));
    return NULL;
}

static JsonNode *qmp_ok(const char *command, JsonNode *args, const char *req)
{
    g_autoptr(GError) err = NULL;
    JsonNode *ret = qmp(command, args, &err);
    if (!ret)
        finding(req, "%s failed: %s", command, err->message);
    return ret;
}

/* A command that must succeed, whose result is not needed. */
static void qmp_do(const char *command, JsonNode *args, const char *req)
{
    json_node_unref(qmp_ok(command, args, req));
}

static JsonNode *args_id(const char *id)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, id);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *snapshot_args(const QsOp *op)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    if (op->variant != QS_VARIANT_NO_JOB_ID) {
        json_builder_set_member_name(b, "job-id");
        json_builder_add_string_value(b, qs_job_id(op->job));
    }
    if (op->variant == QS_VARIANT_TAG_NUMBER) {
        json_builder_set_member_name(b, "tag");
        json_builder_add_int_value(b, 1);
    } else if (op->variant != QS_VARIANT_NO_TAG) {
        json_builder_set_member_name(b, "tag");
        json_builder_add_string_value(b, qs_tag(op->tag));
    }
    gboolean vmstate = op->kind == QS_OP_DELETE ? op->variant == QS_VARIANT_NO_VMSTATE
                                                : op->variant != QS_VARIANT_NO_VMSTATE;
    if (vmstate) {
        json_builder_set_member_name(b, "vmstate");
        json_builder_add_string_value(b, qs_node_name(op->vmstate));
    }
    if (op->variant == QS_VARIANT_DEVICES_STRING) {
        json_builder_set_member_name(b, "devices");
        json_builder_add_string_value(b, "disk0");
    } else if (op->variant != QS_VARIANT_NO_DEVICES) {
        json_builder_set_member_name(b, "devices");
        json_builder_begin_array(b);
        if (op->variant == QS_VARIANT_DEVICE_NUMBER)
            json_builder_add_int_value(b, 42);
        for (unsigned d = 0; d < op->ndevices; d++)
            json_builder_add_string_value(b, qs_node_name(op->devices[d]));
        json_builder_end_array(b);
    }
    if (op->variant == QS_VARIANT_EXTRA_FOO) {
        json_builder_set_member_name(b, "foo");
        json_builder_add_boolean_value(b, TRUE);
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ---- observing ---------------------------------------------------------------------------- */

/* The events a job run records by name besides its job's statuses: the run state changes that
 * §4.3 to §4.6 order. Guest resets come at any time and are only checked. */
static const char *const run_state_events[] = {"STOP", "RESUME", NULL};

/* What the events seen now may contain. */
typedef struct {
    const char *job_id;  /* the job whose statuses are expected, or NULL */
    gboolean loading;    /* a snapshot-load runs (§4.14 forbids a RESET then) */
    const char *command; /* a command that must emit no job event, or NULL */
    const char *req;     /* the requirement that command's outcome follows */
} Observing;

static void check_job_event(const SppQmpEvent *ev, const Observing *o)
{
    JsonObject *d = json_node_get_object(ev->data);
    const char *id = json_object_get_string_member_with_default(d, "id", "");
    if (o->job_id && strcmp(id, o->job_id) == 0)
        return;
    if (o->command)
        finding(o->req ? o->req : "§3.1", "%s emitted a job event", o->command);
    finding("§3.1", "JOB_STATUS_CHANGE for job '%s' (status %s) that should not exist", id,
            json_object_get_string_member_with_default(d, "status", "?"));
}

/* Checks one event (§3.1, §4.2, §4.14, §6.10) and follows the run state it tells. */
static void check_event(const SppQmpEvent *ev, const Observing *o)
{
    if (strcmp(ev->name, "JOB_STATUS_CHANGE") == 0 && ev->data) {
        check_job_event(ev, o);
    } else if (strcmp(ev->name, "STOP") == 0 || strcmp(ev->name, "RESUME") == 0) {
        S.live_running = strcmp(ev->name, "RESUME") == 0;
    } else if (strcmp(ev->name, "RESET") == 0) {
        /* The guest's own resets (serial 'r', and SeaBIOS's reboots after a reset) are expected;
         * anything else is not. QEMU's main loop turns a reset processed while the VM is stopped
         * into run state prelaunch (not the snapshot code: see docs/fuzzing-qemu.md). */
        JsonObject *d = ev->data ? json_node_get_object(ev->data) : NULL;
        const char *reason = d ? json_object_get_string_member_with_default(d, "reason", "?") : "?";
        if (strcmp(reason, "guest-reset") != 0)
            finding(o->loading ? "§4.14" : "§6.10", "unexpected RESET event, reason %s", reason);
        if (S.trace)
            fprintf(stderr, "    (RESET %s while %s)\n", reason, S.live_running ? "running" : "stopped");
        if (!S.live_running && S.model->run != QS_RUN_RUNNING)
            S.model->run = QS_RUN_PRELAUNCH;
    } else if (strcmp(ev->name, "SHUTDOWN") == 0) {
        finding("§4.14", "unexpected SHUTDOWN event");
    } else if (g_str_has_prefix(ev->name, "BLOCK_JOB")) {
        finding("§4.2", "%s event for a snapshot job", ev->name);
    }
}

static void observe(const SppQmpEvent *ev, gpointer observing)
{
    check_event(ev, observing);
}

/* Drains queued events, checking them (no job events expected) and following the run state. */
static void drain_events(void)
{
    static const Observing nothing_runs = {NULL, FALSE, NULL, NULL};
    SppQmpEvent *ev;
    while ((ev = spp_qmp_client_pop_event(S.qmp))) {
        check_event(ev, &nothing_runs);
        spp_qmp_event_free(ev);
    }
}

/* spp_qmp_job_execute(), counted, after the queued events were checked (it drops them); a
 * transport failure is a finding. */
static SppQmpJobRun *job_execute(const char *command, JsonNode *args, const char *job_id, Observing *observing)
{
    drain_events();
    g_autoptr(GError) err = NULL;
    const SppQmpJobWatch watch = {run_state_events, observe, observing};
    S.commands++;
    SppQmpJobRun *run = spp_qmp_job_execute(S.qmp, command, args, job_id, &watch, S.deadline_ms, &err);
    if (!run)
        transport_finding(command, err);
    return run;
}

/* Waits for the run's job to conclude; a hang or QEMU going away is a finding under req. */
static void job_wait(SppQmpJobRun *run, Observing *observing, const char *req)
{
    g_autoptr(GError) err = NULL;
    const SppQmpJobWatch watch = {run_state_events, observe, observing};
    if (spp_qmp_job_wait_concluded(S.qmp, run, &watch, S.deadline_ms, &err))
        return;
    g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
    if (g_error_matches(err, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT))
        finding(req, "hang: %s (events: %s)", err->message, trace);
    finding(req, "%s (events: %s)", err->message, trace);
}

static void check_run_state(const char *req)
{
    g_autoptr(JsonNode) ret = qmp_ok("query-status", NULL, "§7.2");
    drain_events(); /* a RESET queued before the answer may change the expectation */
    const char *status = json_object_get_string_member(json_node_get_object(ret), "status");
    const char *want = qs_run_state_name(S.model->run);
    if (g_strcmp0(status, want) != 0)
        finding(req, "run state '%s', the model expects '%s'", status, want);
}

/* query-jobs, counted; a refusal is a finding under §7.3. */
static GPtrArray *query_jobs(void)
{
    g_autoptr(GError) err = NULL;
    S.commands++;
    GPtrArray *jobs = spp_qmp_job_query(S.qmp, S.deadline_ms, &err);
    if (!jobs && err->domain == SPP_QMP_COMMAND_ERROR)
        finding("§7.3", "query-jobs failed: %s", err->message);
    if (!jobs)
        transport_finding("query-jobs", err);
    return jobs;
}

/* §4.9, §4.10: query-jobs lists exactly the model's jobs, newest first, all concluded. */
static void check_jobs(const char *req)
{
    g_autoptr(GPtrArray) jobs = query_jobs();
    if (jobs->len != S.model->jobs->len)
        finding(req, "query-jobs lists %u jobs, the model expects %u", jobs->len, S.model->jobs->len);
    for (guint i = 0; i < jobs->len; i++) {
        const SppQmpJobInfo *j = jobs->pdata[i];
        const QsJob *mj = g_ptr_array_index(S.model->jobs, i);
        if (strcmp(j->id, mj->id) != 0)
            finding("§4.10", "query-jobs[%u] is '%s', the model expects '%s' (newest first)", i, j->id, mj->id);
        if (g_strcmp0(j->type, mj->type) != 0)
            finding("§4.1", "job '%s' has type '%s', expected '%s'", j->id, j->type, mj->type);
        if (g_strcmp0(j->status, "concluded") != 0)
            finding("§4.8", "job '%s' is '%s' after its concluded event", j->id, j->status);
        if (j->current_progress != 1 || j->total_progress != 1)
            finding("§4.9", "job '%s' progress is not 1/1", j->id);
        if (!j->error != !mj->error)
            finding("§4.9", "job '%s': error '%s', the model expects %s%s%s", j->id, j->error ? j->error : "(none)",
                    mj->error ? "'" : "", mj->error ? mj->error : "success", mj->error ? "'" : "");
    }
}

/* query-named-block-nodes, counted; a refusal is a finding under §7.1. */
static GPtrArray *query_nodes(void)
{
    g_autoptr(GError) err = NULL;
    S.commands++;
    GPtrArray *nodes = spp_qmp_node_snapshots_query(S.qmp, S.deadline_ms, &err);
    if (!nodes && err->domain == SPP_QMP_COMMAND_ERROR)
        finding("§7.1", "query-named-block-nodes failed: %s", err->message);
    if (!nodes)
        transport_finding("query-named-block-nodes", err);
    return nodes;
}

/* One node's snapshots (name, id, whether it has VM state) against the model's. */
static void check_node(const char *req, const SppQmpNodeSnapshots *node, GPtrArray *want)
{
    const char *name = node->node_name;
    guint got = node->snapshots->len, expected = want ? want->len : 0;
    if (got != expected)
        finding(req, "node '%s' holds %u snapshots, the model expects %u", name, got, expected);
    for (guint k = 0; k < got; k++) {
        const SppQmpSnapshot *s = node->snapshots->pdata[k];
        const QsSnap *ms = g_ptr_array_index(want, k);
        char id[16];
        snprintf(id, sizeof(id), "%u", ms->id);
        gboolean vm = s->vm_state_size > 0;
        if (strcmp(s->name, ms->name) != 0)
            finding(req, "node '%s' snapshot %u is named '%.40s' (%zu bytes), the model expects '%.40s' (%zu bytes)",
                    name, k, s->name, strlen(s->name), ms->name, strlen(ms->name));
        if (strcmp(s->id, id) != 0)
            finding(req, "node '%s' snapshot '%s' has id %s, the model expects %s", name, s->name, s->id, id);
        if (vm != ms->vm)
            finding("§6.2", "node '%s' snapshot '%s' has vm-state-size %s0, the model expects %s", name, s->name,
                    vm ? ">" : "", ms->vm ? ">0" : "0");
    }
}

/* §6, §7.1: every node's snapshots are the model's. */
static void check_nodes(const char *req)
{
    g_autoptr(GPtrArray) nodes = query_nodes();
    for (guint i = 0; i < nodes->len; i++) {
        const SppQmpNodeSnapshots *node = nodes->pdata[i];
        GPtrArray *want = NULL;
        for (unsigned k = 0; k < QS_NODE_VOCAB; k++)
            if (qs_node_kind(k) != QS_NODE_MISSING && strcmp(qs_node_name(k), node->node_name) == 0)
                want = S.model->snaps[k];
        check_node(req, node, want);
    }
}

/* ---- operations --------------------------------------------------------------------------- */

static gboolean loadvm_text(const char *s)
{
    /* §5.10 / §8/D8: the text for any errno. */
    int n, end = 0;
    return s && sscanf(s, SPP_QEMU_ERR_LOADVM "%n", &n, &end) == 1 && s[end] == '\0';
}

/* A snapshot command QEMU refused: the model must have predicted exactly that refusal (§3). */
static void check_refusal(const QsOp *op, const QsPrediction *p, const SppQmpJobRun *run)
{
    const char *command = qs_op_name(op->kind);
    const char *message = run->refused->message;
    if (!p->sync_error)
        finding(p->req ? p->req : "§3.7", "%s was refused ('%s'); the model expects a job (%s)", command, message,
                p->job_error ? p->job_error : "success");
    if (strcmp(message, p->sync_error) != 0)
        finding(p->req, "%s refused with '%s', the model expects '%s'", command, message, p->sync_error);
    if (run->trace->len) {
        g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
        finding("§3.1", "a refused %s emitted events: %s", command, trace);
    }
}

/* The concluded job's events and error against the prediction (§4.2-§4.9). */
static void check_job_outcome(const QsOp *op, const QsPrediction *p, const SppQmpJobRun *run, QsRunState before)
{
    const char *command = qs_op_name(op->kind);
    const char *job_id = run->job_id;
    /* §4.2-§4.6: the event sequence (the return's place is only checked at the return, §4.7/§8/D1). */
    g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
    if (strcmp(trace, p->trace) != 0)
        finding(p->req ? p->req : "§4.3", "%s events '%s', the model expects '%s' (%s, run state was %s)", command,
                trace, p->trace, p->job_error ? p->job_error : "success", qs_run_state_name(before));
    /* §4.9: the job's error. */
    g_autoptr(GPtrArray) jobs = query_jobs();
    const SppQmpJobInfo *info = spp_qmp_job_find(jobs, job_id);
    const char *error = info ? info->error : NULL;
    if (p->job_error_loadvm ? !loadvm_text(error) : g_strcmp0(error, p->job_error) != 0)
        finding(p->req ? p->req : "§4.9", "job '%s' (%s) ended with %s%s%s, the model expects %s%s%s", job_id, command,
                error ? "'" : "", error ? error : "success", error ? "'" : "", p->job_error ? "'" : "",
                p->job_error ? p->job_error : "success", p->job_error ? "'" : "");
    if (S.trace)
        fprintf(stderr, "    -> %s [%s] %s\n", error ? error : "ok", p->req ? p->req : "", trace);
}

static void run_snapshot_command(const QsOp *op)
{
    QsRunState before = S.model->run;
    QsPrediction p;
    qs_model_step(S.model, op, &p);
    const char *command = qs_op_name(op->kind);
    Observing observing = {qs_job_id(op->job), op->kind == QS_OP_LOAD, NULL, NULL};

    S.snapshot_commands++;
    g_autoptr(JsonNode) args = snapshot_args(op);
    g_autoptr(SppQmpJobRun) run = job_execute(command, args, observing.job_id, &observing);
    if (run->refused) {
        check_refusal(op, &p, run);
        count_state(op->kind, 100 + op->variant, p.req ? g_str_hash(p.req) : 0);
        qs_prediction_clear(&p);
        return;
    }
    if (p.sync_error)
        finding(p.req, "%s was accepted; the model expects it to be refused with '%s'", command, p.sync_error);
    /* §4.7: the return comes after created and running. */
    g_autofree char *before_return = spp_qmp_job_run_trace(run, FALSE);
    if (!g_str_has_prefix(before_return, "created running"))
        finding("§4.7", "%s returned after only '%s'", command, before_return);
    job_wait(run, &observing, "§4.8");
    check_job_outcome(op, &p, run, before);
    check_jobs("§4.10");
    check_nodes(p.job_error ? (op->kind == QS_OP_LOAD ? "§6.9" : op->kind == QS_OP_SAVE ? "§6.7" : "§6.8")
                            : (op->kind == QS_OP_SAVE ? "§6.1" : op->kind == QS_OP_LOAD ? "§6.4" : "§6.6"));
    check_run_state(op->kind == QS_OP_SAVE ? "§6.3" : op->kind == QS_OP_LOAD ? (p.job_error ? "§6.9" : "§6.5")
                                                                               : "§6.10");
    count_state(op->kind, before * 8 + (p.job_error ? 1 : 0) + (S.model->jobs->len > 2 ? 2 : 0),
                p.req ? g_str_hash(p.req) : 0);
    qs_prediction_clear(&p);
}

/* job-dismiss, a job verb, stop or cont: refused or accepted as the model says; only a dismiss
 * that succeeds may emit a job event, its job's "null" (§4.11). Takes args. */
static void run_simple_command(const QsOp *op, const char *command, JsonNode *args_owned)
{
    g_autoptr(JsonNode) args = args_owned;
    QsPrediction p;
    qs_model_step(S.model, op, &p);
    gboolean dismissing = op->kind == QS_OP_DISMISS && !p.sync_error;
    Observing observing = {dismissing ? qs_job_id(op->job) : NULL, FALSE, dismissing ? NULL : command, p.req};
    g_autoptr(SppQmpJobRun) run = job_execute(command, args, dismissing ? observing.job_id : "", &observing);
    const char *refused = run->refused ? run->refused->message : NULL;
    if (refused && !p.sync_error)
        finding(p.req ? p.req : "§7", "%s failed: %s", command, refused);
    if (!refused && p.sync_error)
        finding(p.req, "%s succeeded; the model expects '%s'", command, p.sync_error);
    if (refused && strcmp(refused, p.sync_error) != 0)
        finding(p.req, "%s refused with '%s', the model expects '%s'", command, refused, p.sync_error);
    g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
    if (op->kind == QS_OP_DISMISS && !refused && !strstr(trace, "null"))
        finding("§4.11", "job-dismiss returned without the job's 'null' event (events: '%s')", trace);
    if (op->kind == QS_OP_DISMISS && !refused)
        check_jobs("§4.11");
    count_state(op->kind, p.sync_error ? 1 : 0, S.model->run);
    qs_prediction_clear(&p);
}

static void run_op(const QsOp *op)
{
    g_autoptr(GError) err = NULL;
    if (S.trace) {
        char line[512];
        qs_format_op(op, line, sizeof(line));
        fprintf(stderr, "  op %zu: %s\n", S.op_index, line);
    }
    drain_events();
    S.live_running = S.model->run == QS_RUN_RUNNING;
    switch (op->kind) {
    case QS_OP_SAVE:
    case QS_OP_LOAD:
    case QS_OP_DELETE:
        run_snapshot_command(op);
        break;
    case QS_OP_DISMISS:
        run_simple_command(op, "job-dismiss", args_id(qs_job_id(op->job)));
        break;
    case QS_OP_VERB:
        run_simple_command(op, qs_verb(op->verb), args_id(qs_job_id(op->job)));
        break;
    case QS_OP_QUERY_JOBS:
        check_jobs("§4.10");
        break;
    case QS_OP_QUERY_STATUS:
        check_run_state("§7.2");
        break;
    case QS_OP_STOP:
        run_simple_command(op, "stop", NULL);
        break;
    case QS_OP_CONT:
        run_simple_command(op, "cont", NULL);
        break;
    case QS_OP_TICK:
        if (spp_launcher_serial_pump(S.launcher, op->arg, &err) < 0)
            finding("§2.1", "the serial connection is gone: %s", err->message);
        break;
    case QS_OP_SERIAL: {
        /* Non-blocking: a hung or stopped guest stops draining its UART, QEMU then stops reading the
         * socket, and spp_launcher_serial_write() would wait forever. A full buffer drops the byte. */
        char byte = (char)op->arg;
        if (send(spp_launcher_serial_get_fd(S.launcher), &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
            errno != EAGAIN && errno != EWOULDBLOCK)
            finding("§2.1", "cannot write to the guest's serial port: %s", g_strerror(errno));
        break;
    }
    case QS_OP_DISKWRITE: {
        /* Guest-visible data change (§7.4); disk0 is written past the guest's sectors. */
        g_autofree char *cmdline = g_strdup_printf("qemu-io -d %s \"write -P 0x%02x %s 4096\"", qs_disk_qdev(op->arg),
                                                   op->pattern, op->arg == 0 ? "524288" : "0");
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "command-line");
        json_builder_add_string_value(b, cmdline);
        json_builder_end_object(b);
        qmp_do("human-monitor-command", json_builder_get_root(b), "§7.4");
        break;
    }
    default:
        break;
    }
}

/* job-dismiss that must succeed and emit the job's "null" before its return (§4.11). */
static void dismiss(const char *id)
{
    Observing observing = {id, FALSE, NULL, NULL};
    const SppQmpJobWatch watch = {run_state_events, observe, &observing};
    drain_events();
    g_autoptr(GError) err = NULL;
    S.commands++;
    g_autoptr(SppQmpJobRun) run = spp_qmp_job_dismiss(S.qmp, id, &watch, S.deadline_ms, &err);
    if (!run)
        transport_finding("job-dismiss", err);
    if (run->refused)
        finding("§4.11", "job-dismiss failed: %s", run->refused->message);
    g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
    if (strcmp(trace, "null") != 0)
        finding("§4.11", "job-dismiss '%s' emitted '%s', expected 'null'", id, trace);
}

/* A job of the reset itself (id spp-reset): run, wait for concluded, check success, dismiss.
 * Takes args. */
static void internal_job(const char *command, JsonNode *args_owned)
{
    g_autoptr(JsonNode) args = args_owned;
    Observing observing = {"spp-reset", FALSE, NULL, NULL};
    const SppQmpJobWatch watch = {run_state_events, observe, &observing};
    S.snapshot_commands++;
    g_autoptr(SppQmpJobRun) run = job_execute(command, args, "spp-reset", &observing);
    if (run->refused)
        finding("§2.1", "%s failed: %s", command, run->refused->message);
    gboolean concluded = spp_qmp_job_wait_concluded(S.qmp, run, &watch, S.deadline_ms, NULL);
    g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
    if (!concluded)
        finding("§4.8", "the reset's %s did not conclude (events: %s)", command, trace);
    if (strstr(trace, "aborting"))
        finding("§6", "the reset's %s failed (events: %s)", command, trace);
    dismiss("spp-reset");
    drain_events();
}

/* Back to "running, no jobs, no snapshots", checked (§4.11, §6.6). */
static void reset_state(void)
{
    S.op_index = S.program ? S.program->count : 0;
    drain_events();
    for (guint i = S.model->jobs->len; i > 0; i--)
        dismiss(((const QsJob *)g_ptr_array_index(S.model->jobs, i - 1))->id);
    g_ptr_array_set_size(S.model->jobs, 0);
    /* One delete per distinct name; a node listed k times loses k copies (§8/D6). */
    for (;;) {
        const char *name = NULL;
        for (unsigned k = 0; k < QS_NODE_VOCAB && !name; k++)
            if (S.model->snaps[k]->len)
                name = ((QsSnap *)g_ptr_array_index(S.model->snaps[k], 0))->name;
        if (!name)
            break;
        g_autofree char *tag = g_strdup(name);
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "job-id");
        json_builder_add_string_value(b, "spp-reset");
        json_builder_set_member_name(b, "tag");
        json_builder_add_string_value(b, tag);
        json_builder_set_member_name(b, "devices");
        json_builder_begin_array(b);
        for (unsigned k = 0; k < QS_NODE_VOCAB; k++) {
            GPtrArray *a = S.model->snaps[k];
            for (guint i = a->len; i > 0; i--) {
                if (strcmp(((QsSnap *)g_ptr_array_index(a, i - 1))->name, tag) != 0)
                    continue;
                json_builder_add_string_value(b, qs_node_name(k));
                g_ptr_array_remove_index(a, i - 1);
            }
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
        internal_job("snapshot-delete", json_builder_get_root(b));
    }
    /* A loadable state left in an active VM-state area (a load copies it back) would make later
     * inputs depend on this one: a save into the node followed by its delete discards it. */
    for (unsigned k = 0; k < QS_NODE_VOCAB; k++) {
        if (!S.model->active_area[k])
            continue;
        for (int step = 0; step < 2; step++) {
            g_autoptr(JsonBuilder) b = json_builder_new();
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "job-id");
            json_builder_add_string_value(b, "spp-reset");
            json_builder_set_member_name(b, "tag");
            json_builder_add_string_value(b, "spp-reset-area");
            if (step == 0) {
                json_builder_set_member_name(b, "vmstate");
                json_builder_add_string_value(b, qs_node_name(k));
            }
            json_builder_set_member_name(b, "devices");
            json_builder_begin_array(b);
            json_builder_add_string_value(b, qs_node_name(k));
            json_builder_end_array(b);
            json_builder_end_object(b);
            internal_job(step == 0 ? "snapshot-save" : "snapshot-delete", json_builder_get_root(b));
        }
        S.model->active_area[k] = FALSE;
    }
    if (S.model->run != QS_RUN_RUNNING) {
        qmp_do("cont", NULL, "§6.9");
        S.model->run = QS_RUN_RUNNING;
    }
    drain_events();
    check_jobs("§4.11");
    check_nodes("§6.6");
    check_run_state("§6.9");
}

/* The model tolerates the deviations the registry lists for the QEMU release under test, except
 * those $SPP_QMP_SNAPSHOT_STRICT names (docs/fuzzing-qemu.md). */
static void tolerate_known_deviations(void)
{
    int major, minor;
    spp_qmp_client_get_version(S.qmp, &major, &minor, NULL);
    const char *strict_env = getenv("SPP_QMP_SNAPSHOT_STRICT");
    g_auto(GStrv) strict = g_strsplit_set(strict_env ? strict_env : "", ", ", -1);
    g_autoptr(GError) err = NULL;
    if (!qs_model_tolerate_release(major, minor, (const char *const *)strict, &err)) {
        fprintf(stderr, "fuzz_qmp_snapshot: SPP_QMP_SNAPSHOT_STRICT: %s\n", err->message);
        exit(1);
    }
    GString *ids = g_string_new(NULL);
    for (const char *const *id = qs_model_switches; *id; id++)
        if (qs_model_tolerated(*id))
            g_string_append_printf(ids, " %s", *id);
    fprintf(stderr,
            "fuzz_qmp_snapshot: QEMU %d.%d pid %d; tolerated deviations of docs/snapshot-jobs.md §8:%s "
            "(D1 D8 D11 D12 D15 are part of the modelled texts)\n",
            major, minor, (int)spp_launcher_get_pid(S.launcher), ids->len ? ids->str : " none");
    g_string_free(ids, TRUE);
}

/* ---- libFuzzer entry points --------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Disks on tmpfs: qcow2 snapshot operations flush, and fsync on a real disk costs most of a job. */
    if (!getenv("TMPDIR") && access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
    S.deadline_ms = getenv("SPP_QMP_SNAPSHOT_DEADLINE_MS") ? atoll(getenv("SPP_QMP_SNAPSHOT_DEADLINE_MS")) : 10000;
    S.restart_every =
        getenv("SPP_QMP_SNAPSHOT_RESTART_EVERY") ? (guint)atoi(getenv("SPP_QMP_SNAPSHOT_RESTART_EVERY")) : 2000;
    S.stats_period_us = (getenv("SPP_QMP_SNAPSHOT_STATS_SECONDS") ? atoll(getenv("SPP_QMP_SNAPSHOT_STATS_SECONDS"))
                                                                  : 10) * G_USEC_PER_SEC;
    S.trace = g_strcmp0(getenv("SPP_QMP_SNAPSHOT_TRACE"), "1") == 0;
    S.sequences = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    S.model = qs_model_new();
    start_qemu();
    tolerate_known_deviations();
    atexit(at_exit);
    S.started_us = S.last_stats_us = g_get_monotonic_time();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QsProgram program;
    qs_decode(data, size, &program);
    if (program.count == 0)
        return 0;
    if (!S.launcher || !spp_launcher_is_running(S.launcher) || S.inputs_on_this_qemu >= S.restart_every) {
        if (S.launcher)
            S.restarts++;
        stop_qemu();
        start_qemu();
    }
    S.inputs++;
    S.inputs_on_this_qemu++;
    gint64 *h = g_new(gint64, 1);
    *h = (gint64)qs_program_hash(&program);
    g_hash_table_add(S.sequences, h); /* a duplicate replaces (and frees) the old key */
    S.program = &program;
    spp_launcher_serial_pump(S.launcher, 0, NULL);
    if (S.trace)
        fprintf(stderr, "input %" G_GUINT64_FORMAT " (%zu operations)\n", S.inputs, program.count);
    for (S.op_index = 0; S.op_index < program.count; S.op_index++)
        run_op(&program.ops[S.op_index]);
    reset_state();
    S.program = NULL;
    gint64 now = g_get_monotonic_time();
    if (S.stats_period_us > 0 && now - S.last_stats_us >= S.stats_period_us) {
        S.last_stats_us = now;
        print_stats("progress");
    }
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    return qs_mutate(data, size, max_size, seed, LLVMFuzzerMutate);
}
