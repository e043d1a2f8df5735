/* snapshot-jobs.md §5: job-level errors. */
#include "case-list.h"
#include "jobs.h"

static const VcVmSpec running_vm = {.wait_boot = TRUE};
static const char *const second_qcow2[] = {"name=disk1,format=qcow2,size=16M", NULL};
static const char *const raw_vars[] = {"name=vars,format=raw,size=1M", NULL};

VC_CASE_FN(snapshot, empty_devices_fails_every_command)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    const VcCitation *required = VC_REQ(SJ, "5.3", "an empty device list fails save, load and delete");
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[]");
    vc_job_require_error(vm, save, required, SPP_QEMU_ERR_NO_DEVICES);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[]");
    vc_job_require_error(vm, load, required, SPP_QEMU_ERR_NO_DEVICES);
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[]");
    vc_job_require_error(vm, del, required, SPP_QEMU_ERR_NO_DEVICES);
}

VC_CASE_FN(snapshot, unknown_node_fails_every_command)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    const VcCitation *required = VC_REQ(SJ, "5.4", "a listed node that does not exist fails the job");
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"ghost\"]");
    vc_job_require_error(vm, save, required, SPP_QEMU_ERR_NO_NODE, "ghost");
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"ghost\"]");
    vc_job_require_error(vm, load, required, SPP_QEMU_ERR_NO_NODE, "ghost");
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"ghost\"]");
    vc_job_require_error(vm, del, required, SPP_QEMU_ERR_NO_NODE, "ghost");
}

VC_CASE_FN(snapshot, raw_node_listed_fails_job)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = raw_vars};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"vars\"]");
    vc_job_require_error(vm, save, VC_REQ(SJ, "5.5", "a raw node cannot take a snapshot"),
                         SPP_QEMU_ERR_CANNOT_SNAPSHOT, "vars");
}

VC_CASE_FN(snapshot, protocol_node_listed_fails_job)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk0-file\"]");
    vc_job_require_error(vm, save, VC_REQ(SJ, "5.5", "a protocol (file) node cannot take a snapshot"),
                         SPP_QEMU_ERR_CANNOT_SNAPSHOT, "disk0-file");
}

VC_CASE_FN(snapshot, save_of_existing_tag_fails)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) first = vc_snapshot_save(vm, "first", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, first, "the first save", VC_REQ(SJ, "5.6", "a valid save succeeds"));
    g_autoptr(VcJob) second = vc_snapshot_save(vm, "second", "t", "disk0", "[\"disk0\"]");
    vc_job_require_error(vm, second, VC_REQ(SJ, "5.6", "saving a tag that exists fails"), SPP_QEMU_ERR_TAG_EXISTS,
                         "t");
    g_autoptr(GPtrArray) names = vc_node_snapshots(vm, "disk0");
    VC_REQUIRE(ctx, names && names->len == 1, VC_REQ(SJ, "5.6",
                                                     "the existing snapshot is neither replaced nor duplicated"),
               "disk0 holds %u snapshot(s)", names ? names->len : 0);
}

VC_CASE_FN(snapshot, save_of_tag_existing_on_some_devices_fails)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = second_qcow2};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) first = vc_snapshot_save(vm, "first", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, first, "the first save", VC_REQ(SJ, "5.6", "a valid save succeeds"));
    g_autoptr(VcJob) second = vc_snapshot_save(vm, "second", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_error(vm, second, VC_REQ(SJ, "5.6", "(QAPI) \"If @tag already exists, an error will be reported\""),
                         SPP_QEMU_ERR_TAG_EXISTS, "t");
}

VC_CASE_FN(snapshot, vmstate_not_listed_fails_job)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = second_qcow2};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk1", "[\"disk0\"]");
    vc_job_require_error(vm, save, VC_REQ(SJ, "5.7", "the vmstate node must be among the devices"),
                         SPP_QEMU_ERR_VMSTATE_NOT_LISTED, "disk1");
    VC_REQUIRE(ctx, !vc_node_has_snapshot(vm, "disk0", "t"), VC_REQ(SJ, "5.2", "a failed check changes no node"),
               "disk0 holds 't' after the failed save");
}

VC_CASE_FN(snapshot, load_of_missing_tag_fails)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "missing", "disk0", "[\"disk0\"]");
    vc_job_require_error(vm, load, VC_REQ(SJ, "5.8", "loading a tag absent from a listed device fails"),
                         SPP_QEMU_ERR_TAG_MISSING, "missing");
}

VC_CASE_FN(snapshot, load_of_disk_only_snapshot_fails)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = second_qcow2};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, save, "save to two devices", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk1", "[\"disk0\", \"disk1\"]");
    vc_job_require_error(vm, load, VC_REQ(SJ, "5.9", "loading VM state from a node without it fails"),
                         SPP_QEMU_ERR_DISK_ONLY);
}

VC_CASE_FN(snapshot, delete_of_missing_tag_succeeds)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "missing", "[\"disk0\"]");
    vc_job_require_success(vm, del, "deleting a tag that does not exist",
                           VC_REQ(SJ, "5.12", "delete of a missing tag succeeds"));
}
