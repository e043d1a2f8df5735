/* The exact error texts QEMU gives for snapshot-save, snapshot-load, snapshot-delete and the job
 * commands, as printf formats. docs/snapshot-jobs.md cites them (§3, §4.11, §4.12, §5); the
 * conformance cases (conformance/cases/snapshot-*.c) and fuzz_qmp_snapshot's model
 * (fuzz/qmp_snapshot_model.c) compare QEMU's GenericError desc or the job's "error" with them, so
 * each text is written here once.
 *
 * Every text is QEMU 7.2's (Debian bookworm, observed). When a later release words one
 * differently, add that release's text next to it under a name of its own and say which
 * release gives which. */
#ifndef SPP_QEMU_SNAPSHOT_ERRORS_H
#define SPP_QEMU_SNAPSHOT_ERRORS_H

/* ---- synchronous errors: the QAPI visitor (§3.4-§3.6); arguments: the member's name ---------- */

/* QEMU 7.2: a mandatory member is absent (§3.4). */
#define SPP_QEMU_ERR_PARAMETER_MISSING "Parameter '%s' is missing"
/* QEMU 7.2: a member the command does not have (§3.5). */
#define SPP_QEMU_ERR_PARAMETER_UNEXPECTED "Parameter '%s' is unexpected"
/* QEMU 7.2: a member of the wrong JSON type (§3.6); the member, then the expected type
 * ("string", "array"). */
#define SPP_QEMU_ERR_PARAMETER_TYPE "Invalid parameter type for '%s', expected: %s"

/* ---- synchronous errors: job ids (§3.2, §3.3); argument: the job-id -------------------------- */

/* QEMU 7.2: a job-id that is not a well-formed QAPI name (§3.2). */
#define SPP_QEMU_ERR_INVALID_JOB_ID "Invalid job ID '%s'"
/* QEMU 7.2: a job-id of a job not yet dismissed (§3.3). */
#define SPP_QEMU_ERR_JOB_ID_IN_USE "Job ID '%s' already in use"

/* ---- job commands on existing jobs (§4.11, §4.12) ------------------------------------------- */

/* QEMU 7.2: job-dismiss or a verb naming no job (§4.11). */
#define SPP_QEMU_ERR_JOB_NOT_FOUND "Job not found"
/* QEMU 7.2: a verb the job's state refuses (§4.12); the job-id, the state ("concluded"), the verb
 * ("finalize", "cancel", "pause", "complete"). */
#define SPP_QEMU_ERR_JOB_VERB_REFUSED "Job '%s' in state '%s' cannot accept command verb '%s'"
/* QEMU 7.2: job-resume of a job that is not paused (§4.12). */
#define SPP_QEMU_ERR_JOB_NOT_PAUSED "Can't resume a job that was not paused"

/* ---- job errors, query-jobs' "error" (§5) ---------------------------------------------------- */

/* QEMU 7.2: devices is empty (§5.3). */
#define SPP_QEMU_ERR_NO_DEVICES "At least one device is required for snapshot"
/* QEMU 7.2: a listed device names no node (§5.4); argument: the name. */
#define SPP_QEMU_ERR_NO_NODE "No block device node '%s'"
/* QEMU 7.2: a listed node that cannot take snapshots, read-only ones included (§5.5, §8/D7);
 * argument: the node. */
#define SPP_QEMU_ERR_CANNOT_SNAPSHOT "Device '%s' is writable but does not support snapshots"
/* QEMU 7.2: save of a tag that exists (§5.6, detected as §8/D2 says); argument: the tag. */
#define SPP_QEMU_ERR_TAG_EXISTS "Snapshot '%s' already exists in one or more devices"
/* QEMU 7.2: vmstate is not among the devices, whether or not the node exists (§5.7, §8/D15);
 * argument: the vmstate node. */
#define SPP_QEMU_ERR_VMSTATE_NOT_LISTED "vmstate block device '%s' does not exist"
/* QEMU 7.2: load of a tag missing from a listed device (§5.8); argument: the tag. */
#define SPP_QEMU_ERR_TAG_MISSING "Snapshot '%s' does not exist in one or more devices"
/* QEMU 7.2: load whose vmstate node's snapshot has no VM state (§5.9); two spaces before
 * "offline" (§8/D11). */
#define SPP_QEMU_ERR_DISK_ONLY "This is a disk-only snapshot. Revert to it  offline using qemu-img"
/* QEMU 7.2: the VM state does not load (§5.10, §8/D8); argument: a negative errno, in practice
 * -22. A check MUST accept any number. */
#define SPP_QEMU_ERR_LOADVM "Error %d while loading VM state"
/* QEMU 7.2: a listed device could not be reverted (§5.10); the tag, the node, the cause. */
#define SPP_QEMU_ERR_REVERT "Could not load snapshot '%s' on '%s': %s"
/* QEMU 7.2: the cause SPP_QEMU_ERR_REVERT gives for a node with a dirty bitmap (§5.10). */
#define SPP_QEMU_ERR_CAUSE_DIRTY_BITMAPS "Device has active dirty bitmaps"
/* QEMU 7.2: save while a device blocks migration (§5.11); argument: the device's path, e.g.
 * "0000:00:02.0/1/usb-wacom". Other blockers have texts of their own. */
#define SPP_QEMU_ERR_MIGRATION_BLOCKED_BY_DEVICE "State blocked by non-migratable device '%s'"

#endif /* SPP_QEMU_SNAPSHOT_ERRORS_H */
