/* snapshot-jobs.md §2 and §3: arguments and synchronous errors. */
#include "case-list.h"
#include "jobs.h"

static const VcVmSpec one_disk = {.wait_boot = TRUE};

VC_CASE_FN(snapshot, save_with_malformed_job_id_is_refused)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "1x", "t", "disk0", "[\"disk0\"]");
    vc_job_require_sync_error(vm, job, VC_REQ(SJ, "3.2", "a job-id not starting with a letter is refused"),
                              SPP_QEMU_ERR_INVALID_JOB_ID, "1x");
    VC_REQUIRE(ctx, vc_job_count(vm) == 0, VC_REQ(SJ, "3.1", "a refused command creates no job"),
               "query-jobs lists %u job(s)", vc_job_count(vm));
    VC_REQUIRE(ctx, !vc_node_has_snapshot(vm, "disk0", "t"),
               VC_REQ(SJ, "3.1", "a refused command changes no block node"), "disk0 holds snapshot 't'");
}

VC_CASE_FN(snapshot, job_id_in_use_until_dismissed)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) first = vc_snapshot_save(vm, "j1", "a", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, first, "the first save", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    g_autoptr(VcJob) again = vc_snapshot_save(vm, "j1", "b", "disk0", "[\"disk0\"]");
    vc_job_require_sync_error(vm, again, VC_REQ(SJ, "3.3", "a concluded job's id stays in use until dismissed"),
                              SPP_QEMU_ERR_JOB_ID_IN_USE, "j1");
    vc_job_dismiss(vm, "j1");
    g_autoptr(VcJob) reuse = vc_snapshot_save(vm, "j1", "b", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, reuse, "a save reusing a dismissed job's id",
                           VC_REQ(SJ, "4.11", "job-dismiss frees the id for reuse"));
}

VC_CASE_FN(snapshot, save_without_vmstate_is_refused)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) job = vc_job_run(vm, "snapshot-save", "j1", "{\"job-id\": \"j1\", \"tag\": \"t\", \"devices\": [\"disk0\"]}");
    vc_job_require_sync_error(vm, job, VC_REQ(SJ, "3.4", "every argument is mandatory"),
                              SPP_QEMU_ERR_PARAMETER_MISSING, "vmstate");
}

VC_CASE_FN(snapshot, save_without_devices_is_refused)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) job = vc_job_run(vm, "snapshot-save", "j1", "{\"job-id\": \"j1\", \"tag\": \"t\", \"vmstate\": \"disk0\"}");
    vc_job_require_sync_error(vm, job, VC_REQ(SJ, "3.4", "every argument is mandatory (no device heuristics)"),
                              SPP_QEMU_ERR_PARAMETER_MISSING, "devices");
}

VC_CASE_FN(snapshot, delete_with_vmstate_is_refused)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) job = vc_job_run(vm, "snapshot-delete", "j1",
                                      "{\"job-id\": \"j1\", \"tag\": \"t\", \"vmstate\": \"disk0\", \"devices\": [\"disk0\"]}");
    vc_job_require_sync_error(vm, job, VC_REQ(SJ, "3.5", "snapshot-delete has no vmstate argument"),
                              SPP_QEMU_ERR_PARAMETER_UNEXPECTED, "vmstate");
}

VC_CASE_FN(snapshot, devices_as_string_is_refused)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) job = vc_job_run(vm, "snapshot-save", "j1",
                                      "{\"job-id\": \"j1\", \"tag\": \"t\", \"vmstate\": \"disk0\", \"devices\": \"disk0\"}");
    vc_job_require_sync_error(vm, job, VC_REQ(SJ, "3.6", "devices is a list of node names"),
                              SPP_QEMU_ERR_PARAMETER_TYPE, "devices", "array");
}

VC_CASE_FN(snapshot, unknown_node_is_a_job_error_not_a_sync_error)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", "t", "disk0", "[\"disk0\", \"nosuchnode\"]");
    VC_REQUIRE(ctx, !job->sync_error, VC_REQ(SJ, "3.7",
                                             "node problems are reported by the job, the command returns {}"),
               "the command itself failed: %s", job->sync_error);
    vc_job_require_error(vm, job, VC_REQ(SJ, "5.4", "an unknown node fails the job"), SPP_QEMU_ERR_NO_NODE,
                         "nosuchnode");
}

VC_CASE_FN(snapshot, long_tag_is_kept_whole)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    char tag[301];
    memset(tag, 'x', 300);
    tag[300] = '\0';
    g_autoptr(VcJob) job = vc_snapshot_save(vm, "j1", tag, "disk0", "[\"disk0\"]");
    if (job->sync_error || job->job_error)
        return; /* refusing an over-long tag is conforming too */
    VC_REQUIRE(ctx, vc_node_has_snapshot(vm, "disk0", tag),
               VC_REQ(SJ, "2.3", "the snapshot is named by the tag (or the tag is refused)"),
               "a 300-byte tag was accepted but no snapshot carries it whole (see §8/D4)");
}

VC_CASE_FN(snapshot, raw_varstore_left_out_of_devices)
{
    static const char *const disks[] = {"name=vars,format=raw,size=1M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "a save leaving out a writable raw node",
                           VC_REQ(SJ, "2.6", "a writable node may be left out of devices"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "a load leaving out a writable raw node",
                           VC_REQ(SJ, "2.6", "a writable node may be left out of devices"));
}

VC_CASE_FN(snapshot, ovmf_varstore_left_out_of_devices)
{
    const VcVmSpec spec = {.ovmf = TRUE};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) listed = vc_snapshot_save(vm, "listed", "t", "disk0", "[\"disk0\", \"pflash-vars\"]");
    vc_job_require_error(vm, listed, VC_REQ(SJ, "5.5", "the raw OVMF varstore cannot take a snapshot"),
                         SPP_QEMU_ERR_CANNOT_SNAPSHOT, "pflash-vars");
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "a save under OVMF leaving out the varstore",
                           VC_REQ(SJ, "2.6", "the OVMF varstore may be left out of devices"));
    VC_REQUIRE(ctx, vc_node_has_snapshot(vm, "disk0", "t"), VC_REQ(SJ, "6.1", "the listed device holds the tag"),
               "disk0 has no snapshot 't'");
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "a load under OVMF leaving out the varstore",
                           VC_REQ(SJ, "2.6", "the OVMF varstore may be left out of devices"));
}
