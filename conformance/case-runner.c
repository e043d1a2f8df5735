/* One case = one child process. The child reports its verdict as tab-separated, escaped lines on a
 * pipe; the parent enforces the deadline, so a hung QEMU or a wedged socket costs one case, never
 * the run. */
#define _GNU_SOURCE
#include "case-runner.h"
#include "citations.h"
#include "spp_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct VcContext {
    const VcCase *c;
    const VcOptions *opts;
    int verdict_fd;
    gint64 deadline_us;
};

const VcOptions *vc_options(VcContext *ctx)
{
    return ctx->opts;
}

gint64 vc_remaining_ms(VcContext *ctx)
{
    gint64 left = (ctx->deadline_us - g_get_monotonic_time()) / 1000;
    return left > 0 ? left : 0;
}

static void write_field(VcContext *ctx, const char *key, const char *value)
{
    g_autofree char *escaped = g_strescape(value ? value : "", NULL);
    g_autofree char *line = g_strdup_printf("%s\t%s\n", key, escaped);
    if (spp_io_write_all(ctx->verdict_fd, line, strlen(line), -1, NULL, NULL) != SPP_IO_OK)
        _exit(3);
}

void vc_progress(VcContext *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    const char *label = ctx->opts->target_label;
    fprintf(stderr, "vmconform: %s%s%s.%s: %s\n", label ? label : "", label ? ": " : "", ctx->c->suite, ctx->c->name,
            text);
}

void vc_diag(VcContext *ctx, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *field = g_strconcat("diag.", key, NULL);
    write_field(ctx, field, text);
}

static G_NORETURN void verdict(VcContext *ctx, const char *status, const char *required, const char *message)
{
    if (required)
        write_field(ctx, "required", required);
    if (message)
        write_field(ctx, "message", message);
    write_field(ctx, "status", status);
    /* exit(), not _exit(): the launcher's exit handlers tear down QEMU and its temp dir. */
    exit(0);
}

/* A failure sends the citation's parts too, so that the JSON report can carry them apart; a
 * scenario step (VC_STEP) has no spec and no section. */
void vc_fail(VcContext *ctx, const VcCitation *required, const char *got_fmt, ...)
{
    va_list ap;
    va_start(ap, got_fmt);
    g_autofree char *got = g_strdup_vprintf(got_fmt, ap);
    va_end(ap);
    if (required->doc) {
        g_autofree char *source = vc_citation_source(required);
        write_field(ctx, "cited.doc", required->doc);
        write_field(ctx, "cited.section", required->section);
        write_field(ctx, "cited.text", required->text);
        write_field(ctx, "cited.source", source);
    }
    g_autofree char *text = vc_citation_format(required);
    verdict(ctx, "fail", text, got);
}

void vc_skip(VcContext *ctx, const char *reason_fmt, ...)
{
    va_list ap;
    va_start(ap, reason_fmt);
    g_autofree char *reason = g_strdup_vprintf(reason_fmt, ap);
    va_end(ap);
    verdict(ctx, "skip", NULL, reason);
}

void vc_broken(VcContext *ctx, const char *what_fmt, ...)
{
    va_list ap;
    va_start(ap, what_fmt);
    g_autofree char *what = g_strdup_vprintf(what_fmt, ap);
    va_end(ap);
    verdict(ctx, "broken", NULL, what);
}

const char *vc_status_name(VcStatus s)
{
    static const char *const names[] = {"pass", "fail", "skip", "broken", "timeout", "crash"};
    return names[s];
}

gboolean vc_result_is_failure(const VcResult *r)
{
    return r->status != VC_STATUS_PASS && r->status != VC_STATUS_SKIP && !r->known_deviation;
}

void vc_result_free(VcResult *r)
{
    if (!r)
        return;
    g_free(r->required);
    g_free(r->cited.doc);
    g_free(r->cited.section);
    g_free(r->cited.text);
    g_free(r->cited.source);
    g_free(r->message);
    g_free(r->known_deviation);
    g_ptr_array_unref(r->diag);
    g_free(r);
}

static G_NORETURN void run_child(const VcCase *c, const VcOptions *opts, int fd, const char *tmpdir,
                                 gint64 deadline_us)
{
    setpgid(0, 0);
    /* The case's own temp files (QEMU's sockets, disks) land in a directory the parent removes. */
    g_setenv("TMPDIR", tmpdir, TRUE);
    VcContext ctx = {c, opts, fd, deadline_us};
    c->run(&ctx);
    verdict(&ctx, "pass", NULL, NULL);
}

/* Where a verdict field's value goes; NULL for the status and diagnostics, handled apart. */
static char **text_field(VcResult *r, const char *key)
{
    struct {
        const char *key;
        char **slot;
    } fields[] = {
        {"required", &r->required},       {"message", &r->message},
        {"cited.doc", &r->cited.doc},     {"cited.section", &r->cited.section},
        {"cited.text", &r->cited.text},   {"cited.source", &r->cited.source},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        if (strcmp(key, fields[i].key) == 0)
            return fields[i].slot;
    return NULL;
}

static void apply_field(VcResult *r, const char *line)
{
    const char *tab = strchr(line, '\t');
    if (!tab)
        return;
    g_autofree char *key = g_strndup(line, (gsize)(tab - line));
    char *value = g_strcompress(tab + 1);
    char **slot = text_field(r, key);
    if (slot) {
        g_free(*slot);
        *slot = value;
    } else if (strcmp(key, "status") == 0) {
        static const VcStatus codes[] = {VC_STATUS_PASS, VC_STATUS_FAIL, VC_STATUS_SKIP, VC_STATUS_BROKEN};
        for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
            if (strcmp(value, vc_status_name(codes[i])) == 0)
                r->status = codes[i];
        g_free(value);
    } else if (g_str_has_prefix(key, "diag.")) {
        g_ptr_array_add(r->diag, g_strdup(key + 5));
        g_ptr_array_add(r->diag, value);
    } else {
        g_free(value);
    }
}

static void remove_tree(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    if (dir) {
        const char *name;
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
                remove_tree(child);
            else
                g_unlink(child);
        }
        g_dir_close(dir);
    }
    g_rmdir(path);
}

static GHashTable *spared_pids; /* vmconform's own helpers, e.g. dumpcap */

void vc_runner_spare_pid(pid_t pid)
{
    if (!spared_pids)
        spared_pids = g_hash_table_new(NULL, NULL);
    g_hash_table_add(spared_pids, GINT_TO_POINTER((int)pid));
}

/* Orphans have vmconform as parent (it is a subreaper); running case processes do too, and are
 * spared: `running` holds their pids. Each orphan is killed and reaped by pid, so a running case's
 * exit status is never consumed here. */
static int reap_orphans(GHashTable *running)
{
    int killed = 0;
    pid_t self = getpid();
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    struct dirent *de;
    while ((de = readdir(proc))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || g_hash_table_contains(running, GINT_TO_POINTER((int)pid)) ||
            (spared_pids && g_hash_table_contains(spared_pids, GINT_TO_POINTER((int)pid))))
            continue;
        g_autofree char *stat_path = g_strdup_printf("/proc/%ld/stat", pid);
        g_autofree char *stat = NULL;
        if (!g_file_get_contents(stat_path, &stat, NULL, NULL))
            continue;
        /* Field 4 (ppid) follows the parenthesised command name, which may contain spaces. */
        const char *after = strrchr(stat, ')');
        char state;
        long ppid;
        if (!after || sscanf(after + 1, " %c %ld", &state, &ppid) != 2 || ppid != self)
            continue;
        kill((pid_t)pid, SIGKILL);
        while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
            ;
        killed++;
    }
    closedir(proc);
    return killed;
}

struct VcRunning {
    VcResult *result;
    const VcOptions *opts;
    pid_t pid;
    int fd;
    gint64 start, deadline;
    GString *verdict;
    char *tmpdir;
};

static GHashTable *running_pids; /* pid -> VcRunning */

VcRunning *vc_case_start(const VcCase *c, const VcOptions *opts, const char *run_dir)
{
    static unsigned serial;
    VcRunning *run = g_new0(VcRunning, 1);
    VcResult *r = run->result = g_new0(VcResult, 1);
    r->c = c;
    r->status = VC_STATUS_CRASH;
    r->diag = g_ptr_array_new_with_free_func(g_free);
    run->opts = opts;
    run->fd = -1;
    run->verdict = g_string_new(NULL);
    run->tmpdir = g_strdup_printf("%s/case-%u", run_dir, ++serial);
    g_mkdir_with_parents(run->tmpdir, 0700);
    run->start = g_get_monotonic_time();
    run->deadline = run->start + (gint64)(opts->timeout_s * G_USEC_PER_SEC);

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        r->status = VC_STATUS_BROKEN;
        r->message = g_strdup_printf("pipe: %s", g_strerror(errno));
        return run;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        r->status = VC_STATUS_BROKEN;
        r->message = g_strdup_printf("fork: %s", g_strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return run;
    }
    if (pid == 0) {
        close(pipefd[0]);
        run_child(c, opts, pipefd[1], run->tmpdir, run->deadline);
    }
    setpgid(pid, pid);
    close(pipefd[1]);
    run->pid = pid;
    run->fd = pipefd[0];
    fcntl(run->fd, F_SETFL, O_NONBLOCK);
    if (!running_pids)
        running_pids = g_hash_table_new(NULL, NULL);
    g_hash_table_insert(running_pids, GINT_TO_POINTER(pid), run);
    return run;
}

int vc_case_fd(const VcRunning *run)
{
    return run->fd;
}

gint64 vc_case_deadline(const VcRunning *run)
{
    return run->deadline;
}

gboolean vc_case_feed(VcRunning *run)
{
    if (run->fd < 0)
        return TRUE;
    for (;;) {
        char chunk[4096];
        ssize_t got = read(run->fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
            return FALSE;
        if (got <= 0)
            return TRUE;
        g_string_append_len(run->verdict, chunk, got);
        if ((size_t)got < sizeof chunk)
            return FALSE;
    }
}

VcResult *vc_case_finish(VcRunning *run)
{
    VcResult *r = run->result;
    gboolean timed_out = run->fd >= 0 && g_get_monotonic_time() >= run->deadline;
    if (run->fd >= 0)
        close(run->fd);
    int wstatus = 0;
    if (run->pid > 0) {
        if (timed_out) {
            kill(-run->pid, SIGKILL);
            kill(run->pid, SIGKILL);
        }
        while (waitpid(run->pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        kill(-run->pid, SIGKILL); /* anything left in the case's process group */
        g_hash_table_remove(running_pids, GINT_TO_POINTER(run->pid));
        int leftovers = reap_orphans(running_pids);
        if (leftovers) {
            g_ptr_array_add(r->diag, g_strdup("leftover_processes_killed"));
            g_ptr_array_add(r->diag, g_strdup_printf("%d", leftovers));
        }
    }
    r->seconds = (double)(g_get_monotonic_time() - run->start) / G_USEC_PER_SEC;

    g_auto(GStrv) lines = g_strsplit(run->verdict->str, "\n", -1);
    for (char **l = lines; *l; l++)
        apply_field(r, *l);
    if (timed_out) {
        r->status = VC_STATUS_TIMEOUT;
        g_free(r->message);
        r->message = g_strdup_printf("no verdict within the %g s deadline; the case's processes were killed",
                                     run->opts->timeout_s);
    } else if (r->status == VC_STATUS_CRASH) {
        r->message = WIFSIGNALED(wstatus)
                         ? g_strdup_printf("case process died with signal %d (%s)", WTERMSIG(wstatus),
                                           g_strsignal(WTERMSIG(wstatus)))
                         : g_strdup_printf("case process exited with status %d and no verdict",
                                           WEXITSTATUS(wstatus));
    }
    remove_tree(run->tmpdir);
    g_free(run->tmpdir);
    g_string_free(run->verdict, TRUE);
    g_free(run);
    return r;
}

/* Orphans of a case (QEMU after its case died) are re-parented to us, so none escapes. */
void vc_runner_init(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}
