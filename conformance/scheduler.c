#include "scheduler.h"

#include <poll.h>

#include "report.h"

typedef struct {
    GPtrArray *cases;
    const VcOptions *opts;
    guint jobs;
    const char *run_dir;
    VcResultHook hook;
    gpointer hook_data;
    VcRunning **running; /* per case: set from its start until its result is in */
    GPtrArray *results;  /* per case: NULL until its result is in */
    guint next_to_start, next_to_report, in_flight;
} Schedule;

static void start_cases(Schedule *s)
{
    while (s->in_flight < s->jobs && s->next_to_start < s->cases->len) {
        s->running[s->next_to_start] =
            vc_case_start(g_ptr_array_index(s->cases, s->next_to_start), s->opts, s->run_dir);
        s->next_to_start++;
        s->in_flight++;
    }
}

static void finish_case(Schedule *s, guint i)
{
    VcResult *r = vc_case_finish(s->running[i]);
    s->running[i] = NULL;
    s->in_flight--;
    if (s->hook)
        s->hook(r, s->hook_data);
    g_ptr_array_index(s->results, i) = r;
}

/* Waits until a running case has something to say or the soonest deadline (at most 1 s), then
 * finishes every case that reached the end of its verdict or its deadline. */
static void collect_cases(Schedule *s)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    GArray *owners = g_array_new(FALSE, FALSE, sizeof(guint));
    gint64 soonest = G_MAXINT64;
    for (guint i = s->next_to_report; i < s->next_to_start; i++) {
        if (!s->running[i])
            continue;
        struct pollfd p = {vc_case_fd(s->running[i]), POLLIN, 0};
        g_array_append_val(fds, p);
        g_array_append_val(owners, i);
        soonest = MIN(soonest, vc_case_deadline(s->running[i]));
    }
    gint64 wait_ms = soonest == G_MAXINT64 ? 0 : MAX(0, (soonest - g_get_monotonic_time()) / 1000 + 1);
    if (fds->len)
        poll((struct pollfd *)fds->data, fds->len, (int)MIN(wait_ms, 1000));
    for (guint k = 0; k < fds->len; k++) {
        guint i = g_array_index(owners, guint, k);
        struct pollfd *p = &g_array_index(fds, struct pollfd, k);
        gboolean done = p->fd < 0 || ((p->revents & (POLLIN | POLLHUP | POLLERR)) && vc_case_feed(s->running[i]));
        if (done || g_get_monotonic_time() >= vc_case_deadline(s->running[i]))
            finish_case(s, i);
    }
    g_array_free(fds, TRUE);
    g_array_free(owners, TRUE);
}

GPtrArray *vc_run_cases(GPtrArray *cases, const VcOptions *opts, int jobs, const char *run_dir, VcResultHook hook,
                        gpointer hook_data, FILE *tap)
{
    Schedule s = {
        .cases = cases,
        .opts = opts,
        .jobs = (guint)jobs,
        .run_dir = run_dir,
        .hook = hook,
        .hook_data = hook_data,
        .running = g_new0(VcRunning *, cases->len),
        .results = g_ptr_array_new_with_free_func((GDestroyNotify)vc_result_free),
    };
    g_ptr_array_set_size(s.results, cases->len);
    vc_tap_begin(tap, cases->len);
    while (s.next_to_report < cases->len) {
        start_cases(&s);
        collect_cases(&s);
        while (s.next_to_report < s.next_to_start && g_ptr_array_index(s.results, s.next_to_report)) {
            vc_tap_result(tap, s.next_to_report + 1, g_ptr_array_index(s.results, s.next_to_report));
            s.next_to_report++;
        }
    }
    g_free(s.running);
    return s.results;
}
