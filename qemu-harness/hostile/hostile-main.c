/* spp-hostile: runs the named attacks against a SPICE endpoint with a power channel and checks it
 * after each (docs/hostile.md). TAP on stdout; exit 0 when every attack was survived, 1 when one
 * was not, 2 on a bad command line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

/* How long a server that failed an attack gets to finish dying before it is looked at. */
#define DEATH_GRACE_MS 200
#define USAGE "--spice HOST:PORT [--password-file FILE] [--pid PID] ATTACK... | all"

typedef struct {
    char *spice;
    char *password_file;
    int pid;
    int rss_limit_mib;
    int deadline_ms;
    gboolean list;
} Options;

static G_NORETURN void usage_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
static void usage_error(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    g_autofree char *text = g_strdup_vprintf(format, ap);
    va_end(ap);
    fprintf(stderr, "spp-hostile: %s\n", text);
    exit(2);
}

/* HOST:PORT, HOST possibly an IPv6 address in brackets. */
static void parse_endpoint(const char *text, HostileTarget *target)
{
    const char *colon = text ? strrchr(text, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (!colon || colon == text || !colon[1] || *end || port < 1 || port > 65535)
        usage_error("--spice wants HOST:PORT with a port from 1 to 65535, got '%s'", text ? text : "nothing");
    target->port = (int)port;
    if (text[0] == '[' && colon[-1] == ']')
        target->host = g_strndup(text + 1, (gsize)(colon - text - 2));
    else
        target->host = g_strndup(text, (gsize)(colon - text));
}

static char *read_password(const char *path)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &text, NULL, &err))
        usage_error("--password-file: %s", err->message);
    /* The first line is the password, as spice-power-bridge reads it. */
    text[strcspn(text, "\r\n")] = '\0';
    if (strlen(text) > SPP_TICKET_PASSWORD_MAX)
        usage_error("--password-file: the password is longer than SPICE's %d bytes", SPP_TICKET_PASSWORD_MAX);
    return g_steal_pointer(&text);
}

static void parse_options(int *argc, char ***argv, Options *opts)
{
    opts->rss_limit_mib = HOSTILE_RSS_LIMIT_MIB;
    opts->deadline_ms = HOSTILE_DEADLINE_MS;
    GOptionEntry entries[] = {
        {"spice", 0, 0, G_OPTION_ARG_STRING, &opts->spice, "The SPICE endpoint", "HOST:PORT"},
        {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->password_file, "SPICE ticket (first line of FILE)",
         "FILE"},
        {"pid", 0, 0, G_OPTION_ARG_INT, &opts->pid, "The server process: checked alive, its VmRSS bounded", "PID"},
        {"rss-limit-mib", 0, 0, G_OPTION_ARG_INT, &opts->rss_limit_mib, "Most RSS growth per attack (default 32)",
         "MIB"},
        {"deadline-ms", 0, 0, G_OPTION_ARG_INT, &opts->deadline_ms,
         "Link + RESET -> RESULT OK for a legitimate client (default 2000)", "MS"},
        {"list", 0, 0, G_OPTION_ARG_NONE, &opts->list, "List the attacks", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("ATTACK... - attack a SPICE endpoint's power channel");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &err))
        usage_error("%s", err->message);
}

static void list_attacks(void)
{
    for (gsize i = 0; i < hostile_n_attacks; i++)
        printf("%-16s %s\n", hostile_attacks[i].name, hostile_attacks[i].summary);
}

static GPtrArray *chosen_attacks(int argc, char **argv)
{
    if (argc < 2)
        usage_error("name at least one attack, or all (see --list); usage: spp-hostile %s", USAGE);
    GPtrArray *chosen = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "all") == 0) {
            for (gsize a = 0; a < hostile_n_attacks; a++)
                g_ptr_array_add(chosen, (gpointer)&hostile_attacks[a]);
            continue;
        }
        const HostileAttack *attack = hostile_find_attack(argv[i]);
        if (!attack)
            usage_error("unknown attack '%s' (see --list)", argv[i]);
        g_ptr_array_add(chosen, (gpointer)attack);
    }
    return chosen;
}

static void check_target(const Options *opts, HostileTarget *target)
{
    parse_endpoint(opts->spice, target);
    target->password = opts->password_file ? read_password(opts->password_file) : NULL;
    if (opts->pid < 0)
        usage_error("--pid wants a process id, got %d", opts->pid);
    if (opts->pid > 0 && !hostile_process_alive(opts->pid, NULL))
        usage_error("--pid %d: no such process", opts->pid);
    if (opts->rss_limit_mib < 1)
        usage_error("--rss-limit-mib wants at least 1, got %d", opts->rss_limit_mib);
    if (opts->deadline_ms < 1)
        usage_error("--deadline-ms wants at least 1, got %d", opts->deadline_ms);
    target->pid = opts->pid;
    target->rss_limit_mib = opts->rss_limit_mib;
    target->deadline_ms = opts->deadline_ms;
}

/* One attack and the checks after it, reported as one TAP line. */
static gboolean run_attack(const HostileTarget *target, const HostileAttack *attack, guint number)
{
    HostileRun run;
    hostile_run_init(&run, target);
    g_autoptr(GError) err = NULL;
    gint64 start = g_get_monotonic_time();
    gboolean ok = attack->fn(&run, &err) && hostile_server_ok(&run, &err);
    double seconds = (g_get_monotonic_time() - start) / 1e6;
    /* A reset or refused connection is often the server dying: say so, once it had time to. */
    if (!ok && target->pid > 0 && !g_error_matches(err, HOSTILE_ERROR, HOSTILE_ERROR_DEAD)) {
        g_usleep(DEATH_GRACE_MS * 1000);
        g_autoptr(GError) dead = NULL;
        if (!hostile_process_alive(target->pid, &dead))
            g_prefix_error(&err, "%s; ", dead->message);
    }
    if (ok)
        printf("ok %u - %s (%.1f s): %s\n", number, attack->name, seconds, run.notes->str);
    else
        printf("not ok %u - %s (%.1f s): %s\n", number, attack->name, seconds, err->message);
    if (run.rss_base_kib >= 0)
        printf("# %s: server RSS %.1f MiB before, peak %.1f MiB\n", attack->name, run.rss_base_kib / 1024.0,
               run.rss_peak_kib / 1024.0);
    fflush(stdout);
    hostile_run_clear(&run);
    return ok;
}

int main(int argc, char **argv)
{
    Options opts = {0};
    parse_options(&argc, &argv, &opts);
    if (opts.list) {
        list_attacks();
        return 0;
    }
    HostileTarget target = {0};
    check_target(&opts, &target);
    g_autoptr(GPtrArray) chosen = chosen_attacks(argc, argv);
    /* A server that goes away mid-write must fail the attack, not end this program. */
    signal(SIGPIPE, SIG_IGN);
    printf("1..%u\n", chosen->len);
    guint failed = 0;
    for (guint i = 0; i < chosen->len; i++)
        failed += !run_attack(&target, chosen->pdata[i], i + 1);
    g_free(target.host);
    g_free(target.password);
    g_free(opts.spice);
    g_free(opts.password_file);
    return failed ? 1 : 0;
}
