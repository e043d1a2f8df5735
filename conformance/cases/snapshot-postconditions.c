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
    vc_vm_wait_line(vm, SPP_GUEST_DISK_LINE, 3000, VC_STEP("the guest writes its state sector (qemu-harness/guest/README.md)"));
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
        later = vc_vm_wait_line(vm, SPP_GUEST_DISK_LINE, 3000, VC_STEP("the guest keeps writing its state sector"));
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
    guint32 next_tick = vc_vm_wait_line(vm, SPP_GUEST_TICK_LINE, 3000, VC_STEP("the guest runs after the load"));
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
    vc_vm_wait_line(vm, SPP_GUEST_TICK_LINE, 3000, VC_REQ(SJ, "6.5", "the guest runs after a load into a running VM"));
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
    vc_vm_wait_line(vm, SPP_GUEST_TICK_LINE, 3000, VC_REQ(SJ, "6.9(b)", "the guest is intact after a load that failed its checks"));
}

/* How many snapshots named tag the node holds. */
static guint copies(VcVm *vm, const char *node, const char *tag)
{
    g_autoptr(GPtrArray) snapshots = vc_node_snapshots(vm, node);
    guint n = 0;
    for (guint i = 0; snapshots && i < snapshots->len; i++)
        n += strcmp(((const SppQmpSnapshot *)snapshots->pdata[i])->name, tag) == 0;
    return n;
}

VC_CASE_FN(snapshot, failed_delete_changes_nothing)
{
    static const char *const disks[] = {"name=disk1,format=qcow2,size=16M", "name=vars,format=raw,size=1M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\", \"disk1\"]");
    vc_job_require_success(vm, save, "a save to both disks", VC_REQ(SJ, "6.8", "a valid save succeeds"));
    g_autoptr(VcJob) ghost = vc_snapshot_delete(vm, "ghost", "t", "[\"disk0\", \"disk1\", \"ghost\"]");
    vc_job_require_error(vm, ghost, VC_REQ(SJ, "5.4", "an unknown node fails the delete"), SPP_QEMU_ERR_NO_NODE,
                         "ghost");
    g_autoptr(VcJob) raw = vc_snapshot_delete(vm, "raw", "t", "[\"disk0\", \"vars\"]");
    vc_job_require_error(vm, raw, VC_REQ(SJ, "5.5", "a raw node fails the delete"), SPP_QEMU_ERR_CANNOT_SNAPSHOT,
                         "vars");
    guint on_disk0 = copies(vm, "disk0", "t"), on_disk1 = copies(vm, "disk1", "t");
    VC_REQUIRE(ctx, on_disk0 == 1 && on_disk1 == 1,
               VC_REQ(SJ, "6.8", "a delete that fails a check leaves every node unchanged"),
               "after two failed deletes disk0 holds %u and disk1 %u snapshot(s) 't'", on_disk0, on_disk1);
}

/* The members of one query-named-block-nodes entry's image, or NULL when the node is absent. */
static JsonObject *node_image(JsonNode *nodes, const char *name)
{
    JsonArray *array = json_node_get_array(nodes);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonObject *node = json_array_get_object_element(array, i);
        if (g_strcmp0(json_object_get_string_member_with_default(node, "node-name", ""), name) == 0)
            return json_object_get_object_member(node, "image");
    }
    return NULL;
}

static void require_no_snapshots_member(VcVm *vm, JsonNode *nodes, const char *name, const VcCitation *required)
{
    JsonObject *image = node_image(nodes, name);
    if (!image)
        vc_broken(vm->ctx, "node '%s' has no image in query-named-block-nodes", name);
    VC_REQUIRE(vm->ctx, !json_object_has_member(image, "snapshots"), required, "%s's image has a snapshots member",
               name);
}

VC_CASE_FN(snapshot, snapshot_list_absent_until_first_snapshot)
{
    static const char *const disks[] = {"name=vars,format=raw,size=1M", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .extra_disks = disks};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    const char *flat = "{\"flat\": true}";
    const VcCitation *absent = VC_REQ(SJ, "7.1", "snapshots is absent, not empty, on a node without snapshots");
    g_autoptr(JsonNode) before = vc_qmp_ok(vm, "query-named-block-nodes", flat, VC_STEP("query-named-block-nodes"));
    require_no_snapshots_member(vm, before, "disk0", absent);
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "save", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save, "save", VC_REQ(SJ, "7.1", "a valid save succeeds"));
    g_autoptr(JsonNode) after = vc_qmp_ok(vm, "query-named-block-nodes", flat, VC_STEP("query-named-block-nodes"));
    const VcCitation *never = VC_REQ(SJ, "7.1", "protocol and raw nodes never have snapshots");
    require_no_snapshots_member(vm, after, "disk0-file", never);
    require_no_snapshots_member(vm, after, "vars", never);
    JsonObject *image = node_image(after, "disk0");
    JsonArray *list = image && json_object_has_member(image, "snapshots")
                          ? json_object_get_array_member(image, "snapshots") : NULL;
    const VcCitation *listed = VC_REQ(SJ, "7.1", "a node's snapshots are in image.snapshots[] with their members");
    VC_REQUIRE(ctx, list && json_array_get_length(list) == 1, listed, "disk0's image lists %u snapshots",
               list ? json_array_get_length(list) : 0);
    JsonObject *snapshot = json_array_get_object_element(list, 0);
    static const char *const members[] = {"name", "id", "vm-state-size", "date-sec", "date-nsec", "vm-clock-sec",
                                          "vm-clock-nsec"};
    for (size_t i = 0; i < G_N_ELEMENTS(members); i++)
        VC_REQUIRE(ctx, json_object_has_member(snapshot, members[i]), listed, "the snapshot has no '%s'", members[i]);
    VC_REQUIRE(ctx, g_strcmp0(json_object_get_string_member_with_default(snapshot, "name", ""), "t") == 0, listed,
               "the snapshot is named '%s'", json_object_get_string_member_with_default(snapshot, "name", ""));
}

/* Saves tag to disk0 listed twice. FALSE when QEMU refuses that, which is conforming. */
static gboolean save_to_disk0_twice(VcVm *vm, const char *tag)
{
    g_autoptr(VcJob) save = vc_snapshot_save(vm, "twice", tag, "disk0", "[\"disk0\", \"disk0\"]");
    if (save->sync_error || save->job_error)
        return FALSE;
    vc_diag(vm->ctx, "listed_twice", "disk0 holds %u snapshot(s) '%s'", copies(vm, "disk0", tag), tag);
    return TRUE;
}

VC_CASE_FN(snapshot, node_listed_twice_gets_one_snapshot)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    if (!save_to_disk0_twice(vm, "t"))
        return;
    guint n = copies(vm, "disk0", "t");
    VC_REQUIRE(ctx, n == 1, VC_REQ(SJ, "6.1", "each listed device holds exactly one snapshot named tag"),
               "disk0, listed twice, holds %u snapshots 't' (see §8/D3)", n);
}

VC_CASE_FN(snapshot, delete_removes_every_copy_of_tag)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    if (!save_to_disk0_twice(vm, "t"))
        return;
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\"]");
    vc_job_require_success(vm, del, "a delete of 't'", VC_REQ(SJ, "6.6", "a valid delete succeeds"));
    guint n = copies(vm, "disk0", "t");
    VC_REQUIRE(ctx, n == 0, VC_REQ(SJ, "6.6", "no listed device holds a snapshot named tag after a delete"),
               "disk0 still holds %u snapshot(s) 't' (see §8/D6)", n);
}

VC_CASE_FN(snapshot, remaining_copy_of_duplicated_snapshot_loads)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    if (!save_to_disk0_twice(vm, "t") || copies(vm, "disk0", "t") < 2)
        return; /* only a node that got two copies (§8/D3) has a second copy to load */
    g_autoptr(VcJob) del = vc_snapshot_delete(vm, "del", "t", "[\"disk0\"]");
    vc_job_require_success(vm, del, "a delete of 't'", VC_REQ(SJ, "6.6", "a valid delete succeeds"));
    g_autoptr(GPtrArray) left = vc_node_snapshots(vm, "disk0");
    if (!left || left->len != 1)
        return; /* the delete took both copies: nothing left to load */
    guint64 size = ((const SppQmpSnapshot *)left->pdata[0])->vm_state_size;
    vc_diag(ctx, "remaining", "one snapshot 't' with vm-state-size %" G_GUINT64_FORMAT, size);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "t", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "a load of the remaining snapshot 't', which reports VM state",
                           VC_REQ(SJ, "6.4", "a snapshot with VM state on the vmstate node loads (see §8/D16)"));
}

/* The tick the guest last wrote to its state sector, read while the VM is stopped. */
static guint32 disk_tick_at_rest(VcVm *vm)
{
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    vc_vm_skip_serial(vm, 200);
    guint32 tick;
    vc_vm_disk_state(vm, NULL, &tick);
    return tick;
}

/* Lets the guest write its state sector again, so that it differs from `since`. */
static void let_disk_move_on(VcVm *vm, guint32 since)
{
    vc_qmp_do(vm, "cont", NULL, VC_STEP("cont succeeds"));
    guint32 later = 0;
    while (later < since + SPP_GUEST_DISK_EVERY)
        later = vc_vm_wait_line(vm, SPP_GUEST_DISK_LINE, 3000, VC_STEP("the guest keeps writing its state sector"));
}

/* Snapshot "a" gets qcow2 id 1; snapshot "1", saved later, must still be the one tag "1" loads. */
VC_CASE_FN(snapshot, numeric_tag_loads_snapshot_named_so)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_vm_wait_line(vm, SPP_GUEST_DISK_LINE, 3000, VC_STEP("the guest writes its state sector (qemu-harness/guest/README.md)"));
    guint32 at_a = disk_tick_at_rest(vm);
    g_autoptr(VcJob) save_a = vc_snapshot_save(vm, "save-a", "a", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save_a, "save 'a'", VC_REQ(SJ, "6.4", "a valid save succeeds"));
    let_disk_move_on(vm, at_a);
    guint32 at_1 = disk_tick_at_rest(vm);
    g_autoptr(VcJob) save_1 = vc_snapshot_save(vm, "save-1", "1", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, save_1, "save '1'", VC_REQ(SJ, "6.4", "a valid save succeeds"));
    let_disk_move_on(vm, at_1);
    disk_tick_at_rest(vm);
    g_autoptr(VcJob) load = vc_snapshot_load(vm, "load", "1", "disk0", "[\"disk0\"]");
    vc_job_require_success(vm, load, "load '1'", VC_REQ(SJ, "6.4", "a valid load succeeds"));
    guint32 after;
    vc_vm_disk_state(vm, NULL, &after);
    vc_diag(ctx, "disk_tick", "'a' (id 1) at %u, '1' at %u, after loading '1': %u", at_a, at_1, after);
    VC_REQUIRE(ctx, after == at_1,
               VC_REQ(SJ, "6.4", "a load restores the disks of the snapshot named tag (names only, §2.3)"),
               "loading '1' rewound the disk to tick %u; snapshot '1' was saved at %u, 'a' (id 1) at %u (see §8/D5)",
               after, at_1, at_a);
}
