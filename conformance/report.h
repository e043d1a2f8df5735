/* The run's reports: TAP 14 on stdout as cases finish, JUnit and JSON files at the end, and a
 * summary table per spec section. */
#ifndef VMCONFORM_REPORT_H
#define VMCONFORM_REPORT_H

#include <stdio.h>

#include "case-runner.h"

/* TAP: the header and plan, then one test point per result. */
void vc_tap_begin(FILE *out, unsigned planned);
void vc_tap_result(FILE *out, unsigned number, const VcResult *r);

/* The summary: pass, fail, skip and known deviations per suite and section, as TAP comments. */
void vc_print_summary(FILE *out, GPtrArray *results);

/* --capture's decoded traffic as TAP comments (decoded may be NULL when decoding failed). */
void vc_print_capture(FILE *out, const char *capture_path, const char *decoded);

/* decoded: --capture's decoded traffic or NULL; JUnit carries it as <system-out>. */
gboolean vc_write_junit(const char *path, GPtrArray *results, const char *target, const char *decoded,
                        GError **error);
gboolean vc_write_json(const char *path, GPtrArray *results, const char *target, const char *capture_path,
                       const char *decoded, GError **error);

#endif /* VMCONFORM_REPORT_H */
