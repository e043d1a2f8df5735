/* The checks around every attack: the server process, its memory, and a legitimate client. */
#include <stdio.h>
#include <string.h>

#include "hostile.h"

G_DEFINE_QUARK(spp-hostile-error-quark, hostile_error)


/* A value of /proc/PID/status ("State:", "VmRSS:"), or NULL. */
static char *status_field(int pid, const char *field)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (g_str_has_prefix(line, field))
            return g_strstrip(g_strdup(line + strlen(field)));
        line = next;
    }
    return NULL;
}

gboolean hostile_process_alive(int pid, GError **error)
{
    g_autofree char *state = status_field(pid, "State:");
    /* A zombie is a process that ended but was not reaped yet (the bridge, a child of a test). */
    if (state && state[0] != 'Z' && state[0] != 'X')
        return TRUE;
    g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_DEAD, "the server process %d is gone (%s)", pid,
                state ? state : "no /proc entry");
    return FALSE;
}

gint64 hostile_process_rss_kib(int pid)
{
    g_autofree char *rss = status_field(pid, "VmRSS:");
    gint64 kib;
    return rss && sscanf(rss, "%" G_GINT64_FORMAT, &kib) == 1 ? kib : -1;
}

void hostile_run_init(HostileRun *run, const HostileTarget *target)
{
    run->target = target;
    run->rss_base_kib = target->pid > 0 ? hostile_process_rss_kib(target->pid) : -1;
    run->rss_peak_kib = run->rss_base_kib;
    run->notes = g_string_new(NULL);
}

void hostile_run_clear(HostileRun *run)
{
    g_string_free(run->notes, TRUE);
    run->notes = NULL;
}

void hostile_run_note(HostileRun *run, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    if (run->notes->len)
        g_string_append(run->notes, "; ");
    g_string_append_vprintf(run->notes, format, ap);
    va_end(ap);
}

gboolean hostile_run_sample_rss(HostileRun *run, GError **error)
{
    if (run->rss_base_kib < 0)
        return TRUE;
    gint64 now = hostile_process_rss_kib(run->target->pid);
    if (now < 0)
        return hostile_process_alive(run->target->pid, error);
    run->rss_peak_kib = MAX(run->rss_peak_kib, now);
    gint64 grown = run->rss_peak_kib - run->rss_base_kib;
    if (grown <= (gint64)run->target->rss_limit_mib * 1024)
        return TRUE;
    g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_MEMORY, "the server's RSS grew by %.1f MiB (from %.1f MiB), more than %d MiB",
                grown / 1024.0, run->rss_base_kib / 1024.0, run->target->rss_limit_mib);
    return FALSE;
}

HostileExpect hostile_expect_default(const HostileTarget *target)
{
    HostileExpect expect = {.link_ms = target->deadline_ms,
                            .result_ms = target->deadline_ms,
                            .total_ms = target->deadline_ms,
                            .require_ok = TRUE};
    return expect;
}

static double ms_since(gint64 start_us)
{
    return (g_get_monotonic_time() - start_us) / 1000.0;
}

/* Waits for STATE ON (the first STATE, then its changes). */
static gboolean wait_state_on(SppPowerChannel *power, int timeout_ms, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    int state = -1;
    while (state != SPP_POWER_STATE_ON) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        g_autoptr(GError) err = NULL;
        state = left > 0 ? spp_power_channel_expect_state(power, left, &err) : -1;
        if (state < 0) {
            g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "legitimate client: no STATE ON within %d ms%s%s",
                        timeout_ms, err ? ": " : "", err ? err->message : "");
            return FALSE;
        }
    }
    return TRUE;
}

/* Main then power link, each within link_ms. */
static gboolean legit_link(const HostileTarget *target, int link_ms, SppPowerSession **session,
                           SppPowerChannel **power, GError **error)
{
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) err = NULL;
    *session = spp_power_session_open(target->host, target->port, target->password, 0, link_ms, &err);
    if (*session) {
        *power = spp_power_channel_new();
        if (spp_power_channel_link(*power, *session, SPP_POWER_CHANNEL_ID, HOSTILE_POWER_CAPS, target->password, link_ms,
                                   &err))
            return TRUE;
    }
    g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "legitimate client: link failed or took over %d ms "
                "(%.0f ms): %s", link_ms, ms_since(start), err->message);
    return FALSE;
}

static gboolean legit_act(SppPowerChannel *power, const HostileExpect *expect, GError **error)
{
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) err = NULL;
    uint32_t code = 0;
    if (!spp_power_channel_act(power, SPP_MSGC_POWER_RESET, expect->result_ms, &code, &err)) {
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "legitimate client: RESET got no RESULT within %d ms: %s",
                    expect->result_ms, err->message);
        return FALSE;
    }
    if (expect->require_ok && code != SPP_POWER_RESULT_OK) {
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "legitimate client: RESET answered %s after %.0f ms, not OK",
                    spp_power_result_name(code), ms_since(start));
        return FALSE;
    }
    return TRUE;
}

gboolean hostile_legit_reset(const HostileTarget *target, const HostileExpect *expect, GError **error)
{
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    gint64 start = g_get_monotonic_time();
    if (!legit_link(target, expect->link_ms, &session, &power, error))
        return FALSE;
    if (expect->state_on_ms > 0) {
        if (!wait_state_on(power, expect->state_on_ms, error))
            return FALSE;
        start = g_get_monotonic_time();
    }
    if (!legit_act(power, expect, error))
        return FALSE;
    if (expect->total_ms > 0 && ms_since(start) > expect->total_ms) {
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "legitimate client: link and RESET took %.0f ms, more than %d ms",
                    ms_since(start), expect->total_ms);
        return FALSE;
    }
    return TRUE;
}

gboolean hostile_links_answered(const HostileTarget *target, int window_ms, int link_ms, GError **error)
{
    gint64 end = g_get_monotonic_time() + (gint64)window_ms * 1000;
    int links = 0;
    do {
        g_autoptr(SppPowerSession) session = NULL;
        g_autoptr(SppPowerChannel) power = NULL;
        if (!legit_link(target, link_ms, &session, &power, error)) {
            g_prefix_error(error, "link %d: ", links + 1);
            return FALSE;
        }
        links++;
    } while (g_get_monotonic_time() < end);
    return TRUE;
}

gboolean hostile_server_ok(HostileRun *run, GError **error)
{
    const HostileTarget *target = run->target;
    if (target->pid > 0 && !hostile_process_alive(target->pid, error))
        return FALSE;
    if (!hostile_run_sample_rss(run, error))
        return FALSE;
    HostileExpect expect = hostile_expect_default(target);
    if (!hostile_legit_reset(target, &expect, error))
        return FALSE;
    return target->pid <= 0 || hostile_process_alive(target->pid, error);
}
