#define _GNU_SOURCE
#include "launcher-registry.h"

#include "launcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define REGISTRY_SLOTS 64

typedef struct {
    volatile sig_atomic_t in_use;
    volatile pid_t pid;             /* 0 = not spawned yet or already reaped */
    volatile sig_atomic_t keep_tmpdir;
    char tmpdir[PATH_MAX];
} Slot;

static Slot slots[REGISTRY_SLOTS];
/* The process whose QEMUs these are. A forked child inherits the table (and
 * the atexit handler) but must not kill its parent's QEMUs when it exits. */
static volatile pid_t registry_owner;
static const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction previous_actions[NSIG];
static volatile sig_atomic_t handler_installed[NSIG];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

void spp_registry_block_signals(sigset_t *saved)
{
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < G_N_ELEMENTS(handled_signals); i++)
        sigaddset(&block, handled_signals[i]);
    pthread_sigmask(SIG_BLOCK, &block, saved);
}

void spp_registry_restore_signals(const sigset_t *saved)
{
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}

void spp_registry_remove_flat_dir(const char *dir)
{
    /* A few passes: unlinking while reading a directory may make the reader
     * miss entries on some file systems, and rmdir tells us if it did. */
    for (int pass = 0; pass < 3; pass++) {
        /* O_NOFOLLOW: a launch dir is never a symlink, and one swapped in must not be followed. */
        int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
            return;
        /* getdents64 rather than readdir: readdir may allocate. */
        char buffer[4096] __attribute__((aligned(8)));
        long n;
        while ((n = syscall(SYS_getdents64, dir_fd, buffer, sizeof buffer)) > 0) {
            for (long offset = 0; offset < n;) {
                struct dirent64 *entry = (struct dirent64 *)(buffer + offset);
                offset += entry->d_reclen;
                if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
                    unlinkat(dir_fd, entry->d_name, 0);
            }
        }
        close(dir_fd);
        if (rmdir(dir) == 0 || errno != ENOTEMPTY)
            return;
    }
}

void spp_launcher_cleanup_all(void)
{
    int saved_errno = errno;
    if (registry_owner != getpid())
        return;
    for (int i = 0; i < REGISTRY_SLOTS; i++) {
        Slot *slot = &slots[i];
        if (!slot->in_use)
            continue;
        pid_t pid = slot->pid;
        if (pid > 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            slot->pid = 0;
        }
        if (!slot->keep_tmpdir)
            spp_registry_remove_flat_dir(slot->tmpdir);
        slot->in_use = 0;
    }
    errno = saved_errno;
}

guint spp_launcher_count_live(void)
{
    guint live = 0;
    for (int i = 0; i < REGISTRY_SLOTS; i++)
        live += slots[i].in_use ? 1 : 0;
    return live;
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context)
{
    spp_launcher_cleanup_all();
    const struct sigaction *previous = &previous_actions[sig];
    if ((previous->sa_flags & SA_SIGINFO) && previous->sa_sigaction != NULL) {
        previous->sa_sigaction(sig, info, context);
    } else if (!(previous->sa_flags & SA_SIGINFO) && previous->sa_handler != SIG_DFL &&
               previous->sa_handler != SIG_IGN) {
        previous->sa_handler(sig);
    } else {
        /* Die of the same signal, so the parent sees the real cause. The
         * signal is blocked while we run; it is delivered on return. */
        struct sigaction default_action = {.sa_handler = SIG_DFL};
        sigemptyset(&default_action.sa_mask);
        sigaction(sig, &default_action, NULL);
        raise(sig);
    }
}

static void install_handlers(void)
{
    registry_owner = getpid();
    atexit(spp_launcher_cleanup_all);
    for (size_t i = 0; i < G_N_ELEMENTS(handled_signals); i++) {
        int sig = handled_signals[i];
        struct sigaction current;
        if (sigaction(sig, NULL, &current) != 0)
            continue;
        /* An ignored signal stays ignored: nobody expects it to end the process. */
        if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN)
            continue;
        previous_actions[sig] = current;
        struct sigaction action = {.sa_sigaction = on_fatal_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
        sigemptyset(&action.sa_mask);
        for (size_t j = 0; j < G_N_ELEMENTS(handled_signals); j++)
            sigaddset(&action.sa_mask, handled_signals[j]);
        if (sigaction(sig, &action, NULL) == 0)
            handler_installed[sig] = 1;
    }
}

void spp_registry_reset_signals_in_child(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(handled_signals); i++) {
        int sig = handled_signals[i];
        if (!handler_installed[sig])
            continue;
        struct sigaction default_action = {.sa_handler = SIG_DFL};
        sigemptyset(&default_action.sa_mask);
        sigaction(sig, &default_action, NULL);
    }
}

int spp_registry_add(const char *tmpdir, gboolean keep_tmpdir)
{
    pthread_once(&install_once, install_handlers);
    if (strlen(tmpdir) >= PATH_MAX)
        return -1;
    sigset_t saved;
    spp_registry_block_signals(&saved);
    int found = -1;
    for (int i = 0; i < REGISTRY_SLOTS && found < 0; i++) {
        if (slots[i].in_use)
            continue;
        strcpy(slots[i].tmpdir, tmpdir);
        slots[i].pid = 0;
        slots[i].keep_tmpdir = keep_tmpdir;
        slots[i].in_use = 1;
        found = i;
    }
    spp_registry_restore_signals(&saved);
    return found;
}

void spp_registry_set_pid(int slot, pid_t pid)
{
    sigset_t saved;
    spp_registry_block_signals(&saved);
    slots[slot].pid = pid;
    spp_registry_restore_signals(&saved);
}

void spp_registry_remove(int slot)
{
    sigset_t saved;
    spp_registry_block_signals(&saved);
    slots[slot].in_use = 0;
    slots[slot].pid = 0;
    spp_registry_restore_signals(&saved);
}
