/* Stands in for vmconform's cases in the tests of citations (tests/citations.sh,
 * tests/citation-check-detects.sh), linked with the real runner, scheduler and reports:
 *   citation-fixture list       prints its citations as `vmconform --list-citations` does
 *   citation-fixture run JSON   runs its cases, TAP on stdout, the JSON report to JSON
 * Its citations are real requirements, so they resolve against docs/; one of them is in a case that
 * passes, to show that a citation is listed whether or not it ever fails. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "case-list.h"
#include "citations.h"
#include "report.h"
#include "scheduler.h"

static void cited_failure(VcContext *ctx)
{
    unsigned result_bytes = 7;
    VC_REQUIRE(ctx, result_bytes == 6, VC_REQ(PC, "11.8", "RESULT carries 6 bytes"), "RESULT of %u bytes",
               result_bytes);
}

static void cited_error(VcContext *ctx)
{
    g_autoptr(GError) err = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, "cont refused");
    VC_REQUIRE_OK(ctx, FALSE, err, VC_REQ(SJ, "6.9(a)", "cont resumes after a failed load"));
}

static void step_failure(VcContext *ctx)
{
    vc_fail(ctx, VC_STEP("stop succeeds"), "stop refused: %s", "busy");
}

static void never_fails(VcContext *ctx)
{
    VC_REQUIRE(ctx, TRUE, VC_REQ(PC, "3", "a valid power link is accepted"), "link refused");
}

static const VcCase cases[] = {
    {"fixture", "cited_failure", PC, "11.8", "fails citing VC_REQ", 0, cited_failure},
    {"fixture", "cited_error", SJ, "6.9", "fails citing VC_REQ through VC_REQUIRE_OK", 0, cited_error},
    {"fixture", "step_failure", PC, "5.4", "fails at a scenario step, citing no section", 0, step_failure},
    {"fixture", "never_fails", PC, "3", "passes", 0, never_fails},
};

static int run(const char *json_path)
{
    g_autoptr(GPtrArray) chosen = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        g_ptr_array_add(chosen, (gpointer)&cases[i]);
    VcTarget target = {.opts = {.timeout_s = 30}, .label = "fixture"};
    g_autoptr(GPtrArray) targets = g_ptr_array_new();
    g_ptr_array_add(targets, &target);
    g_autofree char *run_dir = g_dir_make_tmp("citation-fixture-XXXXXX", NULL);
    if (!run_dir)
        return 2;
    vc_runner_init();
    g_autoptr(GPtrArray) results = vc_run_cases(chosen, targets, 2, run_dir, NULL, NULL, stdout);
    g_rmdir(run_dir);
    g_autoptr(GError) err = NULL;
    if (!vc_write_json(json_path, results, targets, "citation-fixture", NULL, NULL, &err)) {
        fprintf(stderr, "citation-fixture: %s\n", err->message);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        vc_print_citations(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "run") == 0)
        return run(argv[2]);
    fprintf(stderr, "usage: citation-fixture list | run JSON\n");
    return 2;
}
