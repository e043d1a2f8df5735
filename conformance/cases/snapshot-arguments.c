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

VC_CASE_FN(snapshot, well_formed_job_ids_are_accepted)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) good = vc_snapshot_save(vm, "a-b.c_1", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, good, "a save with job-id 'a-b.c_1'",
                           VC_REQ(SJ, "2.2", "a letter, then letters, digits, '-', '.', '_' is a well-formed job-id"));
    static const char *const malformed[] = {"", "a b"};
    for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++) {
        g_autoptr(VcJob) bad = vc_snapshot_save(vm, malformed[i], "u", "disk0", "[\"disk0\"]");
        vc_job_require_sync_error(vm, bad, VC_REQ(SJ, "2.2", "the empty string and a space are not well formed"),
                                  SPP_QEMU_ERR_INVALID_JOB_ID, malformed[i]);
    }
}

/* §2.4 through the texts of §5.7, for a node that exists but is not listed and for one that does
 * not exist: the same text for both is QEMU 7.2's, which the contract adopts (tolerating §8/D15). */
VC_CASE_FN(snapshot, vmstate_outside_devices_fails_save_and_load)
{
    static const char *const disks[] = {"name=disk1,format=qcow2,size=16M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    const VcCitation *required = VC_REQ(SJ, "2.4", "vmstate must be one of the listed devices (§5.7, §8/D15)");
    static const char *const outside[] = {"disk1", "ghost"};
    for (size_t i = 0; i < G_N_ELEMENTS(outside); i++) {
        g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", outside[i], "[\"disk0\"]");
        vc_job_require_error(vm, save, required, SPP_QEMU_ERR_VMSTATE_NOT_LISTED, outside[i]);
        vc_job_dismiss(vm, "save");
    }
    g_autoptr(VcJob) good = vc_snapshot_save(vm, "good", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, good, "a save to both disks", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    for (size_t i = 0; i < G_N_ELEMENTS(outside); i++) {
        g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", outside[i], "[\"disk0\"]");
        vc_job_require_error(vm, load, required, SPP_QEMU_ERR_VMSTATE_NOT_LISTED, outside[i]);
        vc_job_dismiss(vm, "load");
    }
}

VC_CASE_FN(snapshot, devices_are_node_names_in_list_order)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    /* "disk0-dev" is the ide-hd device's qdev id (launcher.h), not a node. */
    g_autoptr(VcJob) qdev = vc_snapshot_save(vm, "qdev", "t", "disk0", "[\"disk0\", \"disk0-dev\"]");
    vc_job_require_error(vm, qdev, VC_REQ(SJ, "2.5", "devices names nodes, not qdev ids"), SPP_QEMU_ERR_NO_NODE,
                         "disk0-dev");
    g_autoptr(VcJob) two = vc_snapshot_save(vm, "two", "t", "disk0", "[\"ghost1\", \"ghost2\"]");
    vc_job_require_error(vm, two, VC_REQ(SJ, "2.5", "the listed devices are taken in list order"),
                         SPP_QEMU_ERR_NO_NODE, "ghost1");
}

/* §2.3: any string is a tag, the empty one included, which QEMU 7.2 accepts (tolerating §8/D12):
 * then it must name the snapshot like any other tag. */
VC_CASE_FN(snapshot, empty_tag_names_a_snapshot)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &one_disk);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "", "disk0", "[\"disk0\"]");
    if (save->sync_error || save->job_error)
        return; /* refusing the empty tag is conforming too */
    const VcCitation *required = VC_REQ(SJ, "2.3", "an accepted tag, the empty one too, names the snapshot (§8/D12)");
    VC_REQUIRE(ctx, vc_node_has_snapshot(vm, "disk0", ""), required, "no snapshot named '' after saving tag ''");
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "a load of tag ''", required);
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "", "[\"disk0\"]");
    vc_job_require_success(vm, del, "a delete of tag ''", required);
    VC_REQUIRE(ctx, !vc_node_has_snapshot(vm, "disk0", ""), required, "the snapshot named '' survived its delete");
}
