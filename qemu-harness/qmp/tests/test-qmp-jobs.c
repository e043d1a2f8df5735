/* qmp-jobs.h against the scripted fake QMP peer: what a job run records and in which order, what
 * counts as the command's refusal and what as a failure of the call, and how query-jobs and
 * query-named-block-nodes are read. Real QEMU exercises the same code in the conformance
 * runner's snapshot suite and in fuzz_qmp_snapshot. */
#include "fake-qmp-peer.h"
#include "qmp-jobs.h"

#include <string.h>

#define EVENT(name, data) "{\"event\": \"" name "\", " data "\"timestamp\": {\"seconds\": 0, \"microseconds\": 0}}\n"
#define JOB(id, status) EVENT("JOB_STATUS_CHANGE", "\"data\": {\"status\": \"" status "\", \"id\": \"" id "\"}, ")
#define PLAIN(name) EVENT(name, "")
#define RETURN "{\"return\": {}, \"id\": %ID%}\n"

static const char *const run_state_events[] = {"STOP", "RESUME", NULL};

typedef struct {
    GPtrArray *names; /* every event the observer saw, in order */
} Observed;

static void observe(const SppQmpEvent *event, gpointer data)
{
    Observed *observed = data;
    g_ptr_array_add(observed->names, g_strdup(event->name));
}

static char *joined(GPtrArray *words)
{
    g_ptr_array_add(words, NULL);
    char *text = g_strjoinv(" ", (char **)words->pdata);
    g_ptr_array_remove_index(words, words->len - 1);
    return text;
}

static SppQmpJobRun *run_save(SppQmpClient *client, const SppQmpJobWatch *watch, GError **error)
{
    g_autoptr(JsonNode) arguments =
        json_from_string("{\"job-id\": \"j\", \"tag\": \"t\", \"vmstate\": \"d\", \"devices\": [\"d\"]}", NULL);
    return spp_qmp_job_execute(client, "snapshot-save", arguments, "j", watch, 2000, error);
}

static void test_trace_in_wire_order(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_SEND, PLAIN("RESET")}, /* before the command: belongs to no run */
        {STEP_REPLY, JOB("j", "created") JOB("j", "running") PLAIN("STOP") JOB("other", "created")
                         PLAIN("RESUME") RETURN},
        {STEP_SLEEP_MS, NULL, 30},
        {STEP_SEND, JOB("j", "waiting") PLAIN("RESET") JOB("j", "pending")},
        {STEP_SLEEP_MS, NULL, 30},
        {STEP_SEND, JOB("j", "concluded") PLAIN("STOP")},
        {STEP_SLEEP_MS, NULL, 300},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    /* Let the stray RESET arrive and queue before the command. */
    g_assert_cmpint(spp_qmp_client_pump(client, 1000, NULL), ==, 1);
    Observed observed = {g_ptr_array_new_with_free_func(g_free)};
    SppQmpJobWatch watch = {run_state_events, observe, &observed};
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpJobRun) run = run_save(client, &watch, &error);
    g_assert_no_error(error);
    g_assert_null(run->refused);
    g_assert_cmpuint(run->before_return, ==, 4);
    g_assert_false(run->concluded);
    g_assert_true(spp_qmp_job_wait_concluded(client, run, &watch, 2000, &error));
    g_assert_no_error(error);
    g_assert_true(run->concluded);

    g_autofree char *marked = spp_qmp_job_run_trace(run, TRUE);
    g_assert_cmpstr(marked, ==, "created running STOP RESUME return waiting pending concluded");
    g_autofree char *plain = spp_qmp_job_run_trace(run, FALSE);
    g_assert_cmpstr(plain, ==, "created running STOP RESUME waiting pending concluded");
    /* The observer saw every event of the run, traced or not, and nothing from before it. */
    g_autofree char *seen = joined(observed.names);
    g_assert_cmpstr(seen, ==,
                    "JOB_STATUS_CHANGE JOB_STATUS_CHANGE STOP JOB_STATUS_CHANGE RESUME JOB_STATUS_CHANGE RESET "
                    "JOB_STATUS_CHANGE JOB_STATUS_CHANGE");
    /* Recording stops at concluded: what follows stays queued for the caller. */
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, 1);
    g_assert_cmpstr(spp_qmp_client_peek_event(client)->name, ==, "STOP");
    g_ptr_array_unref(observed.names);
    peer_finish(peer);
}

static void test_refused_command_is_an_outcome(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Job ID 'j' already in use\"}, \"id\": %ID%}\n"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpJobRun) run = run_save(client, NULL, &error);
    g_assert_no_error(error);
    g_assert_error(run->refused, SPP_QMP_COMMAND_ERROR, SPP_QMP_COMMAND_ERROR_GENERIC_ERROR);
    g_assert_cmpstr(run->refused->message, ==, "Job ID 'j' already in use");
    /* Nothing to wait for, and no reply position to mark. */
    g_assert_true(spp_qmp_job_wait_concluded(client, run, NULL, 0, &error));
    g_assert_no_error(error);
    g_autofree char *trace = spp_qmp_job_run_trace(run, TRUE);
    g_assert_cmpstr(trace, ==, "");
    peer_finish(peer);
}

static void test_job_that_never_concludes(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, JOB("j", "created") JOB("j", "running") RETURN},
        {STEP_SLEEP_MS, NULL, 300},
        {STEP_CLOSE},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpJobRun) run = run_save(client, NULL, &error);
    g_assert_no_error(error);
    gint64 start = g_get_monotonic_time();
    g_assert_false(spp_qmp_job_wait_concluded(client, run, NULL, 80, &error));
    g_assert_cmpint((g_get_monotonic_time() - start) / 1000, <, 280);
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT);
    g_assert_cmpstr(error->message, ==, "job 'j' did not conclude within 80 ms");
    g_clear_error(&error);
    g_assert_true(spp_qmp_client_is_connected(client));
    /* Then QEMU goes away: the connection's error, with the job named; the trace is kept. */
    g_assert_false(spp_qmp_job_wait_concluded(client, run, NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    g_assert_true(g_str_has_prefix(error->message, "job 'j' did not conclude: QEMU went away"));
    g_autofree char *trace = spp_qmp_job_run_trace(run, FALSE);
    g_assert_cmpstr(trace, ==, "created running");
    peer_finish(peer);
}

static void test_transport_failure_fails_the_call(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_CLOSE},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_assert_null(run_save(client, NULL, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    peer_finish(peer);
}

static void test_dismiss_records_null(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, JOB("j", "null") RETURN},
        {STEP_REPLY, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Job not found\"}, \"id\": %ID%}\n"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpJobRun) first = spp_qmp_job_dismiss(client, "j", NULL, 2000, &error);
    g_assert_no_error(error);
    g_assert_null(first->refused);
    g_autofree char *trace = spp_qmp_job_run_trace(first, FALSE);
    g_assert_cmpstr(trace, ==, "null");
    g_assert_nonnull(strstr(peer->requests->pdata[1], "\"execute\":\"job-dismiss\""));
    g_assert_nonnull(strstr(peer->requests->pdata[1], "\"arguments\":{\"id\":\"j\"}"));
    g_autoptr(SppQmpJobRun) again = spp_qmp_job_dismiss(client, "j", NULL, 2000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again->refused->message, ==, "Job not found");
    peer_finish(peer);
}

static void test_query_jobs(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"return\": [{\"current-progress\": 1, \"status\": \"concluded\", \"total-progress\": 1, "
                     "\"type\": \"snapshot-load\", \"id\": \"new\", \"error\": \"Snapshot 't' does not exist in one "
                     "or more devices\"}, {\"current-progress\": 1, \"status\": \"concluded\", \"total-progress\": 1, "
                     "\"type\": \"snapshot-save\", \"id\": \"old\"}], \"id\": %ID%}\n"},
        {STEP_REPLY, "{\"return\": {}, \"id\": %ID%}\n"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) jobs = spp_qmp_job_query(client, 2000, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(jobs->len, ==, 2);
    const SppQmpJobInfo *newer = jobs->pdata[0];
    g_assert_cmpstr(newer->id, ==, "new");
    g_assert_cmpstr(newer->type, ==, "snapshot-load");
    g_assert_cmpstr(newer->error, ==, "Snapshot 't' does not exist in one or more devices");
    const SppQmpJobInfo *older = spp_qmp_job_find(jobs, "old");
    g_assert_true(older == jobs->pdata[1]);
    g_assert_cmpstr(older->status, ==, "concluded");
    g_assert_null(older->error);
    g_assert_cmpint(older->current_progress, ==, 1);
    g_assert_cmpint(older->total_progress, ==, 1);
    g_assert_null(spp_qmp_job_find(jobs, "none"));
    /* A return that is not a list is garbage. */
    g_assert_null(spp_qmp_job_query(client, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL);
    peer_finish(peer);
}

static void test_node_snapshots(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"return\": [{\"node-name\": \"disk0\", \"image\": {\"format\": \"qcow2\", \"snapshots\": "
                     "[{\"name\": \"a\", \"id\": \"1\", \"vm-state-size\": 4096}, {\"name\": \"b\", \"id\": \"2\", "
                     "\"vm-state-size\": 0}]}}, {\"node-name\": \"disk0-file\", \"image\": {\"format\": \"file\"}}, "
                     "{\"node-name\": \"rawd\"}], \"id\": %ID%}\n"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) nodes = spp_qmp_node_snapshots_query(client, 2000, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(peer->requests->pdata[1], "\"arguments\":{\"flat\":true}"));
    g_assert_cmpuint(nodes->len, ==, 3);
    const SppQmpNodeSnapshots *disk0 = spp_qmp_node_snapshots_find(nodes, "disk0");
    g_assert_cmpuint(disk0->snapshots->len, ==, 2);
    const SppQmpSnapshot *a = disk0->snapshots->pdata[0], *b = disk0->snapshots->pdata[1];
    g_assert_cmpstr(a->name, ==, "a");
    g_assert_cmpstr(a->id, ==, "1");
    g_assert_cmpuint(a->vm_state_size, ==, 4096);
    g_assert_cmpstr(b->name, ==, "b");
    g_assert_cmpuint(b->vm_state_size, ==, 0);
    g_assert_cmpuint(spp_qmp_node_snapshots_find(nodes, "disk0-file")->snapshots->len, ==, 0);
    g_assert_cmpuint(spp_qmp_node_snapshots_find(nodes, "rawd")->snapshots->len, ==, 0);
    g_assert_null(spp_qmp_node_snapshots_find(nodes, "ghost"));
    peer_finish(peer);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/jobs/trace_in_wire_order", test_trace_in_wire_order);
    g_test_add_func("/qmp/jobs/refused_command_is_an_outcome", test_refused_command_is_an_outcome);
    g_test_add_func("/qmp/jobs/job_that_never_concludes", test_job_that_never_concludes);
    g_test_add_func("/qmp/jobs/transport_failure_fails_the_call", test_transport_failure_fails_the_call);
    g_test_add_func("/qmp/jobs/dismiss_records_null", test_dismiss_records_null);
    g_test_add_func("/qmp/jobs/query_jobs", test_query_jobs);
    g_test_add_func("/qmp/jobs/node_snapshots", test_node_snapshots);
    return g_test_run();
}
