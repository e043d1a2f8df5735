/* snapshot-jobs.md §4: the job lifecycle and its events. */
#include <string.h>

#include "case-list.h"
#include "jobs.h"

static const VcVmSpec running_vm = {.wait_boot = TRUE};

/* The trace without the "return" marker: §4.7 pins the return only after created and running. */
static char *events_only(const char *trace)
{
    g_auto(GStrv) words = g_strsplit(trace, " ", -1);
    GString *out = g_string_new(NULL);
    for (char **w = words; *w; w++)
        if (strcmp(*w, "return") != 0)
            g_string_append_printf(out, "%s%s", out->len ? " " : "", *w);
    return g_string_free(out, FALSE);
}

static void require_events(VcContext *ctx, const VcJob *job, const char *expected, const VcCitation *required)
{
    g_autofree char *events = events_only(job->trace);
    VC_REQUIRE(ctx, strcmp(events, expected) == 0, required, "events '%s', expected '%s'", events, expected);
    const char *ret = strstr(job->trace, "return");
    const char *running = strstr(job->trace, "running");
    VC_REQUIRE(ctx, ret && running && ret > running,
               VC_REQ(SJ, "4.7", "the command returns after the job's created and running events"),
               "wire order '%s'", job->trace);
}

VC_CASE_FN(snapshot, save_while_running_emits_stop_and_resume)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, job, "save", VC_REQ(SJ, "4.3", "a valid save succeeds"));
    require_events(ctx, job, "created running STOP RESUME waiting pending concluded",
                   VC_REQ(SJ, "4.3", "save while running: created running STOP RESUME waiting pending concluded"));
}

VC_CASE_FN(snapshot, load_while_running_emits_stop_and_resume)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save", VC_REQ(SJ, "4.3", "a valid save succeeds"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "load", VC_REQ(SJ, "4.3", "a valid load succeeds"));
    require_events(ctx, load, "created running STOP RESUME waiting pending concluded",
                   VC_REQ(SJ, "4.3", "load while running: created running STOP RESUME waiting pending concluded"));
}

VC_CASE_FN(snapshot, save_while_paused_emits_no_stop)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, job, "save", VC_REQ(SJ, "4.4", "a valid save succeeds while paused"));
    require_events(ctx, job, "created running waiting pending concluded",
                   VC_REQ(SJ, "4.4", "save while paused: no STOP, no RESUME"));
}

VC_CASE_FN(snapshot, delete_emits_no_stop)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save", VC_REQ(SJ, "4.3", "a valid save succeeds"));
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\"]");
    vc_job_require_success(vm, del, "delete", VC_REQ(SJ, "4.4", "a valid delete succeeds"));
    require_events(ctx, del, "created running waiting pending concluded",
                   VC_REQ(SJ, "4.4", "delete: created running waiting pending concluded, no STOP"));
}

VC_CASE_FN(snapshot, failed_save_aborts_without_stop)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", "t", "disk0", "[]");
    vc_job_require_error(vm, job, VC_REQ(SJ, "5.3", "an empty device list fails the job"), SPP_QEMU_ERR_NO_DEVICES);
    require_events(ctx, job, "created running aborting concluded",
                   VC_REQ(SJ, "4.5", "a save failing its checks: created running aborting concluded"));
}

VC_CASE_FN(snapshot, failed_load_while_running_stops_vm)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) job = vc_snapshot_load(vm, "j1", "missing", "disk0", "[\"disk0\"]");
    vc_job_require_error(vm, job, VC_REQ(SJ, "5.8", "loading a missing tag fails the job"), SPP_QEMU_ERR_TAG_MISSING,
                         "missing");
    require_events(ctx, job, "created running STOP aborting concluded",
                   VC_REQ(SJ, "4.6", "a failing load while running: created running STOP aborting concluded"));
}

VC_CASE_FN(snapshot, job_types_match_commands)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    const VcCitation *required = VC_REQ(SJ, "4.1", "the job type is the command's name");
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, g_strcmp0(save->job_type, "snapshot-save") == 0, required, "save job type '%s'", save->job_type);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, g_strcmp0(load->job_type, "snapshot-load") == 0, required, "load job type '%s'", load->job_type);
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\"]");
    VC_REQUIRE(ctx, g_strcmp0(del->job_type, "snapshot-delete") == 0, required, "delete job type '%s'", del->job_type);
}

VC_CASE_FN(snapshot, concluded_job_reports_outcome_and_progress)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    const VcCitation *required = VC_REQ(SJ, "4.9",
                                        "a concluded job is listed as concluded, with error only if it failed, progress 1/1");
    g_autoptr(VcJob) ok = vc_snapshot_save(vm, "ok", "t", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, g_strcmp0(ok->job_status, "concluded") == 0 && !ok->job_error, required,
               "successful save: status '%s', error '%s'", ok->job_status, ok->job_error ? ok->job_error : "(absent)");
    g_autoptr(VcJob) bad = vc_snapshot_save(vm, "bad", "t", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, g_strcmp0(bad->job_status, "concluded") == 0 && bad->job_error && bad->job_error[0], required,
               "failed save: status '%s', error '%s'", bad->job_status, bad->job_error ? bad->job_error : "(absent)");
    VC_REQUIRE(ctx, ok->current_progress == 1 && ok->total_progress == 1 && bad->current_progress == 1 &&
                        bad->total_progress == 1,
               required, "progress %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
               ok->current_progress, ok->total_progress, bad->current_progress, bad->total_progress);
}

VC_CASE_FN(snapshot, query_jobs_lists_newest_first)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_job_free(vc_snapshot_save(vm, "older", "a", "disk0", "[\"disk0\"]"));
    vc_job_free(vc_snapshot_save(vm, "newer", "b", "disk0", "[\"disk0\"]"));
    g_autoptr(GPtrArray) jobs = vc_jobs_list(vm);
    VC_REQUIRE(ctx, jobs->len == 2, VC_REQ(SJ, "4.10", "every undismissed job is listed"), "%u jobs listed",
               jobs->len);
    const char *first = ((const SppQmpJobInfo *)jobs->pdata[0])->id;
    VC_REQUIRE(ctx, g_strcmp0(first, "newer") == 0, VC_REQ(SJ, "4.10", "query-jobs lists the newest job first"),
               "first listed: '%s'", first);
}

VC_CASE_FN(snapshot, dismiss_emits_null_and_removes_job)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, job, "save", VC_REQ(SJ, "4.11", "a valid save succeeds"));
    g_autofree char *before_return = vc_events_before_return(vm, "job-dismiss", "{\"id\": \"j1\"}", "j1",
                                                             VC_REQ(SJ, "4.11",
                                                                    "job-dismiss of a concluded job succeeds"));
    VC_REQUIRE(ctx, g_strcmp0(before_return, "null") == 0,
               VC_REQ(SJ, "4.11", "job-dismiss emits JOB_STATUS_CHANGE null before its return"),
               "events before the return: '%s'", before_return);
    VC_REQUIRE(ctx, vc_job_count(vm) == 0, VC_REQ(SJ, "4.11", "a dismissed job leaves query-jobs"),
               "%u job(s) still listed", vc_job_count(vm));
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) again = vc_qmp_try(vm, "job-dismiss", "{\"id\": \"j1\"}", &err);
    VC_REQUIRE(ctx, !again && g_strcmp0(err->message, SPP_QEMU_ERR_JOB_NOT_FOUND) == 0,
               VC_REQ(SJ, "4.11", "job-dismiss of an unknown id fails with 'Job not found'"), "got %s",
               again ? "success" : err->message);
}

VC_CASE_FN(snapshot, concluded_job_refuses_finalize_and_cancel)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, job, "save", VC_REQ(SJ, "4.12", "a valid save succeeds"));
    static const char *const verbs[][2] = {{"job-finalize", "finalize"}, {"job-cancel", "cancel"},
                                           {"job-pause", "pause"}, {"job-complete", "complete"}};
    for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(JsonNode) ret = vc_qmp_try(vm, verbs[i][0], "{\"id\": \"j1\"}", &err);
        g_autofree char *want = g_strdup_printf(SPP_QEMU_ERR_JOB_VERB_REFUSED, "j1", "concluded", verbs[i][1]);
        VC_REQUIRE(ctx, !ret && g_strcmp0(err->message, want) == 0,
                   VC_REQ(SJ, "4.12", "a concluded job refuses finalize, cancel, pause and complete"), "%s: %s",
                   verbs[i][0], ret ? "accepted" : err->message);
    }
    VC_REQUIRE(ctx, vc_job_count(vm) == 1, VC_REQ(SJ, "4.12", "refused verbs do not change the job"),
               "%u job(s) listed", vc_job_count(vm));
}

VC_CASE_FN(snapshot, load_emits_no_reset)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save", VC_REQ(SJ, "4.14", "a valid save succeeds"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "load", VC_REQ(SJ, "4.14", "a valid load succeeds"));
    VC_REQUIRE(ctx, !strstr(load->trace, "RESET") && !strstr(load->trace, "SHUTDOWN"),
               VC_REQ(SJ, "4.14", "snapshot-load emits no RESET or SHUTDOWN event"), "wire order '%s'", load->trace);
}

/* §4.2 on one job: no status twice in a row, no BLOCK_JOB_* event, and (for a success) pending
 * passed without job-finalize. */
static void require_job_flags(VcContext *ctx, const VcJob *job, const char *what)
{
    g_autofree char *events = events_only(job->trace);
    g_auto(GStrv) words = g_strsplit(events, " ", -1);
    for (guint i = 1; words[0] && words[i]; i++)
        VC_REQUIRE(ctx, strcmp(words[i], words[i - 1]) != 0,
                   VC_REQ(SJ, "4.2", "each status change is reported once: never the same status twice in a row"),
                   "%s: '%s' twice in '%s'", what, words[i], events);
    VC_REQUIRE(ctx, !strstr(job->events, "BLOCK_JOB_"), VC_REQ(SJ, "4.2", "a snapshot job emits no BLOCK_JOB_* event"),
               "%s: events %s", what, job->events);
    VC_REQUIRE(ctx, job->job_error || strstr(events, "pending concluded"),
               VC_REQ(SJ, "4.2", "the job is auto-finalized: it passes pending without job-finalize"),
               "%s: events '%s'", what, events);
    VC_REQUIRE(ctx, g_strcmp0(job->job_status, "concluded") == 0,
               VC_REQ(SJ, "4.2", "the job is not auto-dismissed: it stays in concluded"), "%s: status '%s'", what,
               job->job_status);
}

VC_CASE_FN(snapshot, job_status_reported_once_without_block_job_events)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save", VC_REQ(SJ, "4.2", "a valid save succeeds"));
    require_job_flags(ctx, save, "save");
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "load", VC_REQ(SJ, "4.2", "a valid load succeeds"));
    require_job_flags(ctx, load, "load");
    g_autoptr(VcJob) failed = vc_snapshot_save(vm, "failed", "t", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, failed->job_error, VC_REQ(SJ, "5.6", "saving an existing tag fails"), "the second save succeeded");
    require_job_flags(ctx, failed, "failed save");
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\"]");
    vc_job_require_success(vm, del, "delete", VC_REQ(SJ, "4.2", "a valid delete succeeds"));
    require_job_flags(ctx, del, "delete");
}

VC_CASE_FN(snapshot, failed_job_keeps_its_id_until_dismissed)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) failed = vc_snapshot_save(vm, "j1", "t", "disk0", "[]");
    vc_job_require_error(vm, failed, VC_REQ(SJ, "5.3", "an empty device list fails the job"), SPP_QEMU_ERR_NO_DEVICES);
    const VcCitation *required = VC_REQ(SJ, "4.13", "a job id stays in use until dismissed, whatever the outcome");
    g_autoptr(VcJob) again = vc_snapshot_delete(vm, "j1", "t", "[\"disk0\"]");
    vc_job_require_sync_error(vm, again, required, SPP_QEMU_ERR_JOB_ID_IN_USE, "j1");
    vc_job_dismiss(vm, "j1");
    g_autoptr(VcJob) reuse = vc_snapshot_save(vm, "j1", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, reuse, "a save reusing the dismissed failed job's id", required);
}
