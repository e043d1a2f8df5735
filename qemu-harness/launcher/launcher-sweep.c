/* Removing the temp dirs of launches whose process died by SIGKILL (the one
 * case the registry's handlers cannot see). Each launch dir holds owner.pid
 * (the launching process) and qemu.pid; a dir is stale only when its owner is
 * gone *and* nothing accepts on its QMP socket, which also protects launches
 * of processes in another PID namespace that share /tmp. */
#define _GNU_SOURCE
#include "launcher-sweep.h"

#include "launcher-registry.h"
#include "launcher.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define OWNER_FILE "owner.pid"
#define QEMU_FILE "qemu.pid"

static gboolean write_pid(const char *dir, const char *file, pid_t pid)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = g_strdup_printf("%d\n", (int)pid);
    return g_file_set_contents(path, text, -1, NULL);
}

gboolean spp_sweep_mark_owner(const char *tmpdir)
{
    return write_pid(tmpdir, OWNER_FILE, getpid());
}

gboolean spp_sweep_mark_qemu(const char *tmpdir, pid_t qemu)
{
    return write_pid(tmpdir, QEMU_FILE, qemu);
}

static pid_t read_pid(const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    gint64 pid = g_ascii_strtoll(text, NULL, 10);
    return pid > 0 && pid < G_MAXINT ? (pid_t)pid : 0;
}

static gboolean process_exists(pid_t pid)
{
    return kill(pid, 0) == 0 || errno == EPERM;
}

static gboolean socket_accepts(const char *path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path)
        return FALSE;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return FALSE;
    gboolean accepted = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return accepted;
}

/* TRUE if pid is a process whose command line mentions dir (i.e. our QEMU). */
static gboolean is_qemu_of(pid_t pid, const char *dir)
{
    g_autofree char *cmdline_path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    g_autofree char *cmdline = NULL;
    gsize length = 0;
    if (!g_file_get_contents(cmdline_path, &cmdline, &length, NULL))
        return FALSE;
    for (gsize i = 0; i < length; i++)
        if (cmdline[i] == '\0')
            cmdline[i] = ' ';
    return strstr(cmdline, dir) != NULL;
}

/* Only a directory this user made as mkdtemp() makes them (mode 0700) can be a launch dir of ours:
 * /tmp is shared, and a symlink or a directory that another user planted under the same name must
 * not make us read, kill or delete anything. */
static gboolean is_own_private_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 0077) == 0;
}

guint spp_launcher_sweep_stale(void)
{
    const char *tmp = g_get_tmp_dir();
    g_autoptr(GDir) listing = g_dir_open(tmp, 0, NULL);
    if (listing == NULL)
        return 0;
    guint removed = 0;
    const char *name;
    while ((name = g_dir_read_name(listing)) != NULL) {
        if (!g_str_has_prefix(name, "spp-qemu-"))
            continue;
        g_autofree char *dir = g_build_filename(tmp, name, NULL);
        if (!is_own_private_dir(dir))
            continue;
        pid_t owner = read_pid(dir, OWNER_FILE);
        if (owner == 0 || owner == getpid() || process_exists(owner))
            continue; /* not ours to judge, ours, or still in use */
        g_autofree char *qmp = g_build_filename(dir, "qmp.sock", NULL);
        if (socket_accepts(qmp))
            continue;
        pid_t qemu = read_pid(dir, QEMU_FILE);
        if (qemu > 0 && is_qemu_of(qemu, dir)) {
            kill(-qemu, SIGKILL);
            kill(qemu, SIGKILL);
        }
        spp_registry_remove_flat_dir(dir);
        if (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
            g_debug("removed stale launch dir %s", dir);
            removed++;
        }
    }
    return removed;
}
