#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selection.h"

void vc_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vmconform: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* make, ninja and ctest take -j2; GOption would read "-j2" as the flags -j and -2 and take the next
 * argument as the count. So "-jN" becomes "-j" "N" before parsing (the new vector lives as long as
 * the process, as argv does). */
static void split_attached_jobs(int *argc, char ***argv)
{
    GPtrArray *out = g_ptr_array_new();
    gboolean options_ended = FALSE;
    for (int i = 0; i < *argc; i++) {
        const char *arg = (*argv)[i];
        options_ended = options_ended || strcmp(arg, "--") == 0;
        if (!options_ended && i > 0 && g_str_has_prefix(arg, "-j") && arg[2] != '\0') {
            g_ptr_array_add(out, g_strdup("-j"));
            g_ptr_array_add(out, g_strdup(arg + 2));
        } else {
            g_ptr_array_add(out, g_strdup(arg));
        }
    }
    *argc = (int)out->len;
    g_ptr_array_add(out, NULL);
    *argv = (char **)g_ptr_array_free(out, FALSE);
}

static void parse_options(int *argc, char ***argv, VcCommandLine *cl)
{
    split_attached_jobs(argc, argv);
    g_autofree char *suite_help = g_strdup_printf("Run one suite: %s", vc_suites_text());
    GOptionEntry entries[] = {
        {"list", 0, 0, G_OPTION_ARG_NONE, &cl->list, "List the selected cases and exit", NULL},
        {"list-citations", 0, 0, G_OPTION_ARG_NONE, &cl->list_citations,
         "List every requirement the cases cite (file:line, spec section, text) and exit", NULL},
        {"case", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cl->case_globs, "Run cases matching GLOB (suite.name or name)", "GLOB"},
        {"exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cl->exclude_globs,
         "Leave out cases matching GLOB (suite.name or name); applied after --case and --suite", "GLOB"},
        {"suite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cl->suite_names, suite_help, "NAME"},
        {"smoke", 0, 0, G_OPTION_ARG_NONE, &cl->smoke, "Run only the short smoke subset", NULL},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &cl->timeout_s, "Deadline per case in seconds (default 60)", "S"},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &cl->jobs, "Cases run at once (default 2)", "N"},
        {"qemu", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cl->qemus,
         "QEMU binary (default qemu-system-x86_64); repeat it to run every case on each, side by side", "PATH"},
        {"power-qemu", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &cl->power_qemus,
         "QEMU with the power channel built in (-spice ...,power-control=on): a target of its own, whose "
         "power suite talks to QEMU itself instead of the bridge; repeatable",
         "PATH"},
        {"bridge", 0, 0, G_OPTION_ARG_FILENAME, &cl->bridge, "spice-power-bridge binary", "PATH"},
        {"guest", 0, 0, G_OPTION_ARG_FILENAME, &cl->guest, "Boot-sector guest image", "PATH"},
        {"spice", 0, 0, G_OPTION_ARG_STRING, &cl->spice, "Test this SPICE endpoint instead of the bridge", "HOST:PORT"},
        {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &cl->password_file, "Ticket for --spice", "FILE"},
        {"expect", 0, 0, G_OPTION_ARG_STRING, &cl->expect,
         "Tolerate the known deviations of this QEMU release, or none (default: the version QEMU reports)", "RELEASE"},
        {"junit", 0, 0, G_OPTION_ARG_FILENAME, &cl->junit, "Write a JUnit XML report", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &cl->json, "Write a JSON report", "FILE"},
        {"html", 0, 0, G_OPTION_ARG_FILENAME, &cl->html,
         "Write an HTML report: spec sections by QEMU, the known deviations, every case", "FILE"},
        {"capture", 0, 0, G_OPTION_ARG_FILENAME, &cl->capture,
         "Record the run's SPICE traffic (dumpcap on lo) and add it, decoded, to the report", "FILE"},
        {"plugin", 0, 0, G_OPTION_ARG_FILENAME, &cl->plugin, "spicepower.so used to decode --capture", "PATH"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("- check QEMU and SPICE power channels against docs/");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, argc, argv, &err))
        vc_usage_error("%s", err->message);
}

static void check_options(const VcCommandLine *cl)
{
    if (!(cl->timeout_s > 0 && cl->timeout_s <= 3600))
        vc_usage_error("--timeout must be between 0 and 3600 seconds, got %g", cl->timeout_s);
    if (cl->jobs < 1 || cl->jobs > 64)
        vc_usage_error("--jobs must be between 1 and 64, got %d", cl->jobs);
    for (char **s = cl->suite_names; s && *s; s++)
        if (!g_strv_contains(vc_suites(), *s))
            vc_usage_error("unknown suite '%s' (known: %s)", *s, vc_suites_text());
    if (cl->password_file && !cl->spice)
        vc_usage_error("--password-file needs --spice");
    if (cl->spice && !strchr(cl->spice, ':'))
        vc_usage_error("--spice wants HOST:PORT, got '%s'", cl->spice);
    if (cl->spice && cl->power_qemus)
        vc_usage_error("--spice and --power-qemu each name the power endpoint; give one of them");
    if (cl->spice && cl->qemus && g_strv_length(cl->qemus) > 1)
        vc_usage_error("--spice tests one endpoint; give at most one --qemu with it");
}

void vc_parse_command_line(int argc, char **argv, VcCommandLine *cl)
{
    *cl = (VcCommandLine){.timeout_s = 60, .jobs = 2};
    parse_options(&argc, &argv, cl);
    if (argc > 1)
        vc_usage_error("unexpected argument '%s'", argv[1]);
    check_options(cl);
    /* One endpoint shared by every case: a SPICE server commonly serves one client at a time, and a
     * new session would disconnect another case's. */
    if (cl->spice)
        cl->jobs = 1;
}
