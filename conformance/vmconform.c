/* vmconform: boots QEMU and checks reset, power-off and snapshot-job outcomes against docs/.
 * Exit status: 0 all passed (known deviations allowed), 1 something failed, 2 usage or environment.
 *
 * main() wires the parts together: the command line (options.c), the cases it selects
 * (selection.c) or the citations they make (citations.c), what the run needs from the machine
 * (environment.c), the known deviations (expectations.c), running the cases (scheduler.c) and the
 * reports (report.c, capture.c). */
#include <glib/gstdio.h>
#include <stdio.h>

#include "capture.h"
#include "citations.h"
#include "endpoint.h"
#include "environment.h"
#include "expectations.h"
#include "html-report.h"
#include "options.h"
#include "report.h"
#include "scheduler.h"
#include "selection.h"

/* The known deviations of the QEMU release under test (or of --expect's), from the registry. */
static VcExpectations *load_deviations(const char *expect, const char *implementation)
{
    g_autoptr(GError) err = NULL;
    VcExpectations *deviations = vc_expectations_for(expect ? expect : implementation, &err);
    if (!deviations)
        vc_usage_error("--expect: %s", err->message);
    return deviations;
}

/* A failing case that reveals one of its QEMU's deviations is reported as TAP TODO. */
static void mark_known_deviation(VcResult *r, gpointer targets)
{
    const VcTarget *t = g_ptr_array_index((GPtrArray *)targets, r->target_index);
    r->known_deviation = vc_expectations_reason(t->deviations, r->c);
}

/* Each target's known deviations, and the banner line that says what runs where. */
static void announce_targets(const VcCommandLine *cl, GPtrArray *targets, guint cases)
{
    for (guint i = 0; i < targets->len; i++) {
        VcTarget *t = g_ptr_array_index(targets, i);
        t->deviations = load_deviations(cl->expect, t->implementation);
        fprintf(stderr, "vmconform: %u case(s) against %s (%s)%s\n", cases, t->opts.qemu, t->label,
                vc_expectations_describe(t->deviations));
    }
    fprintf(stderr, "vmconform: %d at a time\n", cl->jobs);
}

/* After the last case: the decoded capture, the summary, and the report files. */
static void report_run(const VcCommandLine *cl, const VcEnvironment *env, VcCapture *capture, GPtrArray *results)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *decoded = NULL;
    if (capture) {
        vc_capture_stop(capture);
        decoded = vc_capture_decode(cl->capture, env->plugin, &err);
        if (!decoded) {
            fprintf(stderr, "vmconform: --capture: %s\n", err->message);
            g_clear_error(&err);
        }
        vc_print_capture(stdout, cl->capture, decoded);
    }
    vc_print_summary(stdout, results);

    const char *endpoint = cl->spice ? cl->spice : "spice-power-bridge";
    if (cl->junit && !vc_write_junit(cl->junit, results, endpoint, decoded, &err))
        vc_usage_error("cannot write %s: %s", cl->junit, err->message);
    if (cl->json && !vc_write_json(cl->json, results, env->targets, endpoint, cl->capture, decoded, &err))
        vc_usage_error("cannot write %s: %s", cl->json, err->message);
    if (cl->html && !vc_write_html(cl->html, results, env->targets, endpoint, &err))
        vc_usage_error("cannot write %s: %s", cl->html, err->message);
}

static gboolean any_failure(GPtrArray *results)
{
    for (guint i = 0; i < results->len; i++)
        if (vc_result_is_failure(g_ptr_array_index(results, i)))
            return TRUE;
    return FALSE;
}

int main(int argc, char **argv)
{
    VcCommandLine cl;
    vc_parse_command_line(argc, argv, &cl);
    if (cl.list_citations) {
        vc_print_citations(stdout);
        return 0;
    }
    const VcSelection selection = {cl.case_globs, cl.exclude_globs, cl.suite_names, cl.smoke};
    g_autoptr(GPtrArray) chosen = vc_select_cases(&selection);
    if (chosen->len == 0)
        vc_usage_error("no case matches the selection (try --list)");
    if (cl.list) {
        vc_print_cases(stdout, chosen);
        return 0;
    }

    VcEnvironment env;
    vc_check_environment(&cl, &env);
    vc_check_spice_endpoint(cl.spice, cl.password_file, chosen);
    announce_targets(&cl, env.targets, chosen->len);
    g_autofree char *run_dir = vc_make_run_dir();
    g_autoptr(GError) err = NULL;
    VcCapture *capture = NULL;
    if (cl.capture && !(capture = vc_capture_start(cl.capture, &err)))
        vc_usage_error("--capture: %s", err->message);
    vc_runner_init();

    g_autoptr(GPtrArray) results =
        vc_run_cases(chosen, env.targets, cl.jobs, run_dir, mark_known_deviation, env.targets, stdout);
    g_rmdir(run_dir);
    report_run(&cl, &env, capture, results);
    return any_failure(results) ? 1 : 0;
}
