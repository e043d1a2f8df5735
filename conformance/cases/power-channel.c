/* power-channel.md: the power channel end to end, at the protocol and inside the guest. */
#include <string.h>

#include "case-list.h"
#include "power.h"

/* Most cases act through vc_power_act(), which needs the RESULT it cites. */
#define ANSWERED_BY_RESULT VC_REQ(PC, "6.3", "the server answers every action with one RESULT")

VC_CASE_FN(power, caps_match_configured_actions)
{
    const VcOptions *opts = vc_options(ctx);
    if (opts->spice_target)
        vc_skip(ctx, "the configuration of a --spice endpoint is not known");
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_reset_only);
    g_autoptr(VcPowerClient) c = vc_power_client_connect(t, VC_STATE_AND_RESULT, NULL);
    vc_power_client_require_linked(c);
    const VcCitation *required = VC_REQ(PC, "4.2", "the server announces exactly the actions it provides");
    VC_REQUIRE(ctx, spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_RESET), required,
               "RESET not announced");
    VC_REQUIRE(ctx, !spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_POWEROFF), required,
               "POWEROFF announced by a server configured with reset only");
    VC_REQUIRE(ctx, !spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_POWERON), required,
               "POWERON announced by a server configured with reset only");
    VC_REQUIRE(ctx, spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_STATE) &&
                        spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_RESULT),
               VC_REQ(PC, "4.2", "an extended server announces STATE and RESULT"), "STATE or RESULT missing");
}

VC_CASE_FN(power, reserved_bit_never_announced_and_ignored)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c =
        vc_power_client_connect(t, VC_STATE_AND_RESULT | SPP_CAP_MASK(SPP_POWER_CAP_RESERVED), NULL);
    VC_REQUIRE(ctx, c->power->link_status == SPP_OK, VC_REQ(PC, "4.4", "a receiver ignores reserved bit 0"),
               "a link with bit 0 set was refused: %s", vc_power_error(c));
    VC_REQUIRE(ctx, !spp_link_info_has_channel_cap(&c->power->link, SPP_POWER_CAP_RESERVED),
               VC_REQ(PC, "4.4", "a sender sends reserved bit 0 as 0"), "the server set bit 0");
}

VC_CASE_FN(power, state_is_first_message_after_link)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_connect(t, VC_STATE_AND_RESULT, NULL);
    vc_power_client_require_linked(c);
    SppMessage msg = {0};
    int st = vc_power_next(c, &msg, 5000);
    VC_REQUIRE(ctx, st == SPP_OK && msg.type == SPP_MSG_POWER_STATE,
               VC_REQ(PC, "6.6", "STATE is the first power message after the link"),
               "first message: %s", st == SPP_OK ? "another type" : vc_power_error(c));
    int state = msg.data[0];
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, t->vm == NULL || state == SPP_POWER_STATE_ON, VC_REQ(PC, "12.4", "a running VM is ON"),
               "STATE %s", spp_power_state_name(state));
}

VC_CASE_FN(power, state_follows_every_change)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = vc_power_target_vm(t);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    const VcCitation *required = VC_REQ(PC, "6.6", "STATE is sent on every change, in order");
    json_node_unref(vc_qmp_ok(vm, "stop", NULL, VC_STEP("stop succeeds")));
    int paused = vc_power_expect_state(c, 5000, required);
    VC_REQUIRE(ctx, paused == SPP_POWER_STATE_PAUSED, required, "after QMP stop: STATE %s",
               spp_power_state_name(paused));
    json_node_unref(vc_qmp_ok(vm, "cont", NULL, VC_STEP("cont succeeds")));
    int on = vc_power_expect_state(c, 5000, required);
    VC_REQUIRE(ctx, on == SPP_POWER_STATE_ON, required, "after QMP cont: STATE %s", spp_power_state_name(on));
    VC_REQUIRE(ctx, vc_power_act(c, SPP_MSGC_POWER_POWEROFF, ANSWERED_BY_RESULT) == SPP_POWER_RESULT_OK,
               VC_REQ(PC, "7.2", "POWEROFF of a running VM succeeds"), "POWEROFF not OK");
    int off = vc_power_expect_state(c, 5000, required);
    VC_REQUIRE(ctx, off == SPP_POWER_STATE_OFF, required, "after POWEROFF: STATE %s", spp_power_state_name(off));
}

VC_CASE_FN(power, reset_reboots_guest)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    if (vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_RESET, VC_REQ(PC, "6.3", "every action is answered by RESULT"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, VC_REQ(PC, "7.1", "RESET of a running machine succeeds"), "RESULT %s",
               spp_power_result_name(code));
    if (!vm)
        return;
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(vm->qmp, "RESET", NULL, NULL, 3000, &err);
    VC_REQUIRE(ctx, ev, VC_REQ(PC, "12.1", "RESET is carried out with system_reset"), "no RESET event: %s",
               err ? err->message : "");
    guint32 boot = vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "7.1", "RESET restarts the guest"));
    VC_REQUIRE(ctx, boot == 2, VC_REQ(PC, "7.1", "RESET restarts the guest once"), "BOOT %u", boot);
    g_autofree char *state = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(state, "running") == 0, VC_REQ(PC, "7.1", "RESET does not change the power state"),
               "run state '%s'", state);
}

VC_CASE_FN(power, poweroff_stops_guest_at_once)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_POWEROFF, VC_REQ(PC, "6.3", "every action is answered by RESULT"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, VC_REQ(PC, "7.2", "POWEROFF of a running machine succeeds"),
               "RESULT %s", spp_power_result_name(code));
    int state = vc_power_expect_state(c, 5000, VC_REQ(PC, "7.2", "the state becomes OFF"));
    VC_REQUIRE(ctx, state == SPP_POWER_STATE_OFF, VC_REQ(PC, "7.2", "the state becomes OFF"), "STATE %s",
               spp_power_state_name(state));
    if (!vm) {
        vc_power_leave_on(c);
        return;
    }
    vc_vm_skip_serial(vm, 100);
    guint32 tick;
    VC_REQUIRE(ctx, !vc_vm_sees_line(vm, SPP_GUEST_TICK_LINE, 1000, &tick),
               VC_REQ(PC, "7.2", "the guest stops executing at once"), "TICK %u printed while off", tick);
    g_autofree char *run = vc_vm_run_state(vm);
    VC_REQUIRE(ctx, strcmp(run, "prelaunch") == 0, VC_REQ(PC, "12.2", "POWEROFF holds the VM in reset"),
               "run state '%s'", run);
}

VC_CASE_FN(power, poweron_boots_guest)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    VC_REQUIRE(ctx, vc_power_act(c, SPP_MSGC_POWER_POWEROFF, ANSWERED_BY_RESULT) == SPP_POWER_RESULT_OK,
               VC_REQ(PC, "7.2", "POWEROFF succeeds"), "POWEROFF failed");
    vc_power_expect_state(c, 5000, VC_REQ(PC, "6.6", "STATE after POWEROFF"));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_POWERON, VC_REQ(PC, "6.3", "every action is answered by RESULT"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, VC_REQ(PC, "7.3", "POWERON of a machine that is off succeeds"),
               "RESULT %s", spp_power_result_name(code));
    if (vm) {
        guint32 boot = vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "7.3", "POWERON boots the machine"));
        VC_REQUIRE(ctx, boot == 2, VC_REQ(PC, "7.3", "POWERON boots the machine afresh"), "BOOT %u", boot);
    }
    int state = vc_power_expect_state(c, 5000, VC_REQ(PC, "7.3", "the state becomes ON"));
    VC_REQUIRE(ctx, state == SPP_POWER_STATE_ON, VC_REQ(PC, "7.3", "the state becomes ON"), "STATE %s",
               spp_power_state_name(state));
}

VC_CASE_FN(power, poweron_while_on_is_invalid_state)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    if (vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_POWERON, VC_REQ(PC, "6.3", "every action is answered by RESULT"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_INVALID_STATE, VC_REQ(PC, "7.4", "POWERON while ON is INVALID_STATE"),
               "RESULT %s", spp_power_result_name(code));
    vc_power_require_vm_untouched(ctx, vm, VC_REQ(PC, "6.1", "an INVALID_STATE action is not performed"));
}

VC_CASE_FN(power, poweroff_while_off_is_invalid_state)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    VC_REQUIRE(ctx, vc_power_act(c, SPP_MSGC_POWER_POWEROFF, ANSWERED_BY_RESULT) == SPP_POWER_RESULT_OK,
               VC_REQ(PC, "7.2", "POWEROFF succeeds"), "the first POWEROFF failed");
    vc_power_expect_state(c, 5000, VC_REQ(PC, "6.6", "STATE after POWEROFF"));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_POWEROFF, ANSWERED_BY_RESULT);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_INVALID_STATE, VC_REQ(PC, "7.4", "POWEROFF while OFF is INVALID_STATE"),
               "RESULT %s", spp_power_result_name(code));
    code = vc_power_act(c, SPP_MSGC_POWER_RESET, ANSWERED_BY_RESULT);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_INVALID_STATE, VC_REQ(PC, "7.4", "RESET while OFF is INVALID_STATE"),
               "RESULT %s", spp_power_result_name(code));
    if (!t->vm)
        vc_power_leave_on(c);
}

VC_CASE_FN(power, unannounced_action_is_unsupported_and_not_performed)
{
    if (vc_options(ctx)->spice_target)
        vc_skip(ctx, "needs a server configured without POWEROFF");
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_reset_only);
    VcVm *vm = vc_power_target_vm(t);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_POWEROFF, VC_REQ(PC, "6.2", "an unannounced action is answered"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_UNSUPPORTED, VC_REQ(PC, "6.2", "an unannounced action is UNSUPPORTED"),
               "RESULT %s", spp_power_result_name(code));
    vc_power_require_vm_untouched(ctx, vm, VC_REQ(PC, "6.2", "an unannounced action MUST NOT be performed"));
    code = vc_power_act(c, SPP_MSGC_POWER_RESET, VC_REQ(PC, "6.2", "the channel stays open"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, VC_REQ(PC, "6.2", "the channel stays open after UNSUPPORTED"),
               "RESET afterwards: RESULT %s", spp_power_result_name(code));
}

VC_CASE_FN(power, failure_without_result_cap_is_notify)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, SPP_CAP_MASK(SPP_POWER_CAP_STATE));
    vc_power_send(c, SPP_MSGC_POWER_POWERON, 0);
    SppMessage msg = {0};
    int st = vc_power_next(c, &msg, 5000);
    const VcCitation *required = VC_REQ(PC, "6.4",
                                        "without RESULT a failure is a NOTIFY with severity ERROR, visibility HIGH, what = code");
    VC_REQUIRE(ctx, st == SPP_OK, required, "no answer to POWERON while ON: %s", vc_power_error(c));
    VC_REQUIRE(ctx, msg.type == SPP_MSG_NOTIFY, required, "got message type %u", msg.type);
    VC_REQUIRE(ctx, msg.size >= SPP_MSG_NOTIFY_SIZE, required, "NOTIFY of %u bytes", msg.size);
    uint32_t severity = spp_le32(msg.data + 8), visibility = spp_le32(msg.data + 12), what = spp_le32(msg.data + 16);
    uint32_t len = spp_le32(msg.data + 20);
    vc_diag(ctx, "notify", "severity %u visibility %u what %u text '%.*s'", severity, visibility, what,
            (int)MIN(len, msg.size - SPP_MSG_NOTIFY_SIZE), (const char *)msg.data + SPP_MSG_NOTIFY_SIZE);
    gboolean ok = severity == SPP_NOTIFY_SEVERITY_ERROR && visibility == SPP_NOTIFY_VISIBILITY_HIGH &&
                  what == SPP_POWER_RESULT_INVALID_STATE && len > 0 && len <= msg.size - SPP_MSG_NOTIFY_SIZE;
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, ok, required, "severity %u, visibility %u, what %u, message_len %u", severity, visibility, what, len);
    st = vc_power_next(c, &msg, 500);
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, st == SPP_ERR_TIMEOUT, VC_REQ(PC, "5.2", "no RESULT to a client that did not announce it"),
               "another message followed the NOTIFY (type %u)", msg.type);
}

VC_CASE_FN(power, success_without_result_cap_is_silent)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, SPP_CAP_MASK(SPP_POWER_CAP_STATE));
    vc_power_send(c, SPP_MSGC_POWER_RESET, 0);
    if (vm)
        vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "7.1", "RESET restarts the guest"));
    SppMessage msg = {0};
    int st = vc_power_next(c, &msg, 500);
    uint16_t type = msg.type;
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, st == SPP_ERR_TIMEOUT || type == SPP_MSG_POWER_STATE,
               VC_REQ(PC, "6.4", "without RESULT, success is silent"), "got message type %u", type);
}

VC_CASE_FN(power, poc_client_gets_poc_behaviour)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, 0);
    SppMessage msg = {0};
    int st = vc_power_next(c, &msg, 500);
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, st == SPP_ERR_TIMEOUT, VC_REQ(PC, "10.3", "a PoC client receives no STATE"),
               "a message (type %u) arrived unasked", msg.type);
    if (vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    vc_power_send(c, SPP_MSGC_POWER_RESET, 0);
    if (vm) {
        const VcCitation *performed = VC_REQ(PC, "10.3", "a PoC client's RESET is performed");
        guint32 boot = 0;
        if (!vc_vm_sees_line(vm, SPP_GUEST_BOOT_LINE, 5000, &boot)) {
            g_autofree char *aftermath = vc_power_describe_aftermath(c, vm);
            vc_fail(ctx, performed, "no 'BOOT ' line on the guest's serial within 5000 ms; %s", aftermath);
        }
        VC_REQUIRE(ctx, boot == 2, performed, "BOOT %u", boot);
    }
    vc_power_send(c, SPP_MSGC_POWER_POWERON, 0);
    st = vc_power_next(c, &msg, 5000);
    uint16_t type = msg.type;
    spp_message_clear(&msg);
    VC_REQUIRE(ctx, st == SPP_OK && type == SPP_MSG_NOTIFY,
               VC_REQ(PC, "10.3", "a PoC client learns of failures through NOTIFY"),
               "answer to POWERON while ON: %s", st == SPP_OK ? "not a NOTIFY" : vc_power_error(c));
}

VC_CASE_FN(power, every_client_receives_state)
{
    const VcBridgeSpec spec = {.multiple_clients = TRUE};
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &spec);
    vc_power_target_vm(t);
    g_autoptr(VcPowerClient) first = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    g_autoptr(VcPowerClient) second = vc_power_linked_client(t, SPP_CAP_MASK(SPP_POWER_CAP_STATE));
    VC_REQUIRE(ctx, vc_power_act(first, SPP_MSGC_POWER_POWEROFF, ANSWERED_BY_RESULT) == SPP_POWER_RESULT_OK,
               VC_REQ(PC, "7.2", "POWEROFF succeeds"), "POWEROFF failed");
    const VcCitation *required = VC_REQ(PC, "8.4", "every client that announced STATE gets every change");
    int a = vc_power_expect_state(first, 5000, required);
    int b = vc_power_expect_state(second, 5000, required);
    VC_REQUIRE(ctx, a == SPP_POWER_STATE_OFF && b == SPP_POWER_STATE_OFF, required,
               "the acting client saw %s, the other %s", spp_power_state_name(a), spp_power_state_name(b));
}

VC_CASE_FN(power, wrong_password_causes_no_action)
{
    const VcOptions *opts = vc_options(ctx);
    if (opts->spice_target && !opts->password_file)
        vc_skip(ctx, "needs an endpoint that requires a ticket (--password-file)");
    const VcBridgeSpec spec = {.password = "correct horse"};
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &spec);
    VcVm *vm = t->vm;
    if (vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    g_autofree char *wrong = g_strconcat(t->password ? t->password : "", "-wrong", NULL);
    g_autoptr(VcPowerClient) c = vc_power_client_connect(t, VC_STATE_AND_RESULT, wrong);
    VC_REQUIRE(ctx, c->power->link_status == SPP_ERR_LINK && c->power->link.result == SPP_LINK_ERR_PERMISSION_DENIED,
               VC_REQ(PC, "8.1", "a wrong ticket is refused with PERMISSION_DENIED"), "power link: %s",
               c->power->link_status == SPP_OK ? "accepted" : vc_power_error(c));
    /* A client that ignores the refusal and sends RESET anyway. */
    static const guint8 reset[] = {0x65, 0x00, 0x00, 0x00, 0x00, 0x00};
    vc_power_send_raw(c, reset, sizeof reset);
    vc_power_require_vm_untouched(ctx, vm, VC_REQ(PC, "8.2", "a refused link causes no action"));
}

VC_CASE_FN(power, unknown_message_type_closes_channel_without_action)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    if (vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    vc_power_send(c, 150, 0);
    VC_REQUIRE(ctx, vc_power_closed_within(c, 3000), VC_REQ(PC, "6.5", "an unknown message type closes the channel"),
               "the channel stayed open after message type 150");
    vc_power_require_vm_untouched(ctx, vm, VC_REQ(PC, "6.5", "no action on the way to closing"));
}

VC_CASE_FN(power, oversized_message_closes_channel_without_action)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    if (vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(vm->qmp));
    /* A RESET header announcing a 1 GiB body: malformed for an empty-bodied action on this server. */
    guint8 header[SPP_MINI_DATA_HEADER_SIZE];
    spp_put_le16(header, SPP_MSGC_POWER_RESET);
    spp_put_le32(header + 2, 1u << 30);
    vc_power_send_raw(c, header, sizeof header);
    VC_REQUIRE(ctx, vc_power_closed_within(c, 3000), VC_REQ(PC, "6.5", "a malformed message closes the channel"),
               "the channel stayed open after a RESET announcing a 1 GiB body");
    vc_power_require_vm_untouched(ctx, vm, VC_REQ(PC, "6.5", "a malformed message performs no action"));
}

VC_CASE_FN(power, channel_id_other_than_0_is_refused)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_connect_channel(t, 1, VC_STATE_AND_RESULT, NULL);
    const SppLinkInfo *link = &c->power->link;
    gboolean closed_without_reply = c->power->link_status != SPP_OK && !link->reply_received;
    gboolean not_available = c->power->link_status == SPP_ERR_LINK &&
                             (link->error == SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE ||
                              link->result == SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE);
    vc_diag(ctx, "refusal", "%s", closed_without_reply ? "closed without a link reply" : vc_power_error(c));
    VC_REQUIRE(ctx, closed_without_reply || not_available,
               VC_REQ(PC, "2.2", "a power link with channel id 1 is refused (no reply, or CHANNEL_NOT_AVAILABLE)"),
               "power link to id 1: %s", c->power->link_status == SPP_OK ? "accepted" : vc_power_error(c));
}

VC_CASE_FN(power, trailing_bytes_in_action_are_ignored)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = t->vm;
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    vc_power_send(c, SPP_MSGC_POWER_RESET, 8);
    g_autoptr(GError) err = NULL;
    uint32_t code = 0;
    gboolean answered = spp_power_channel_expect_result(c->power, SPP_MSGC_POWER_RESET, 5000, &code, &err);
    VC_REQUIRE(ctx, answered && code == SPP_POWER_RESULT_OK,
               VC_REQ(PC, "5.5", "a receiver ignores trailing bytes"), "RESET with 8 trailing bytes: %s",
               answered ? spp_power_result_name(code) : err->message);
    if (vm)
        vc_vm_wait_line(vm, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "5.5", "the action is performed"));
}
