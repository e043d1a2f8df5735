/* QMP jobs as a monitor sees them, for snapshot-save, -load and -delete above all: run a command
 * that creates a job and record the events that follow, in wire order, until the job concludes;
 * read query-jobs; dismiss; read the internal snapshots of the block nodes. The conformance runner
 * (conformance/fixtures/jobs.c) and fuzz_qmp_snapshot both observe jobs through this module and
 * each turn its outcome into their own verdicts.
 *
 * Errors: a transport failure (SPP_QMP_ERROR: QEMU went away, a timeout, garbage) fails the call.
 * QEMU refusing the command itself is not a failure of the call but an outcome: the run's
 * `refused` (domain SPP_QMP_COMMAND_ERROR, message exactly QEMU's desc). */
#ifndef SPP_QMP_JOBS_H
#define SPP_QMP_JOBS_H

#include "qmp-client.h"

G_BEGIN_DECLS

/* Sees every event a run reads, in wire order, before it goes into the trace. */
typedef void (*SppQmpJobEventFunc)(const SppQmpEvent *event, gpointer user_data);

/* What a run records besides its own job's JOB_STATUS_CHANGE statuses. NULL = nothing else. */
typedef struct {
    const char *const *traced; /* names of events recorded by name (e.g. STOP, RESUME); NULL-terminated */
    SppQmpJobEventFunc observe; /* may be NULL */
    gpointer user_data;
} SppQmpJobWatch;

/* One entry of query-jobs. */
typedef struct {
    char *id;
    char *type;   /* "snapshot-save", ... */
    char *status; /* "concluded", ... */
    char *error;  /* NULL when absent (the job succeeded or has not concluded) */
    gint64 current_progress, total_progress; /* -1 when absent */
} SppQmpJobInfo;

void spp_qmp_job_info_free(SppQmpJobInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppQmpJobInfo, spp_qmp_job_info_free)

/* What one command and its job showed. */
typedef struct {
    char *job_id;
    GError *refused;        /* QEMU's error reply to the command (no job was created), or NULL */
    GPtrArray *trace;       /* of char*: the job's statuses and the traced events, in wire order */
    guint before_return;    /* how many of them arrived before the command's reply */
    gboolean concluded;     /* the job's "concluded" is the trace's last word */
} SppQmpJobRun;

void spp_qmp_job_run_free(SppQmpJobRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppQmpJobRun, spp_qmp_job_run_free)

/* Sends command with arguments (borrowed, a JSON object or NULL) and records the events that
 * arrived before its reply: job_id's statuses (job_id may name no job, e.g. "" for system_reset)
 * and watch->traced. Events queued before the call belong to no run and are dropped: read them
 * first if they matter. Recording stops at job_id's "concluded"; later events stay queued.
 * Returns NULL only on a transport failure; timeout_ms bounds the wait for the reply. */
SppQmpJobRun *spp_qmp_job_execute(SppQmpClient *client, const char *command, JsonNode *arguments,
                                  const char *job_id, const SppQmpJobWatch *watch, gint64 timeout_ms,
                                  GError **error);

/* Goes on recording until the run's job concludes. TRUE at once when the command was refused
 * or the job already concluded. Fails with SPP_QMP_ERROR_TIMEOUT after timeout_ms (the client
 * stays usable) or with the connection's error; the run keeps what was recorded. */
gboolean spp_qmp_job_wait_concluded(SppQmpClient *client, SppQmpJobRun *run, const SppQmpJobWatch *watch,
                                    gint64 timeout_ms, GError **error);

/* The trace as words separated by spaces, e.g. "created running STOP RESUME waiting pending
 * concluded"; with mark_return, the word "return" stands where the command's reply arrived. */
char *spp_qmp_job_run_trace(const SppQmpJobRun *run, gboolean mark_return);

/* job-dismiss {"id": job_id}, recorded like spp_qmp_job_execute() (the job's "null" status). */
SppQmpJobRun *spp_qmp_job_dismiss(SppQmpClient *client, const char *job_id, const SppQmpJobWatch *watch,
                                  gint64 timeout_ms, GError **error);

/* query-jobs: an array of SppQmpJobInfo in QEMU's order (newest first), or NULL with error (a
 * refusal too). */
GPtrArray *spp_qmp_job_query(SppQmpClient *client, gint64 timeout_ms, GError **error);

/* The entry of job id in a query-jobs array, or NULL. */
const SppQmpJobInfo *spp_qmp_job_find(const GPtrArray *jobs, const char *id);

/* One internal snapshot of a node, as query-named-block-nodes lists it. */
typedef struct {
    char *name;
    char *id;              /* the image's own numeric id, as text */
    guint64 vm_state_size; /* 0: a disk-only snapshot */
} SppQmpSnapshot;

/* A named block node and its snapshots. */
typedef struct {
    char *node_name;
    GPtrArray *snapshots; /* of SppQmpSnapshot*, in the image's order; empty for raw and protocol nodes */
} SppQmpNodeSnapshots;

/* query-named-block-nodes {"flat": true}: an array of SppQmpNodeSnapshots, one per named node in
 * QEMU's order, or NULL with error. */
GPtrArray *spp_qmp_node_snapshots_query(SppQmpClient *client, gint64 timeout_ms, GError **error);

/* The node called node_name in such an array, or NULL. */
const SppQmpNodeSnapshots *spp_qmp_node_snapshots_find(const GPtrArray *nodes, const char *node_name);

G_END_DECLS

#endif /* SPP_QMP_JOBS_H */
