/* The registry: every conformance case, in run order, grouped by suite and spec section.
 * One line per case: X(suite identifier, suite name, case name, spec, section, flags, summary).
 * A case's function is vc_case_<suite identifier>__<case name>, defined in cases/<suite>-*.c. */
#ifndef VMCONFORM_CASE_LIST_H
#define VMCONFORM_CASE_LIST_H

#include "case.h"

#define VC_CASE_FN(suite, name) void vc_case_##suite##__##name(VcContext *ctx)

#define VC_CASES(X) \
    VC_CASES_POWER(X) \
    VC_CASES_QMP_POWER(X) \
    VC_CASES_SNAPSHOT(X)

/* The specs, as the rows below and VC_REQ (case.h) name them. */

#define VC_CASES_POWER(X) \
    X(power, "power", channel_id_other_than_0_is_refused, PC, "2.2", 0, "a power link with channel id 1 gets CHANNEL_NOT_AVAILABLE") \
    X(power, "power", enabled_channel_is_listed_once, PC, "2.3", 0, "the channel list names power channel 0 once; a session that never links it lives on") \
    X(power, "power", no_power_interface_no_channel, PC, "2.3", 0, "QEMU with the patched spice-server but no power interface neither lists nor links channel 12") \
    X(power, "power", unknown_session_id_is_refused, PC, "3.1", 0, "a power link with a session id the server does not know gets BAD_CONNECTION_ID") \
    X(power, "power", link_outside_size_limits_is_refused, PC, "3.1", 0, "link messages of 17 and 4097 bytes and 1025 cap words are refused") \
    X(power, "power", full_headers_frame_messages_exactly, PC, "3.5", 0, "without MINI_HEADER: serials from 1, RESET with 8 extra bytes then POWERON both answered") \
    X(power, "power", base_messages_keep_channel_working, PC, "3.6", 0, "ACK_SYNC, PONG and ACK from the client leave the channel working: RESET still answered OK") \
    X(power, "power", caps_match_configured_actions, PC, "4.2", VC_SMOKE, "a bridge offering reset only announces RESET, STATE, RESULT and nothing else") \
    X(power, "power", client_action_bits_are_ignored, PC, "4.3", 0, "a client announcing POWEROFF to a reset-only server still gets UNSUPPORTED") \
    X(power, "power", reserved_bit_never_announced_and_ignored, PC, "4.4", 0, "bit 0 is never announced, and a client setting it still links") \
    X(power, "power", unknown_cap_bits_are_ignored, PC, "4.5", 0, "cap bits 6 to 63 set by the client: linked, STATE and RESULT as usual") \
    X(power, "power", actions_are_empty_messages_101_to_103, PC, "5.1", 0, "the 6-byte messages 101, 102, 103 perform RESET, POWEROFF, POWERON") \
    X(power, "power", trailing_bytes_in_action_are_ignored, PC, "5.5", 0, "RESET with 8 trailing bytes is performed") \
    X(power, "power", unannounced_action_is_unsupported_and_not_performed, PC, "6.2", 0, "POWEROFF to a reset-only server: UNSUPPORTED, VM untouched, channel open") \
    X(power, "power", failure_without_result_cap_is_notify, PC, "6.4", 0, "without RESULT, POWERON while ON is NOTIFY ERROR/HIGH/what=INVALID_STATE") \
    X(power, "power", success_without_result_cap_is_silent, PC, "6.4", 0, "without RESULT, a successful RESET sends nothing") \
    X(power, "power", unknown_message_type_closes_channel_without_action, PC, "6.5", 0, "message type 150 closes the channel; the VM is untouched") \
    X(power, "power", oversized_message_closes_channel_without_action, PC, "6.5", 0, "a RESET announcing a 1 GiB body closes the channel; the VM is untouched") \
    X(power, "power", state_is_first_message_after_link, PC, "6.6", 0, "the first power message after the link is STATE ON") \
    X(power, "power", state_follows_every_change, PC, "6.6", 0, "stop, cont and POWEROFF give STATE PAUSED, ON, OFF in order") \
    X(power, "power", action_before_link_is_not_performed, PC, "6.7", 0, "RESETs in place of the link header or the ticket: connection closed, VM untouched") \
    X(power, "power", pipelined_actions_answered_in_order, PC, "6.8", 0, "50 actions sent unread get 50 RESULTs in order; the channel stays open") \
    X(power, "power", reset_reboots_guest, PC, "7.1", VC_SMOKE, "RESET: RESULT OK, RESET event at QMP, BOOT 2 in the guest, still running") \
    X(power, "power", poweroff_stops_guest_at_once, PC, "7.2", 0, "POWEROFF: RESULT OK, STATE OFF, no guest tick for 1 s, prelaunch") \
    X(power, "power", poweron_boots_guest, PC, "7.3", 0, "POWERON after POWEROFF: RESULT OK, BOOT 2, STATE ON") \
    X(power, "power", poweron_while_on_is_invalid_state, PC, "7.4", 0, "POWERON while ON: INVALID_STATE and nothing happens") \
    X(power, "power", poweroff_while_off_is_invalid_state, PC, "7.4", 0, "POWEROFF and RESET while OFF: INVALID_STATE") \
    X(power, "power", wrong_password_causes_no_action, PC, "8.2", 0, "a wrong ticket gets PERMISSION_DENIED and a RESET sent anyway does nothing") \
    X(power, "power", every_client_receives_state, PC, "8.4", 0, "two sessions both receive STATE OFF after one powers off") \
    X(power, "power", action_during_migration_is_failed, PC, "9", 0, "RESET during an active migration of the VM is answered FAILED (SHOULD)") \
    X(power, "power", server_without_channel_refuses_power_link, PC, "10.2", 0, "stock spice-server refuses a power link and the session lives on") \
    X(power, "power", poc_client_gets_poc_behaviour, PC, "10.3", 0, "a client without STATE/RESULT gets no STATE, RESET works, failures are NOTIFY") \
    X(power, "power", qemu_going_away_reports_unknown_and_recovers, PC, "12.5", 0, "QEMU exits: STATE UNKNOWN, every action FAILED; QEMU back: STATE ON, RESET works")

#define VC_CASES_QMP_POWER(X) \
    X(qmp_power, "qmp-power", system_reset_reboots_guest, PC, "12.1", VC_SMOKE, "system_reset emits RESET before its return and the guest boots again") \
    X(qmp_power, "qmp-power", system_reset_event_is_host_reset, PC, "12.1", 0, "the first RESET after system_reset is {guest: false, reason: host-qmp-system-reset}") \
    X(qmp_power, "qmp-power", stop_then_reset_holds_vm_off, PC, "12.2", VC_SMOKE, "stop + system_reset leaves prelaunch and no guest output for 1 s") \
    X(qmp_power, "qmp-power", cont_from_held_off_boots_fresh, PC, "12.3", 0, "cont from the held-off state boots the guest afresh") \
    X(qmp_power, "qmp-power", guest_poweroff_under_no_shutdown_needs_reset_before_cont, PC, "12.3", 0, "in run state shutdown cont is refused; system_reset + cont boots") \
    X(qmp_power, "qmp-power", run_states_used_for_power_state, PC, "12.4", 0, "-S gives prelaunch, cont gives running, stop gives paused") \
    X(qmp_power, "qmp-power", no_reboot_turns_reset_into_shutdown, PC, "12.6", 0, "with -no-reboot system_reset becomes SHUTDOWN and QEMU exits") \
    X(qmp_power, "qmp-power", quit_exits_under_no_shutdown, PC, "12.6", 0, "quit emits SHUTDOWN host-qmp-quit and exits under -no-shutdown")

#define VC_CASES_SNAPSHOT(X) \
    X(snapshot, "snapshot", well_formed_job_ids_are_accepted, SJ, "2.2", 0, "job-id a-b.c_1 is accepted; the empty string and 'a b' are refused") \
    X(snapshot, "snapshot", raw_varstore_left_out_of_devices, SJ, "2.6", 0, "save and load succeed with a writable raw node left out of devices") \
    X(snapshot, "snapshot", ovmf_varstore_left_out_of_devices, SJ, "2.6", 0, "under OVMF, listing the varstore fails and leaving it out works") \
    X(snapshot, "snapshot", long_tag_is_kept_whole, SJ, "2.3", 0, "a 300-byte tag is refused or names the snapshot whole") \
    X(snapshot, "snapshot", empty_tag_names_a_snapshot, SJ, "2.3", 0, "the empty tag is refused, or names a snapshot that loads and deletes (D12 tolerated)") \
    X(snapshot, "snapshot", vmstate_outside_devices_fails_save_and_load, SJ, "2.4", 0, "vmstate naming an unlisted node or no node fails save and load (D15 tolerated)") \
    X(snapshot, "snapshot", devices_are_node_names_in_list_order, SJ, "2.5", 0, "a qdev id is no node; of two unknown nodes the first is named") \
    X(snapshot, "snapshot", save_with_malformed_job_id_is_refused, SJ, "3.2", VC_SMOKE, "job-id '1x' is refused synchronously and creates no job") \
    X(snapshot, "snapshot", job_id_in_use_until_dismissed, SJ, "3.3", 0, "a concluded job's id is refused until job-dismiss frees it") \
    X(snapshot, "snapshot", save_without_vmstate_is_refused, SJ, "3.4", 0, "a missing vmstate is a synchronous error") \
    X(snapshot, "snapshot", save_without_devices_is_refused, SJ, "3.4", 0, "a missing devices is a synchronous error") \
    X(snapshot, "snapshot", delete_with_vmstate_is_refused, SJ, "3.5", 0, "vmstate given to snapshot-delete is a synchronous error") \
    X(snapshot, "snapshot", devices_as_string_is_refused, SJ, "3.6", 0, "devices given as a string is a synchronous error") \
    X(snapshot, "snapshot", unknown_node_is_a_job_error_not_a_sync_error, SJ, "3.7", 0, "an unknown node makes the command return {} and the job fail") \
    X(snapshot, "snapshot", job_types_match_commands, SJ, "4.1", 0, "query-jobs types are snapshot-save, snapshot-load, snapshot-delete") \
    X(snapshot, "snapshot", job_status_reported_once_without_block_job_events, SJ, "4.2", 0, "save, load, failed save, delete: no status twice in a row, no BLOCK_JOB_*, pending passed, left concluded") \
    X(snapshot, "snapshot", save_while_running_emits_stop_and_resume, SJ, "4.3", VC_SMOKE, "save while running: created running STOP RESUME waiting pending concluded") \
    X(snapshot, "snapshot", load_while_running_emits_stop_and_resume, SJ, "4.3", 0, "load while running: created running STOP RESUME waiting pending concluded") \
    X(snapshot, "snapshot", save_while_paused_emits_no_stop, SJ, "4.4", 0, "save while paused: no STOP and no RESUME") \
    X(snapshot, "snapshot", delete_emits_no_stop, SJ, "4.4", 0, "delete: created running waiting pending concluded") \
    X(snapshot, "snapshot", failed_save_aborts_without_stop, SJ, "4.5", 0, "a save failing its checks: created running aborting concluded") \
    X(snapshot, "snapshot", failed_load_while_running_stops_vm, SJ, "4.6", 0, "a failing load while running: created running STOP aborting concluded") \
    X(snapshot, "snapshot", concluded_job_reports_outcome_and_progress, SJ, "4.9", 0, "error member only on failure; progress 1/1 either way") \
    X(snapshot, "snapshot", query_jobs_lists_newest_first, SJ, "4.10", 0, "query-jobs lists every undismissed job, newest first") \
    X(snapshot, "snapshot", dismiss_emits_null_and_removes_job, SJ, "4.11", 0, "job-dismiss emits null before its return and removes the job") \
    X(snapshot, "snapshot", concluded_job_refuses_finalize_and_cancel, SJ, "4.12", 0, "finalize, cancel, pause and complete are refused in concluded") \
    X(snapshot, "snapshot", failed_job_keeps_its_id_until_dismissed, SJ, "4.13", 0, "a failed job's id is refused until job-dismiss frees it") \
    X(snapshot, "snapshot", load_emits_no_reset, SJ, "4.14", 0, "snapshot-load emits no RESET or SHUTDOWN") \
    X(snapshot, "snapshot", checks_run_in_order, SJ, "5.1", 0, "with several problems at once, save, load and delete report the first of §5.1's order") \
    X(snapshot, "snapshot", empty_devices_fails_every_command, SJ, "5.3", 0, "devices [] fails save, load and delete jobs") \
    X(snapshot, "snapshot", unknown_node_fails_every_command, SJ, "5.4", 0, "an unknown node fails save, load and delete jobs") \
    X(snapshot, "snapshot", raw_node_listed_fails_job, SJ, "5.5", 0, "a raw node in devices fails the save") \
    X(snapshot, "snapshot", protocol_node_listed_fails_job, SJ, "5.5", 0, "a protocol (file) node in devices fails the save") \
    X(snapshot, "snapshot", read_only_node_listed_fails_every_command, SJ, "5.5", 0, "a read-only qcow2 node fails save, load and delete (D7 wording tolerated)") \
    X(snapshot, "snapshot", save_of_existing_tag_fails, SJ, "5.6", 0, "saving an existing tag fails and leaves one snapshot") \
    X(snapshot, "snapshot", save_of_tag_existing_on_some_devices_fails, SJ, "5.6", 0, "saving a tag that exists on one listed device fails") \
    X(snapshot, "snapshot", vmstate_not_listed_fails_job, SJ, "5.7", 0, "a vmstate node outside devices fails the save") \
    X(snapshot, "snapshot", load_of_missing_tag_fails, SJ, "5.8", 0, "loading a missing tag fails") \
    X(snapshot, "snapshot", load_of_disk_only_snapshot_fails, SJ, "5.9", 0, "loading VM state from a disk-only snapshot fails") \
    X(snapshot, "snapshot", load_without_saved_device_fails, SJ, "5.10", 0, "saved with a USB keyboard, loaded after unplugging it: Error <n> while loading VM state") \
    X(snapshot, "snapshot", revert_failure_names_node, SJ, "5.10", 0, "a dirty bitmap on disk1: Could not load snapshot 't' on 'disk1'") \
    X(snapshot, "snapshot", migration_blocker_fails_save_only, SJ, "5.11", 0, "usb-wacom-tablet blocks save (before any other check, no STOP) but not load or delete") \
    X(snapshot, "snapshot", delete_of_missing_tag_succeeds, SJ, "5.12", 0, "deleting a missing tag succeeds") \
    X(snapshot, "snapshot", save_creates_tag_on_every_listed_device_only, SJ, "6.1", 0, "the tag appears on every listed device and no other") \
    X(snapshot, "snapshot", node_listed_twice_gets_one_snapshot, SJ, "6.1", 0, "disk0 listed twice is refused or holds one snapshot of the tag") \
    X(snapshot, "snapshot", vmstate_is_only_on_vmstate_node, SJ, "6.2", 0, "vm-state-size > 0 only on the vmstate node") \
    X(snapshot, "snapshot", save_keeps_run_state, SJ, "6.3", 0, "running stays running, paused stays paused across a save") \
    X(snapshot, "snapshot", load_rewinds_ram_and_disk, SJ, "6.4", VC_SMOKE, "after a load the guest's tick counter and disk sector are back at save time") \
    X(snapshot, "snapshot", numeric_tag_loads_snapshot_named_so, SJ, "6.4", 0, "with snapshots 'a' (id 1) and '1', loading '1' rewinds the disk to '1'") \
    X(snapshot, "snapshot", remaining_copy_of_duplicated_snapshot_loads, SJ, "6.4", 0, "of a tag saved twice to disk0, the copy left after a delete loads") \
    X(snapshot, "snapshot", load_keeps_run_state_before_load, SJ, "6.5", 0, "a load into a running VM leaves it running, whatever the state at save") \
    X(snapshot, "snapshot", delete_removes_tag_from_every_listed_device, SJ, "6.6", 0, "the tag is gone from listed devices and kept on unlisted ones") \
    X(snapshot, "snapshot", delete_removes_every_copy_of_tag, SJ, "6.6", 0, "a delete leaves disk0 without the tag even when it held two copies") \
    X(snapshot, "snapshot", failed_save_leaves_no_snapshot, SJ, "6.7", 0, "a failed save leaves no snapshot on any device") \
    X(snapshot, "snapshot", failed_delete_changes_nothing, SJ, "6.8", 0, "deletes failing on an unknown and on a raw node leave every snapshot in place") \
    X(snapshot, "snapshot", failed_load_leaves_running_vm_stopped, SJ, "6.9", 0, "a failed load leaves restore-vm; cont resumes an intact guest") \
    X(snapshot, "snapshot", snapshot_list_absent_until_first_snapshot, SJ, "7.1", 0, "no snapshots member until a save; then name, id, sizes, dates; none on file and raw nodes")

#define VC_DECLARE(suite_id, suite, name, doc, section, flags, summary) VC_CASE_FN(suite_id, name);
VC_CASES(VC_DECLARE)
#undef VC_DECLARE

#endif /* VMCONFORM_CASE_LIST_H */
