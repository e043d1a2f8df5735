/* Runs one case in a child process with a deadline and collects its verdict. */
#ifndef VMCONFORM_CASE_RUNNER_H
#define VMCONFORM_CASE_RUNNER_H

#include <sys/types.h>

#include "case.h"

typedef enum {
    VC_STATUS_PASS,
    VC_STATUS_FAIL,    /* the target contradicts the spec */
    VC_STATUS_SKIP,    /* cannot run here */
    VC_STATUS_BROKEN,  /* the environment failed (QEMU would not start...) */
    VC_STATUS_TIMEOUT, /* the case's deadline passed; its processes were killed */
    VC_STATUS_CRASH,   /* the case process died without a verdict */
} VcStatus;

typedef struct {
    const VcCase *c;
    VcStatus status;
    char *required;  /* what the spec requires (failures): "<doc> §<section>: <text>" when cited */
    struct {
        char *doc, *section, *text, *source; /* the VC_REQ's parts; all NULL for a VC_STEP */
    } cited;
    char *message;   /* what happened, or why skipped */
    GPtrArray *diag; /* alternating key, value */
    double seconds;
    char *known_deviation; /* set by the caller from expectations.h */
    const char *target;    /* the label of the QEMU it ran on (not owned) */
    guint target_index;    /* its place among the run's targets */
} VcResult;

/* A case running in its child process. Several may run at once: start them, poll their fds,
 * feed each when readable, and finish each once fed to EOF or past its deadline. */
typedef struct VcRunning VcRunning;

/* run_dir: an existing private directory; the case gets a fresh TMPDIR under it, removed when
 * it finishes. */
VcRunning *vc_case_start(const VcCase *c, const VcOptions *opts, const char *run_dir);
int vc_case_fd(const VcRunning *run);           /* -1 when the case could not start */
gint64 vc_case_deadline(const VcRunning *run);  /* monotonic microseconds */
gboolean vc_case_feed(VcRunning *run);          /* reads what is there; TRUE at EOF */
/* Reaps the case (killing it when past its deadline), kills whatever it left behind, and returns
 * the verdict. Frees run. */
VcResult *vc_case_finish(VcRunning *run);

void vc_result_free(VcResult *r);

/* "pass", "fail", ... */
const char *vc_status_name(VcStatus s);

/* TRUE when the result counts against the run (a failure not marked as a known deviation). */
gboolean vc_result_is_failure(const VcResult *r);

/* A child of vmconform's own (not a case's) that the orphan sweep must leave alone. */
void vc_runner_spare_pid(pid_t pid);

/* Called once from main, before any case: makes vmconform a child subreaper, so whatever a case
 * started (QEMU, the bridge) becomes vmconform's child when the case process ends, and is killed. */
void vc_runner_init(void);

#endif /* VMCONFORM_CASE_RUNNER_H */
