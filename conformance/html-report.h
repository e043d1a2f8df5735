/* --html FILE: the run as one self-contained page (no script, no external file). A matrix with the
 * specs' sections down the side and the QEMUs under test across the top, each cell the outcome of
 * that section's cases on that QEMU (pass, fail, known deviation, skip) linking to the cases'
 * diagnostics further down; a table of the known deviations per release; then every case per QEMU.
 * Each cell carries data-target, data-section and data-status, so a test (or a script) can read the
 * page as it reads the JSON report. */
#ifndef VMCONFORM_HTML_REPORT_H
#define VMCONFORM_HTML_REPORT_H

#include <glib.h>

/* results: VcResult * target by target (scheduler.h); targets: VcTarget * (environment.h). */
gboolean vc_write_html(const char *path, GPtrArray *results, GPtrArray *targets, const char *endpoint,
                       GError **error);

#endif /* VMCONFORM_HTML_REPORT_H */
