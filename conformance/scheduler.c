#include "scheduler.h"

#include <poll.h>

#include "expectations.h"
#include "report.h"

typedef struct {
    GPtrArray *cases;
    GPtrArray *targets; /* run item i is case i % cases->len on target i / cases->len */
    guint items;
    guint jobs;
    const char *run_dir;
    VcResultHook hook;
    gpointer hook_data;
    VcRunning **running; /* per item: set from its start until its result is in */
    GPtrArray *results;  /* per item: NULL until its result is in */
    guint next_to_start, next_to_report, in_flight;
} Schedule;

static void start_cases(Schedule *s)
{
    while (s->in_flight < s->jobs && s->next_to_start < s->items) {
        guint i = s->next_to_start;
        const VcTarget *t = g_ptr_array_index(s->targets, i / s->cases->len);
        s->running[i] = vc_case_start(g_ptr_array_index(s->cases, i % s->cases->len), &t->opts, s->run_dir);
        s->next_to_start++;
        s->in_flight++;
    }
}

static void finish_case(Schedule *s, guint i)
{
    VcResult *r = vc_case_finish(s->running[i]);
    s->running[i] = NULL;
    r->target_index = i / s->cases->len;
    r->target = ((const VcTarget *)g_ptr_array_index(s->targets, r->target_index))->label;
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

GPtrArray *vc_run_cases(GPtrArray *cases, GPtrArray *targets, int jobs, const char *run_dir, VcResultHook hook,
                        gpointer hook_data, FILE *tap)
{
    Schedule s = {
        .cases = cases,
        .targets = targets,
        .items = cases->len * targets->len,
        .jobs = (guint)jobs,
        .run_dir = run_dir,
        .hook = hook,
        .hook_data = hook_data,
        .running = g_new0(VcRunning *, cases->len * targets->len),
        .results = g_ptr_array_new_with_free_func((GDestroyNotify)vc_result_free),
    };
    g_ptr_array_set_size(s.results, s.items);
    vc_tap_begin(tap, s.items);
    for (guint t = 0; t < targets->len; t++) {
        const VcTarget *target = g_ptr_array_index(targets, t);
        fprintf(tap, "# target %s: %s%s\n", target->label, target->opts.qemu,
                target->deviations ? vc_expectations_describe(target->deviations) : "");
    }
    while (s.next_to_report < s.items) {
        start_cases(&s);
        collect_cases(&s);
        while (s.next_to_report < s.next_to_start && g_ptr_array_index(s.results, s.next_to_report)) {
            vc_tap_result(tap, s.next_to_report + 1, g_ptr_array_index(s.results, s.next_to_report),
                          targets->len > 1);
            s.next_to_report++;
        }
    }
    g_free(s.running);
    return s.results;
}
