/* What a run needs from the machine: QEMU and its version, the guest image, the ticket file, dumpcap
 * and the spicepower plugin for --capture, and a private run directory. Anything missing is a usage
 * error (exit status 2), reported before any case starts. */
#ifndef VMCONFORM_ENVIRONMENT_H
#define VMCONFORM_ENVIRONMENT_H

#include "case.h"
#include "options.h"

/* One QEMU under test. */
typedef struct {
    VcOptions opts;       /* what the cases see: QEMU's full path, the bridge, the guest image... */
    char *implementation; /* "qemu-7.2", from `qemu --version`: chooses the known deviations */
    char *label;          /* the implementation, with "#2", "#3" for a release given again */
    gpointer deviations;  /* VcExpectations of the target, set by vmconform */
} VcTarget;

typedef struct {
    GPtrArray *targets; /* VcTarget *, in the order of --qemu */
    const char *plugin; /* spicepower.so that decodes --capture */
} VcEnvironment;

/* Fills env from the command line and the defaults, checking that each file it names is there. */
void vc_check_environment(const VcCommandLine *cl, VcEnvironment *env);

/* A fresh directory under $TMPDIR (or /tmp) that holds the cases' own temporary directories. */
char *vc_make_run_dir(void);

#endif /* VMCONFORM_ENVIRONMENT_H */
