/* Runs the selected cases several at a time and reports each as TAP in selection order. */
#ifndef VMCONFORM_SCHEDULER_H
#define VMCONFORM_SCHEDULER_H

#include <stdio.h>

#include "case-runner.h"
#include "environment.h"

/* Sees each result when its case ends, before it is reported (vmconform marks known deviations). */
typedef void (*VcResultHook)(VcResult *r, gpointer data);

/* Runs every case (const VcCase *) on every target (VcTarget *), up to `jobs` at a time whatever
 * their target, each under run_dir (case-runner.h). A result is written to tap as soon as it and
 * every result before it are in. Returns the results target by target, each in the cases' order;
 * free with g_ptr_array_unref(). */
GPtrArray *vc_run_cases(GPtrArray *cases, GPtrArray *targets, int jobs, const char *run_dir, VcResultHook hook,
                        gpointer hook_data, FILE *tap);

#endif /* VMCONFORM_SCHEDULER_H */
