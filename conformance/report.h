/* The run's reports: TAP 14 on stdout as cases finish, JUnit and JSON files at the end, and a
 * summary table per spec section. */
#ifndef VMCONFORM_REPORT_H
#define VMCONFORM_REPORT_H

#include <stdio.h>

#include "case-runner.h"
#include "environment.h"

/* TAP: the header and plan, then one test point per result; with show_target the description
 * starts with the QEMU it ran on ("qemu-10.0: snapshot.load_rewinds_ram_and_disk"). */
void vc_tap_begin(FILE *out, unsigned planned);
void vc_tap_result(FILE *out, unsigned number, const VcResult *r, gboolean show_target);

/* The summary: pass, fail, skip and known deviations per suite and section (and QEMU, when the run
 * had several), as TAP comments. */
void vc_print_summary(FILE *out, GPtrArray *results);

/* --capture's decoded traffic as TAP comments (decoded may be NULL when decoding failed). */
void vc_print_capture(FILE *out, const char *capture_path, const char *decoded);

/* endpoint: what the power suite talked to ("spice-power-bridge" or --spice's HOST:PORT).
 * decoded: --capture's decoded traffic or NULL; JUnit carries it as <system-out>. With several
 * QEMUs, JUnit has a suite per QEMU and vmconform suite ("qemu-10.0/snapshot"), and every JSON
 * case names its "target". */
gboolean vc_write_junit(const char *path, GPtrArray *results, const char *endpoint, const char *decoded,
                        GError **error);
gboolean vc_write_json(const char *path, GPtrArray *results, GPtrArray *targets, const char *endpoint,
                       const char *capture_path, const char *decoded, GError **error);

#endif /* VMCONFORM_REPORT_H */
