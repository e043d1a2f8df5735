/* The known deviations a conformance run tolerates: those that the registry of QEMU's deviations
 * (qemu-harness/qmp/qemu-deviations.h, keyed by docs/snapshot-jobs.md §8's ids) lists for the QEMU
 * release under test. A case that fails is reported as TAP TODO, naming the deviation, only when
 * the registry says the case reveals one of them; any other failure counts. A release the
 * registry does not know tolerates nothing. */
#ifndef VMCONFORM_EXPECTATIONS_H
#define VMCONFORM_EXPECTATIONS_H

#include <glib.h>

#include "case.h"

typedef struct VcExpectations VcExpectations;

/* The deviations of release "7.2" (also spelled "qemu-7.2", as vmconform names the
 * implementation), or none at all for "none". NULL with an error for any other form. */
VcExpectations *vc_expectations_for(const char *release, GError **error);
void vc_expectations_free(VcExpectations *expectations);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VcExpectations, vc_expectations_free)

/* For the run's banner and reports: ", tolerating QEMU 7.2's known deviations D1 D2 ...", or why
 * none is tolerated (--expect none, or a release the registry does not name). */
const char *vc_expectations_describe(const VcExpectations *expectations);

/* The ids tolerated, in §8's order ("D2", "D4"); free with g_strfreev(). */
GStrv vc_expectations_ids(const VcExpectations *expectations);

/* Why a failure of case c is a known deviation ("snapshot-jobs.md §8/D2: ..."; newly allocated),
 * or NULL when it is not. */
char *vc_expectations_reason(const VcExpectations *expectations, const VcCase *c);

#endif /* VMCONFORM_EXPECTATIONS_H */
