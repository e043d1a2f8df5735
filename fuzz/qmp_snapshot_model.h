/* fuzz_qmp_snapshot's oracle: a model of docs/snapshot-jobs.md for the fuzzer's fixed VM (nodes
 * disk0 and disk1 qcow2, rawd raw, their "-file" protocol nodes). It predicts, for each operation,
 * the synchronous error or the job's outcome (error text, event sequence), and the state after it:
 * the snapshots of every node, the jobs not yet dismissed and the run state. Known deviations
 * (§8/Dn) that the model has a switch for change the prediction only when they are tolerated
 * (qs_model_tolerate_release()); otherwise the model follows the requirement the deviation departs
 * from, so QEMU's behaviour becomes a finding. Error texts are QEMU's (qemu-snapshot-errors.h).
 */
#ifndef QMP_SNAPSHOT_MODEL_H
#define QMP_SNAPSHOT_MODEL_H

#include <glib.h>

#include "qmp_snapshot_input.h"

typedef enum { QS_NODE_QCOW2, QS_NODE_RAW, QS_NODE_PROTOCOL, QS_NODE_MISSING } QsNodeKind;
/* prelaunch: a guest reset processed while the VM was stopped leaves it there (QEMU's main loop,
 * not the snapshot code); the driver sets it when it sees such a RESET. */
typedef enum { QS_RUN_RUNNING, QS_RUN_PAUSED, QS_RUN_RESTORE_VM, QS_RUN_PRELAUNCH } QsRunState;

typedef struct {
    char *name;     /* as stored: truncated to 255 bytes (§8/D4) */
    unsigned id;    /* qcow2's numeric id: 1 + the largest id on the node */
    gboolean vm;    /* vm-state-size > 0 */
    gboolean area;  /* its VM-state area holds a loadable state (see active_area) */
} QsSnap;

typedef struct {
    char *id;
    const char *type;   /* "snapshot-save", ... */
    char *error;        /* NULL when it succeeded */
} QsJob;

typedef struct {
    GPtrArray *snaps[QS_NODE_VOCAB]; /* of QsSnap*, in qcow2 table order; empty for non-qcow2 */
    GPtrArray *jobs;                  /* of QsJob*, newest first (§4.10) */
    QsRunState run;
    /* qcow2 keeps VM state in an area of the image beyond the disk; a snapshot copies the active
     * area whatever its vm-state-size, a revert copies the snapshot's area back, and a save discards
     * the area after storing it. So a disk-only snapshot can carry a loadable state, which matters
     * when a load reverts to it (§8/D5) or to a second copy of a name (§8/D3, §8/D6).
     * TRUE when the node's active area holds a loadable state. Survives qs_model_clear(). */
    gboolean active_area[QS_NODE_VOCAB];
} QsModel;

/* What an operation is expected to produce. */
typedef struct {
    char *sync_error;       /* exact GenericError desc, or NULL when the command is accepted */
    gboolean job;           /* a job is created */
    char *job_error;        /* exact text, NULL for success */
    gboolean job_error_loadvm; /* any "Error <n> while loading VM state" (§5.10, §8/D8) */
    char *trace;            /* events without the return, e.g. "created running STOP RESUME waiting pending concluded" */
    const char *req;        /* the requirement that decides the outcome, e.g. "§5.6" */
    const char *why;        /* short description */
} QsPrediction;

/* One per fuzzer process: it lives as long as the QEMU it models. */
QsModel *qs_model_new(void);
/* Forget all snapshots and jobs; run state running (active areas are kept). */
void qs_model_clear(QsModel *m);

QsNodeKind qs_node_kind(unsigned node);
const char *qs_run_state_name(QsRunState run);

/* The §8 ids the model has a switch for, NULL-terminated: D2 D3 D4 D5 D6 D9. */
extern const char *const qs_model_switches[];

/* Tolerates every switch whose deviation the registry (qemu-deviations.h) lists for QEMU
 * major.minor, except the ids in strict (NULL-terminated, may be NULL; "" entries are skipped,
 * "all" names every switch). FALSE with error when strict names an id §8 does not have. Until
 * called, nothing is tolerated. */
gboolean qs_model_tolerate_release(int major, int minor, const char *const *strict, GError **error);

/* TRUE when the switch for id ("D2") is tolerated. */
gboolean qs_model_tolerated(const char *id);

void qs_prediction_clear(QsPrediction *p);

/* Predicts op's outcome from m and updates m to the state after it. For snapshot commands the
 * prediction is complete; for the others it holds sync_error only. */
void qs_model_step(QsModel *m, const QsOp *op, QsPrediction *p);

#endif
