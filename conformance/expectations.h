/* Known deviations of one implementation: conformance/expect/<implementation>.txt.
 * Each line is "<suite>.<case>  <reason>"; '#' starts a comment. A listed case that fails is
 * reported as TAP TODO, so the deviation stays visible without failing the run. */
#ifndef VMCONFORM_EXPECTATIONS_H
#define VMCONFORM_EXPECTATIONS_H

#include <glib.h>

/* Maps "suite.case" to the reason. */
GHashTable *vc_expectations_load(const char *path, GError **error);

#endif /* VMCONFORM_EXPECTATIONS_H */
