/* snapshot-jobs.md §5: job-level errors. */
#include <stdio.h>
#include <string.h>

#include "case-list.h"
#include "jobs.h"
#include "launcher-disks.h"

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

VC_CASE_FN(snapshot, checks_run_in_order)
{
    static const char *const disks[] = {"name=disk1,format=qcow2,size=16M", "name=vars,format=raw,size=1M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    const VcCitation *required = VC_REQ(SJ, "5.1", "each command reports the first failing check in §5.1's order");
    /* save: devices before tag before vmstate; existence of every node before capability. */
    g_autoptr(VcJob) empty = vc_snapshot_save(vm, "empty", "t", "ghost", "[]");
    vc_job_require_error(vm, empty, required, SPP_QEMU_ERR_NO_DEVICES);
    g_autoptr(VcJob) raw_then_ghost = vc_snapshot_save(vm, "raw-ghost", "t", "disk0", "[\"vars\", \"ghost\"]");
    vc_job_require_error(vm, raw_then_ghost, required, SPP_QEMU_ERR_NO_NODE, "ghost");
    g_autoptr(VcJob) first = vc_snapshot_save(vm, "first", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, first, "a save to both disks", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    g_autoptr(VcJob) exists = vc_snapshot_save(vm, "exists", "t", "ghost", "[\"disk0\", \"disk1\"]");
    vc_job_require_error(vm, exists, required, SPP_QEMU_ERR_TAG_EXISTS, "t");
    /* load: devices, then tag, then vmstate listed, then VM state present. */
    g_autoptr(VcJob) missing = vc_snapshot_load(vm, "missing", "nope", "ghost", "[\"disk0\"]");
    vc_job_require_error(vm, missing, required, SPP_QEMU_ERR_TAG_MISSING, "nope");
    g_autoptr(VcJob) unlisted = vc_snapshot_load(vm, "unlisted", "t", "disk1", "[\"disk0\"]");
    vc_job_require_error(vm, unlisted, required, SPP_QEMU_ERR_VMSTATE_NOT_LISTED, "disk1");
    /* delete: devices, then nothing else to check. */
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "nope", "[\"vars\", \"ghost\"]");
    vc_job_require_error(vm, del, required, SPP_QEMU_ERR_NO_NODE, "ghost");
}

/* A read-only qcow2 node, added after the start: the launcher attaches every disk writable. */
static void add_read_only_node(VcVm *vm, const char *node)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = g_build_filename(spp_launcher_get_tmpdir(vm->launcher), "read-only.qcow2", NULL);
    const char *const create[] = {"create", "-q", "-f", "qcow2", path, "1M", NULL};
    if (!spp_run_qemu_img(create, &err))
        vc_broken(vm->ctx, "qemu-img: %s", err->message);
    g_autofree char *args = g_strdup_printf("{\"driver\": \"qcow2\", \"node-name\": \"%s\", \"read-only\": true, "
                                            "\"file\": {\"driver\": \"file\", \"filename\": \"%s\"}}",
                                            node, path);
    vc_qmp_do(vm, "blockdev-add", args, VC_STEP("blockdev-add of a read-only qcow2 node succeeds"));
}

/* QEMU 7.2 calls the node writable; the contract adopts its text (tolerating §8/D7). */
VC_CASE_FN(snapshot, read_only_node_listed_fails_every_command)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    add_read_only_node(vm, "ro");
    const VcCitation *required = VC_REQ(SJ, "5.5", "a read-only qcow2 node cannot take snapshots (§8/D7 wording)");
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"ro\"]");
    vc_job_require_error(vm, save, required, SPP_QEMU_ERR_CANNOT_SNAPSHOT, "ro");
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\", \"ro\"]");
    vc_job_require_error(vm, load, required, SPP_QEMU_ERR_CANNOT_SNAPSHOT, "ro");
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"ro\"]");
    vc_job_require_error(vm, del, required, SPP_QEMU_ERR_CANNOT_SNAPSHOT, "ro");
}

/* Unplugs a USB device and waits until QEMU reports it gone. */
static void unplug(VcVm *vm, const char *id)
{
    g_autofree char *args = g_strdup_printf("{\"id\": \"%s\"}", id);
    vc_qmp_do(vm, "device_del", args, VC_STEP("device_del of a USB device succeeds"));
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) ev =
        spp_qmp_client_wait_event(vm->qmp, "DEVICE_DELETED", NULL, NULL, MIN(5000, vc_remaining_ms(vm->ctx)), &err);
    if (!ev)
        vc_broken(vm->ctx, "no DEVICE_DELETED for %s: %s", id, err->message);
}

/* Saved with a USB keyboard, loaded without it: the state has a section the machine cannot take. */
VC_CASE_FN(snapshot, load_without_saved_device_fails)
{
    static const char *const usb_keyboard[] = {"-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,id=kbd", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_args = usb_keyboard};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "a save with a USB keyboard", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    unplug(vm, "kbd");
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    /* 7.2's text is the generic one (§8/D8); from 10.2 QEMU gives the cause, which names the device. */
    const VcCitation *required = VC_REQ(SJ, "5.10", "a VM state the machine cannot take fails the load "
                                                    "('Error <n> while loading VM state' on 7.2, §8/D8)");
    int errno_value = 0, end = 0;
    gboolean generic = load->job_error && sscanf(load->job_error, SPP_QEMU_ERR_LOADVM "%n", &errno_value, &end) == 1 &&
                       load->job_error[end] == '\0';
    VC_REQUIRE(ctx, generic || (load->job_error && strstr(load->job_error, "usb-kbd")), required, "the load %s%s",
               load->job_error ? "failed with " : "succeeded", load->job_error ? load->job_error : "");
}

VC_CASE_FN(snapshot, revert_failure_names_node)
{
    static const char *const disks[] = {"name=disk1,format=qcow2,size=16M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, save, "a save to both disks", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    vc_qmp_do(vm, "block-dirty-bitmap-add", "{\"node\": \"disk1\", \"name\": \"b\"}",
              VC_STEP("block-dirty-bitmap-add succeeds"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_error(vm, load,
                         VC_REQ(SJ, "5.10", "a device that cannot be reverted fails the load, naming it (§8/D10)"),
                         SPP_QEMU_ERR_REVERT, "t", "disk1", SPP_QEMU_ERR_CAUSE_DIRTY_BITMAPS);
}

/* The job error of a save blocked by a device whose path ends in `device`. */
static gboolean blocked_by(const VcJob *job, const char *device)
{
    g_auto(GStrv) parts = g_strsplit(SPP_QEMU_ERR_MIGRATION_BLOCKED_BY_DEVICE, "%s", 2);
    g_autofree char *tail = g_strconcat(device, parts[1], NULL);
    return job->job_error && g_str_has_prefix(job->job_error, parts[0]) && g_str_has_suffix(job->job_error, tail);
}

VC_CASE_FN(snapshot, migration_blocker_fails_save_only)
{
    static const char *const xhci[] = {"-device", "qemu-xhci,id=xhci", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_args = xhci};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    /* Plugged after the boot: SeaBIOS takes about 5 s over a tablet present at power-on. */
    vc_qmp_do(vm, "device_add", "{\"driver\": \"usb-wacom-tablet\", \"id\": \"tablet\"}",
              VC_STEP("device_add of a USB tablet succeeds"));
    const VcCitation *required = VC_REQ(SJ, "5.11", "a save while migration is blocked fails with the blocker's "
                                                    "message, without stopping the VM");
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, blocked_by(save, "usb-wacom"), required, "save: %s",
               save->job_error ? save->job_error : "succeeded");
    VC_REQUIRE(ctx, !strstr(save->trace, "STOP"), required, "save: %s", save->trace);
    g_autoptr(VcJob) empty = vc_snapshot_save(vm, "empty", "t", "disk0", "[]");
    VC_REQUIRE(ctx, blocked_by(empty, "usb-wacom"),
               VC_REQ(SJ, "5.1", "save checks migration blockers before its devices"), "save with devices []: %s",
               empty->job_error ? empty->job_error : "succeeded");
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\"]");
    vc_job_require_success(vm, del, "a delete while migration is blocked",
                           VC_REQ(SJ, "5.11", "snapshot-delete does not check migration blockers"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_error(vm, load, VC_REQ(SJ, "5.11", "snapshot-load does not check migration blockers"),
                         SPP_QEMU_ERR_TAG_MISSING, "t");
}
