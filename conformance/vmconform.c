/* vmconform: boots QEMU and checks reset, power-off and snapshot-job outcomes against docs/.
 * Exit status: 0 all passed (known deviations allowed), 1 something failed, 2 usage or environment. */
#include <errno.h>
#include <poll.h>
#include <fnmatch.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case-list.h"
#include "capture.h"
#include "case-runner.h"
#include "expectations.h"
#include "guest.h"
#include "report.h"

#define VC_ENTRY(suite_id, suite, name, doc, section, flags, summary)                                  \
    {suite, #name, doc, section, summary, flags, vc_case_##suite_id##__##name},
static const VcCase registry[] = {VC_CASES(VC_ENTRY)};
#undef VC_ENTRY

static const char *const suites[] = {"power", "snapshot", "qmp-power"};

static G_NORETURN void usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static G_NORETURN void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vmconform: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static gboolean known_suite(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(suites); i++)
        if (strcmp(suites[i], name) == 0)
            return TRUE;
    return FALSE;
}

static gboolean selected(const VcCase *c, char **case_globs, char **suite_names, gboolean smoke)
{
    if (smoke && !(c->flags & VC_SMOKE))
        return FALSE;
    if (suite_names && !g_strv_contains((const char *const *)suite_names, c->suite))
        return FALSE;
    if (!case_globs)
        return TRUE;
    g_autofree char *id = g_strdup_printf("%s.%s", c->suite, c->name);
    for (char **g = case_globs; *g; g++)
        if (fnmatch(*g, id, 0) == 0 || fnmatch(*g, c->name, 0) == 0)
            return TRUE;
    return FALSE;
}

/* "QEMU emulator version 7.2.22 (...)" -> "qemu-7.2"; NULL when QEMU does not run. */
static char *qemu_implementation(const char *qemu)
{
    g_autofree char *out = NULL;
    const char *argv[] = {qemu, "--version", NULL};
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL, NULL))
        return NULL;
    int major, minor;
    const char *v = out ? strstr(out, "version ") : NULL;
    if (!v || sscanf(v, "version %d.%d", &major, &minor) != 2)
        return NULL;
    return g_strdup_printf("qemu-%d.%d", major, minor);
}

int main(int argc, char **argv)
{
    gboolean list = FALSE, smoke = FALSE;
    char **case_globs = NULL, **suite_names = NULL;
    char *qemu = NULL, *bridge = NULL, *guest = NULL, *spice = NULL, *password_file = NULL;
    char *junit = NULL, *json = NULL, *expect = NULL, *capture_path = NULL, *plugin = NULL;
    double timeout = 60;
    int jobs = 2;
    GOptionEntry entries[] = {
        {"list", 0, 0, G_OPTION_ARG_NONE, &list, "List the selected cases and exit", NULL},
        {"case", 0, 0, G_OPTION_ARG_STRING_ARRAY, &case_globs, "Run cases matching GLOB (suite.name or name)", "GLOB"},
        {"suite", 0, 0, G_OPTION_ARG_STRING_ARRAY, &suite_names, "Run one suite: power, snapshot, qmp-power", "NAME"},
        {"smoke", 0, 0, G_OPTION_ARG_NONE, &smoke, "Run only the short smoke subset", NULL},
        {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, "Deadline per case in seconds (default 60)", "S"},
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Cases run at once (default 2)", "N"},
        {"qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu, "QEMU binary (default qemu-system-x86_64)", "PATH"},
        {"bridge", 0, 0, G_OPTION_ARG_FILENAME, &bridge, "spice-power-bridge binary", "PATH"},
        {"guest", 0, 0, G_OPTION_ARG_FILENAME, &guest, "Boot-sector guest image", "PATH"},
        {"spice", 0, 0, G_OPTION_ARG_STRING, &spice, "Test this SPICE endpoint instead of the bridge", "HOST:PORT"},
        {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "Ticket for --spice", "FILE"},
        {"expect", 0, 0, G_OPTION_ARG_STRING, &expect,
         "Tolerate the known deviations of this QEMU release, or none (default: the version QEMU reports)", "RELEASE"},
        {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit, "Write a JUnit XML report", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &json, "Write a JSON report", "FILE"},
        {"capture", 0, 0, G_OPTION_ARG_FILENAME, &capture_path,
         "Record the run's SPICE traffic (dumpcap on lo) and add it, decoded, to the report", "FILE"},
        {"plugin", 0, 0, G_OPTION_ARG_FILENAME, &plugin, "spicepower.so used to decode --capture", "PATH"},
        {NULL},
    };
    g_autoptr(GOptionContext) octx = g_option_context_new("- check QEMU and SPICE power channels against docs/");
    g_option_context_add_main_entries(octx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(octx, &argc, &argv, &err))
        usage_error("%s", err->message);
    if (argc > 1)
        usage_error("unexpected argument '%s'", argv[1]);
    if (!(timeout > 0 && timeout <= 3600))
        usage_error("--timeout must be between 0 and 3600 seconds, got %g", timeout);
    if (jobs < 1 || jobs > 64)
        usage_error("--jobs must be between 1 and 64, got %d", jobs);
    for (char **s = suite_names; s && *s; s++)
        if (!known_suite(*s))
            usage_error("unknown suite '%s' (known: power, snapshot, qmp-power)", *s);
    if (password_file && !spice)
        usage_error("--password-file needs --spice");
    if (spice && !strchr(spice, ':'))
        usage_error("--spice wants HOST:PORT, got '%s'", spice);
    /* One endpoint shared by every case: a SPICE server commonly serves one client at a time, and a
     * new session would disconnect another case's. */
    if (spice)
        jobs = 1;

    GPtrArray *chosen = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++)
        if (selected(&registry[i], case_globs, suite_names, smoke))
            g_ptr_array_add(chosen, (gpointer)&registry[i]);
    if (chosen->len == 0)
        usage_error("no case matches the selection (try --list)");

    if (list) {
        for (guint i = 0; i < chosen->len; i++) {
            const VcCase *c = g_ptr_array_index(chosen, i);
            printf("%s.%s\t%s §%s\t%s\n", c->suite, c->name, c->doc, c->section, c->summary);
        }
        return 0;
    }

    VcOptions opts = {
        .qemu = qemu ? qemu : "qemu-system-x86_64",
        .bridge = bridge ? bridge : VMCONFORM_DEFAULT_BRIDGE,
        .guest_image = guest ? guest : spp_guest_image_path(),
        .spice_target = spice,
        .password_file = password_file,
        .timeout_s = timeout,
    };
    g_autofree char *qemu_path = g_find_program_in_path(opts.qemu);
    if (!qemu_path)
        usage_error("QEMU binary '%s' not found (install the Debian package qemu-system-x86 or pass --qemu)", opts.qemu);
    opts.qemu = qemu_path;
    if (!g_file_test(opts.guest_image, G_FILE_TEST_IS_REGULAR))
        usage_error("guest image '%s' not found (build the project or pass --guest)", opts.guest_image);
    if (password_file && !g_file_test(password_file, G_FILE_TEST_IS_REGULAR))
        usage_error("password file '%s' not found", password_file);
    if (!plugin)
        plugin = g_strdup(VMCONFORM_DEFAULT_PLUGIN);
    if (capture_path) {
        g_autofree char *dumpcap = g_find_program_in_path("dumpcap");
        if (!dumpcap)
            usage_error("--capture needs dumpcap (install the Debian package wireshark-common)");
        if (!g_file_test(plugin, G_FILE_TEST_IS_REGULAR))
            usage_error("--capture needs the spicepower plugin; '%s' not found (build WITH_DISSECTOR or pass --plugin)",
                        plugin);
    }
    g_autofree char *implementation = qemu_implementation(opts.qemu);
    if (!implementation)
        usage_error("'%s --version' did not report a QEMU version", opts.qemu);

    g_autoptr(VcExpectations) deviations = vc_expectations_for(expect ? expect : implementation, &err);
    if (!deviations)
        usage_error("--expect: %s", err->message);

    const char *tmp_root = g_getenv("TMPDIR");
    g_autofree char *run_dir = g_build_filename(tmp_root && *tmp_root ? tmp_root : "/tmp", "vmconform-XXXXXX", NULL);
    if (!g_mkdtemp(run_dir))
        usage_error("cannot create a run directory: %s", g_strerror(errno));

    VcCapture *capture = NULL;
    if (capture_path && !(capture = vc_capture_start(capture_path, &err)))
        usage_error("--capture: %s", err->message);
    vc_runner_init();
    fprintf(stderr, "vmconform: %u case(s) against %s (%s), %d at a time%s\n", chosen->len, opts.qemu,
            implementation, jobs, vc_expectations_describe(deviations));
    vc_tap_begin(stdout, chosen->len);
    GPtrArray *results = g_ptr_array_new_with_free_func((GDestroyNotify)vc_result_free);
    g_ptr_array_set_size(results, chosen->len);
    VcRunning **running = g_new0(VcRunning *, chosen->len);
    guint next_to_start = 0, next_to_report = 0, in_flight = 0;
    gboolean failed = FALSE;
    /* Cases run up to `jobs` at a time; results are reported in registry order. */
    while (next_to_report < chosen->len) {
        while (in_flight < (guint)jobs && next_to_start < chosen->len) {
            running[next_to_start] = vc_case_start(g_ptr_array_index(chosen, next_to_start), &opts, run_dir);
            next_to_start++;
            in_flight++;
        }
        GArray *fds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
        GArray *owners = g_array_new(FALSE, FALSE, sizeof(guint));
        gint64 soonest = G_MAXINT64;
        for (guint i = next_to_report; i < next_to_start; i++) {
            if (!running[i])
                continue;
            struct pollfd p = {vc_case_fd(running[i]), POLLIN, 0};
            g_array_append_val(fds, p);
            g_array_append_val(owners, i);
            soonest = MIN(soonest, vc_case_deadline(running[i]));
        }
        gint64 wait_ms = soonest == G_MAXINT64 ? 0 : MAX(0, (soonest - g_get_monotonic_time()) / 1000 + 1);
        if (fds->len)
            poll((struct pollfd *)fds->data, fds->len, (int)MIN(wait_ms, 1000));
        for (guint k = 0; k < fds->len; k++) {
            guint i = g_array_index(owners, guint, k);
            struct pollfd *p = &g_array_index(fds, struct pollfd, k);
            gboolean done = p->fd < 0 || ((p->revents & (POLLIN | POLLHUP | POLLERR)) && vc_case_feed(running[i]));
            if (done || g_get_monotonic_time() >= vc_case_deadline(running[i])) {
                VcResult *r = vc_case_finish(running[i]);
                running[i] = NULL;
                in_flight--;
                r->known_deviation = vc_expectations_reason(deviations, r->c);
                failed |= vc_result_is_failure(r);
                g_ptr_array_index(results, i) = r;
            }
        }
        g_array_free(fds, TRUE);
        g_array_free(owners, TRUE);
        while (next_to_report < next_to_start && g_ptr_array_index(results, next_to_report)) {
            vc_tap_result(stdout, next_to_report + 1, g_ptr_array_index(results, next_to_report));
            next_to_report++;
        }
    }
    g_free(running);
    g_rmdir(run_dir);
    g_autofree char *decoded = NULL;
    if (capture) {
        vc_capture_stop(capture);
        decoded = vc_capture_decode(capture_path, plugin, &err);
        if (!decoded) {
            fprintf(stderr, "vmconform: --capture: %s\n", err->message);
            g_clear_error(&err);
        }
        vc_print_capture(stdout, capture_path, decoded);
    }
    vc_print_summary(stdout, results);

    g_autofree char *target = g_strdup_printf("%s (%s)", implementation, spice ? spice : "spice-power-bridge");
    if (junit && !vc_write_junit(junit, results, target, decoded, &err))
        usage_error("cannot write %s: %s", junit, err->message);
    if (json && !vc_write_json(json, results, target, capture_path, decoded, &err))
        usage_error("cannot write %s: %s", json, err->message);
    g_ptr_array_unref(results);
    g_ptr_array_free(chosen, TRUE);
    return failed ? 1 : 0;
}
