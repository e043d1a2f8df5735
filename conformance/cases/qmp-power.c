/* power-channel.md §12: the QEMU behaviours that the bridge's mapping of actions onto QMP
 * relies on, checked on the QEMU under test. */
#include <string.h>

#include "case-list.h"
#include "jobs.h"

static const VcVmSpec running_vm = {.wait_boot = TRUE};

static gboolean is_host_reset(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = ev->data ? json_node_get_object(ev->data) : NULL;
    return d && !json_object_get_boolean_member_with_default(d, "guest", TRUE) &&
           g_strcmp0(json_object_get_string_member_with_default(d, "reason", ""), "host-qmp-system-reset") == 0;
}

static SppQmpEvent *wait_event(VcVm *vm, const char *name, SppQmpEventMatch match, gint64 ms, const VcCitation *required)
{
    g_autoptr(GError) err = NULL;
    SppQmpEvent *ev = spp_qmp_client_wait_event(vm->qmp, name, match, NULL, MIN(ms, vc_remaining_ms(vm->ctx)), &err);
    if (!ev)
        vc_fail(vm->ctx, required, "no %s event: %s", name, err->message);
    return ev;
}

static void require_run_state(VcVm *vm, const char *expected, const VcCitation *required)
{
    g_autofree char *state = vc_vm_run_state(vm);
    VC_REQUIRE(vm->ctx, strcmp(state, expected) == 0, required, "run state '%s', expected '%s'", state, expected);
}

VC_CASE_FN(qmp_power, system_reset_reboots_guest)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_autofree char *before_return = vc_events_before_return(vm, "system_reset", NULL, "",
                                                             VC_REQ(PC, "12.1", "system_reset succeeds"));
    VC_REQUIRE(ctx, g_str_has_prefix(before_return, "RESET"),
               VC_REQ(PC, "12.1", "RESET is emitted before system_reset returns"), "events before the return: '%s'",
               before_return);
    guint32 boot = vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "12.1", "the guest restarts after system_reset"));
    VC_REQUIRE(ctx, boot == 2, VC_REQ(PC, "12.1", "the guest restarts after system_reset"),
               "boot count %u after one reset", boot);
    require_run_state(vm, "running", VC_REQ(PC, "12.1", "RESET does not change the power state"));
}

VC_CASE_FN(qmp_power, system_reset_event_is_host_reset)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    vc_qmp_do(vm, "system_reset", NULL, VC_REQ(PC, "12.1", "system_reset succeeds"));
    const SppQmpEvent *first = spp_qmp_client_peek_event(vm->qmp);
    VC_REQUIRE(ctx, first && strcmp(first->name, "RESET") == 0 && is_host_reset(first, NULL),
               VC_REQ(PC, "12.1", "the first event is RESET {guest: false, reason: host-qmp-system-reset}"),
               "first event: %s", first ? first->name : "none");
}

VC_CASE_FN(qmp_power, stop_then_reset_holds_vm_off)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_qmp_do(vm, "stop", NULL, VC_REQ(PC, "12.2", "stop succeeds"));
    vc_qmp_do(vm, "system_reset", NULL, VC_REQ(PC, "12.2", "system_reset of a stopped VM succeeds"));
    require_run_state(vm, "prelaunch", VC_REQ(PC, "12.2",
                                              "stop then system_reset leaves the VM held in reset (prelaunch)"));
    vc_vm_skip_serial(vm, 100);
    guint32 value;
    VC_REQUIRE(ctx, !vc_vm_sees_line(vm, SPP_GUEST_TICK_LINE, 1000, &value) && !vc_vm_sees_line(vm, SPP_GUEST_BOOT_LINE, 1, &value),
               VC_REQ(PC, "12.2", "a VM held off executes no guest instruction"), "the guest printed a line while off");
}

VC_CASE_FN(qmp_power, cont_from_held_off_boots_fresh)
{
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &running_vm);
    vc_qmp_do(vm, "stop", NULL, VC_REQ(PC, "12.2", "stop succeeds"));
    vc_qmp_do(vm, "system_reset", NULL, VC_REQ(PC, "12.2", "system_reset succeeds"));
    vc_qmp_do(vm, "cont", NULL, VC_REQ(PC, "12.3", "cont from the held-off state succeeds"));
    guint32 boot = vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "12.3",
                                                             "cont from the held-off state boots the guest"));
    VC_REQUIRE(ctx, boot == 2, VC_REQ(PC, "12.3", "the guest boots afresh"), "boot count %u", boot);
    require_run_state(vm, "running", VC_REQ(PC, "12.3", "the VM runs after POWERON"));
}

VC_CASE_FN(qmp_power, guest_poweroff_under_no_shutdown_needs_reset_before_cont)
{
    static const char *const actions[] = {"shutdown=pause", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .actions = actions};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(GError) err = NULL;
    /* 'o' asks our guest to switch itself off through ACPI (qemu-harness/guest/README.md). */
    if (!spp_launcher_serial_write(vm->launcher, "o", 1, &err))
        vc_broken(ctx, "cannot write to the guest's serial: %s", err->message);
    spp_qmp_event_free(wait_event(vm, "SHUTDOWN", NULL, 5000, VC_REQ(PC, "12.6", "a guest power-off emits SHUTDOWN")));
    require_run_state(vm, "shutdown", VC_REQ(PC, "12.6", "under -no-shutdown the process stays in run state shutdown"));
    g_autoptr(JsonNode) refused = vc_qmp_try(vm, "cont", NULL, &err);
    VC_REQUIRE(ctx, !refused, VC_REQ(PC, "12.3", "cont is refused in run state shutdown until a reset"),
               "cont was accepted");
    vc_qmp_do(vm, "system_reset", NULL, VC_REQ(PC, "12.3", "system_reset in shutdown succeeds"));
    vc_qmp_do(vm, "cont", NULL, VC_REQ(PC, "12.3", "cont after the reset succeeds"));
    vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "12.3", "system_reset then cont boots a guest that switched off"));
}

VC_CASE_FN(qmp_power, run_states_used_for_power_state)
{
    const VcVmSpec spec = {.paused = TRUE};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    require_run_state(vm, "prelaunch", VC_REQ(PC, "12.4", "a VM started with -S is in prelaunch (OFF)"));
    vc_qmp_do(vm, "cont", NULL, VC_STEP("cont succeeds"));
    vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "12.3", "cont from prelaunch boots the guest"));
    require_run_state(vm, "running", VC_REQ(PC, "12.4", "a running VM is in run state running (ON)"));
    vc_qmp_do(vm, "stop", NULL, VC_STEP("stop succeeds"));
    require_run_state(vm, "paused", VC_REQ(PC, "12.4", "a stopped VM is in run state paused (PAUSED)"));
}

VC_CASE_FN(qmp_power, no_reboot_turns_reset_into_shutdown)
{
    static const char *const actions[] = {"reboot=shutdown", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .actions = actions};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(GError) err = NULL;
    /* QEMU may exit before it answers; what counts is the SHUTDOWN and the exit. */
    vc_qmp_attempt(vm, "system_reset", NULL);
    spp_qmp_event_free(wait_event(vm, "SHUTDOWN", NULL, 5000,
                                  VC_REQ(PC, "12.6", "with -no-reboot a reset becomes SHUTDOWN")));
    int status;
    VC_REQUIRE(ctx, spp_launcher_wait_exit(vm->launcher, MIN(5000, vc_remaining_ms(ctx)), &status, &err),
               VC_REQ(PC, "12.6", "with -no-reboot QEMU exits on reset"), "QEMU still runs: %s", err->message);
}

VC_CASE_FN(qmp_power, quit_exits_under_no_shutdown)
{
    static const char *const actions[] = {"shutdown=pause", NULL};
    const VcVmSpec spec = {.wait_boot = TRUE, .actions = actions};
    g_autoptr(VcVm) vm = vc_vm_start(ctx, &spec);
    g_autoptr(GError) err = NULL;
    vc_qmp_attempt(vm, "quit", NULL); /* the answer may not come before QEMU closes the socket */
    g_autoptr(SppQmpEvent) ev = wait_event(vm, "SHUTDOWN", NULL, 5000, VC_REQ(PC, "12.6", "quit emits SHUTDOWN"));
    JsonObject *d = ev->data ? json_node_get_object(ev->data) : NULL;
    const char *reason = d ? json_object_get_string_member_with_default(d, "reason", "") : "";
    VC_REQUIRE(ctx, strcmp(reason, "host-qmp-quit") == 0, VC_REQ(PC, "12.6",
                                                                 "quit's SHUTDOWN has reason host-qmp-quit"),
               "reason '%s'", reason);
    int status;
    VC_REQUIRE(ctx, spp_launcher_wait_exit(vm->launcher, MIN(5000, vc_remaining_ms(ctx)), &status, &err),
               VC_REQ(PC, "12.6", "quit ends QEMU even under -no-shutdown"), "QEMU still runs: %s", err->message);
}
