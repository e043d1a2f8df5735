/* snapshot-jobs.md §6: what must hold after a job, checked at QMP, on disk and inside the guest. */
#include <string.h>

#include "case-list.h"
#include "guest.h"
#include "jobs.h"

static const VcVmSpec running_vm = {.wait_boot = TRUE};
static const char *const three_qcow2[] = {"name=disk1,format=qcow2,size=16M", "name=disk2,format=qcow2,size=16M", NULL};

VC_CASE_FN(snapshot, save_creates_tag_on_every_listed_device_only)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = three_qcow2};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, save, "save to two of three devices", VC_REQ(SJ, "6.1", "a valid save succeeds"));
    VC_REQUIRE(ctx, vc_node_has_snapshot(vm, "disk0", "t") && vc_node_has_snapshot(vm, "disk1", "t"),
               VC_REQ(SJ, "6.1", "every listed device holds the tag after a save"), "a listed device lacks 't'");
    VC_REQUIRE(ctx, !vc_node_has_snapshot(vm, "disk2", "t"),
               VC_REQ(SJ, "6.10", "a save touches no unlisted node"), "unlisted disk2 holds 't'");
}

VC_CASE_FN(snapshot, vmstate_is_only_on_vmstate_node)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = three_qcow2};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk1", "[\"disk0\", \"disk1\", \"disk2\"]");
    vc_job_require_success(vm, save, "save with vmstate on disk1", VC_REQ(SJ, "6.2", "a valid save succeeds"));
    static const char *const nodes[] = {"disk0", "disk1", "disk2"};
    for (size_t i = 0; i < G_N_ELEMENTS(nodes); i++) {
        g_autoptr(GPtrArray) snapshots = vc_node_snapshots(vm, nodes[i]);
        VC_REQUIRE(ctx, snapshots && snapshots->len == 1, VC_REQ(SJ, "6.1",
                                                                 "each listed device holds one snapshot 't'"),
                   "%s holds %u snapshots", nodes[i], snapshots ? snapshots->len : 0);
        guint64 size = ((const SppQmpSnapshot *)snapshots->pdata[0])->vm_state_size;
        gboolean is_vmstate = strcmp(nodes[i], "disk1") == 0;
        vc_diag(ctx, nodes[i], "vm-state-size %" G_GUINT64_FORMAT, size);
        VC_REQUIRE(ctx, is_vmstate ? size > 0 : size == 0,
                   VC_REQ(SJ, "6.2", "VM state only on the vmstate node"),
                   "%s has vm-state-size %" G_GUINT64_FORMAT, nodes[i], size);
    }
}

VC_CASE_FN(snapshot, save_keeps_run_state)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) running = vc_snapshot_save(vm, "a", "a", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, running, "save while running", VC_REQ(SJ, "6.3", "a valid save succeeds"));
    g_autofree char *after_running = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(after_running, "running") == 0, VC_REQ(SJ, "6.3", "a running VM runs again after a save"),
               "run state '%s'", after_running);
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    g_autoptr(VcJob) paused = vc_snapshot_save(vm, "b", "b", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, paused, "save while paused", VC_REQ(SJ, "6.3", "a valid save succeeds"));
    g_autofree char *after_paused = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(after_paused, "paused") == 0, VC_REQ(SJ, "6.3", "a paused VM stays paused across a save"),
               "run state '%s'", after_paused);
}

/* Save at a known point, let the guest move on, load, and see RAM (TICK) and disk (state sector)
 * go back. The VM is paused around save and load so the disk is read at rest. */
VC_CASE_FN(snapshot, load_rewinds_ram_and_disk)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_vm_wait_line(vm, "DISK ", 3000, VC_STEP("the guest writes its state sector (qemu-harness/guest/README.md)"));
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    vc_vm_skip_serial(vm, 200);
    guint32 disk_at_save;
    vc_vm_disk_state(vm, NULL, &disk_at_save);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save", VC_REQ(SJ, "6.4", "a valid save succeeds"));
    /* The last tick printed before the save is where RAM must come back to. */
    guint32 tick_at_save = 0;
    const GPtrArray *lines = spp_launcher_serial_get_lines(vm->launcher);
    for (guint i = 0; i < lines->len; i++) {
        guint32 v;
        if (spp_guest_parse_line(g_ptr_array_index(lines, i), &v) == SPP_GUEST_LINE_TICK)
            tick_at_save = v;
    }
    vc_qmp_do(vm, "cont", NULL, VC_STEP("cont succeeds"));
    guint32 later = 0;
    while (later < disk_at_save + 2 * SPP_GUEST_DISK_EVERY)
        later = vc_vm_wait_line(vm, "DISK ", 3000, VC_STEP("the guest keeps writing its state sector"));
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    vc_vm_skip_serial(vm, 200);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "load", VC_REQ(SJ, "6.4", "a valid load succeeds"));
    guint32 disk_after_load;
    vc_vm_disk_state(vm, NULL, &disk_after_load);
    vc_diag(ctx, "disk_tick", "at save %u, before load %u, after load %u", disk_at_save, later, disk_after_load);
    VC_REQUIRE(ctx, disk_after_load == disk_at_save, VC_REQ(SJ, "6.4", "a load rewinds every listed device"),
               "state sector holds tick %u after the load, %u at save time", disk_after_load, disk_at_save);
    vc_qmp_do(vm, "cont", NULL, VC_STEP("cont succeeds"));
    guint32 next_tick = vc_vm_wait_line(vm, "TICK ", 3000, VC_STEP("the guest runs after the load"));
    vc_diag(ctx, "ram_tick", "last before save %u, first after load %u, latest before load >= %u", tick_at_save,
            next_tick, later);
    VC_REQUIRE(ctx, next_tick == tick_at_save + 1, VC_REQ(SJ, "6.4", "a load rewinds the guest's RAM"),
               "first tick after the load is %u; the last before the save was %u", next_tick, tick_at_save);
}

VC_CASE_FN(snapshot, load_keeps_run_state_before_load)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save while paused", VC_REQ(SJ, "6.5", "a valid save succeeds"));
    vc_qmp_do(vm, "cont", NULL, VC_STEP("cont succeeds"));
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "load while running", VC_REQ(SJ, "6.5", "a valid load succeeds"));
    g_autofree char *state = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(state, "running") == 0,
               VC_REQ(SJ, "6.5", "after a load the run state is the one before the load, not at save time"),
               "run state '%s' (saved while paused, loaded while running)", state);
    vc_vm_wait_line(vm, "TICK ", 3000, VC_REQ(SJ, "6.5", "the guest runs after a load into a running VM"));
}

VC_CASE_FN(snapshot, delete_removes_tag_from_every_listed_device)
{
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = three_qcow2};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk1\", \"disk2\"]");
    vc_job_require_success(vm, save, "save to three devices", VC_REQ(SJ, "6.6", "a valid save succeeds"));
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, del, "delete from two devices", VC_REQ(SJ, "6.6", "a valid delete succeeds"));
    VC_REQUIRE(ctx, !vc_node_has_snapshot(vm, "disk0", "t") && !vc_node_has_snapshot(vm, "disk1", "t"),
               VC_REQ(SJ, "6.6", "no listed device holds the tag after a delete"), "a listed device still holds 't'");
    VC_REQUIRE(ctx, vc_node_has_snapshot(vm, "disk2", "t"), VC_REQ(SJ, "6.10", "a delete touches no unlisted node"),
               "unlisted disk2 lost 't'");
}

VC_CASE_FN(snapshot, failed_save_leaves_no_snapshot)
{
    static const char *const disks[] = {"name=disk1,format=qcow2,size=16M", "name=vars,format=raw,size=1M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk1\", \"vars\"]");
    VC_REQUIRE(ctx, save->job_error, VC_REQ(SJ, "5.5", "a raw node in devices fails the save"), "the save succeeded");
    VC_REQUIRE(ctx, !vc_node_has_snapshot(vm, "disk0", "t") && !vc_node_has_snapshot(vm, "disk1", "t"),
               VC_REQ(SJ, "6.7",
                      "a failed save leaves no snapshot behind"), "a device holds 't' after the failed save");
    g_autofree char *state = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(state, "running") == 0, VC_REQ(SJ, "6.3", "a failed save keeps the run state"),
               "run state '%s'", state);
}

VC_CASE_FN(snapshot, failed_load_leaves_running_vm_stopped)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "missing", "disk0", "[\"disk0\"]");
    VC_REQUIRE(ctx, load->job_error, VC_REQ(SJ, "5.8", "loading a missing tag fails"), "the load succeeded");
    g_autofree char *state = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(state, "restore-vm") == 0,
               VC_REQ(SJ, "6.9(a)",
                      "a failed load leaves a running VM stopped in restore-vm"), "run state '%s'", state);
    vc_qmp_do(vm, "cont", NULL, VC_REQ(SJ, "6.9(a)", "cont resumes after a failed load"));
    vc_vm_wait_line(vm, "TICK ", 3000, VC_REQ(SJ, "6.9(b)", "the guest is intact after a load that failed its checks"));
}
