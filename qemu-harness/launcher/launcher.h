/* Starts and tears down a QEMU (qemu-system-x86_64, TCG) for tests.
 *
 * A launch owns a private temporary directory (g_dir_make_tmp) holding the
 * disks, the OVMF vars copy, the QMP sockets, the serial socket and QEMU's
 * stderr. QEMU runs in its own process group with PR_SET_PDEATHSIG=SIGKILL,
 * its stdio redirected (stdin /dev/null, stdout+stderr to <tmpdir>/stderr.log)
 * and no other file descriptor of the caller inherited.
 *
 * Teardown never leaves a QEMU or a temp dir behind: spp_launcher_free() kills
 * the process group and removes the directory; every live launch is also in
 * a process-wide registry that an atexit handler and SIGINT/SIGTERM/SIGHUP
 * handlers clean (the handlers chain to a previous handler, or re-raise the
 * signal with the default action). Only SIGKILL of the caller can leave the
 * directory behind (QEMU still dies through PDEATHSIG); the next process that
 * starts a launch removes it (spp_launcher_sweep_stale()).
 *
 * Two caveats. PR_SET_PDEATHSIG fires when the *thread* that started QEMU
 * exits, so start launches from a thread that outlives them (e.g. the main
 * thread). If you install your own SIGINT/SIGTERM handler after the first
 * launch, it replaces ours: call spp_launcher_cleanup_all() from it.
 *
 * Command line (see spp_launcher_get_argv()):
 *   qemu -machine pc,accel=tcg[,pflash0=..,pflash1=..] -nodefaults -display none -m <MiB>
 *        -chardev socket,id=qmp0,path=<tmp>/qmp.sock,server=on,wait=off -mon chardev=qmp0,mode=control
 *        [-chardev socket,id=qmp1,path=<tmp>/qmp-monitor.sock,...]   second QMP monitor
 *        -chardev socket,id=serial0,path=<tmp>/serial.sock,server=off -serial chardev:serial0
 *        -blockdev {file node "<name>-file"} -blockdev {format node "<name>"} -device ide-hd,drive=<name>,id=<name>-dev
 *        [-action reboot=shutdown ...] [-S] [extra args...]
 * QEMU connects the serial chardev to a socket the launcher listens on, so no
 * early output is lost.
 *
 * Environment: SPP_QEMU overrides the QEMU binary (unless set explicitly),
 * SPP_QEMU_IMG the qemu-img binary, SPP_KEEP_TMPDIR=1 keeps the directory
 * after teardown for debugging (QEMU is still killed).
 */
#ifndef SPP_LAUNCHER_H
#define SPP_LAUNCHER_H

#include <glib.h>
#include <sys/types.h>

#include "qmp-client.h"

G_BEGIN_DECLS

#define SPP_LAUNCHER_ERROR (spp_launcher_error_quark())
GQuark spp_launcher_error_quark(void);

typedef enum {
    SPP_LAUNCHER_ERROR_SPEC,             /* bad disk spec or configuration */
    SPP_LAUNCHER_ERROR_TOOL,             /* qemu-img failed */
    SPP_LAUNCHER_ERROR_FIRMWARE_MISSING, /* OVMF requested but not installed (tests: skip) */
    SPP_LAUNCHER_ERROR_START,            /* QEMU did not start; message has the stderr tail */
    SPP_LAUNCHER_ERROR_TIMEOUT,          /* a deadline passed */
    SPP_LAUNCHER_ERROR_EXITED,           /* QEMU went away (serial EOF or process exit) */
    SPP_LAUNCHER_ERROR_IO,               /* file or socket error */
} SppLauncherError;

typedef enum {
    SPP_FIRMWARE_SEABIOS, /* QEMU's default BIOS */
    SPP_FIRMWARE_OVMF,    /* UEFI: pflash code (read-only) + a private copy of the vars */
} SppFirmware;

/* ---- configuration ---------------------------------------------------- */

typedef struct SppLaunchConfig SppLaunchConfig;

/* Defaults: qemu-system-x86_64 (or $SPP_QEMU), 64 MiB, SeaBIOS, no disks,
 * QMP connected, no second monitor, running (no -S), 10 s start timeout. */
SppLaunchConfig *spp_launch_config_new(void);
void spp_launch_config_free(SppLaunchConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppLaunchConfig, spp_launch_config_free)

/* QEMU binary path or name; NULL restores the default ($SPP_QEMU or qemu-system-x86_64). */
void spp_launch_config_set_qemu_binary(SppLaunchConfig *config, const char *binary);
void spp_launch_config_set_memory_mb(SppLaunchConfig *config, guint memory_mb);
void spp_launch_config_set_firmware(SppLaunchConfig *config, SppFirmware firmware);

/* Add a disk from a spec "key=value,..." with keys:
 *   name=<id>          required; letters, digits, '-', '_'; node names are <name>-file and <name>
 *                      ("pflash-*" is reserved for the OVMF nodes)
 *   format=qcow2|raw   default qcow2
 *   size=<n>[K|M|G]    default 16M (bytes if no suffix); grown to fit source
 *   source=<path>      initial contents (e.g. the guest boot sector), copied/converted
 *   boot=on|off        bootindex=0 on this disk (default off)
 * Disks are attached as -device ide-hd in the order added (the PIIX3 IDE
 * controller survives -nodefaults). Returns FALSE on a malformed spec. */
gboolean spp_launch_config_add_disk(SppLaunchConfig *config, const char *spec, GError **error);

/* -S: start with the CPUs stopped (run state "prelaunch"). */
void spp_launch_config_set_paused(SppLaunchConfig *config, gboolean paused);

/* One -action argument, e.g. "reboot=shutdown" or "shutdown=pause". */
void spp_launch_config_add_action(SppLaunchConfig *config, const char *action);

/* Also create <tmp>/qmp-monitor.sock, a second QMP monitor (e.g. an event watcher). */
void spp_launch_config_set_second_monitor(SppLaunchConfig *config, gboolean enabled);

/* Connect spp_launcher_get_qmp() during start (default on). If off, connect yourself. */
void spp_launch_config_set_connect_qmp(SppLaunchConfig *config, gboolean enabled);

/* Arguments appended verbatim after the generated ones. */
void spp_launch_config_add_args(SppLaunchConfig *config, const char *first_arg, ...) G_GNUC_NULL_TERMINATED;

/* Deadline for the whole start (disks, spawn, serial, QMP handshake). */
void spp_launch_config_set_start_timeout_ms(SppLaunchConfig *config, gint64 timeout_ms);

/* ---- launching -------------------------------------------------------- */

typedef struct SppLauncher SppLauncher;

/* Create the temp dir and disks, spawn QEMU, accept its serial connection and
 * (by default) connect QMP. On failure everything is cleaned up and the error
 * (SPP_LAUNCHER_ERROR_START etc.) carries the tail of QEMU's stderr. */
SppLauncher *spp_launcher_start(const SppLaunchConfig *config, GError **error);

/* Kill QEMU if still running (SIGTERM, then SIGKILL after 2 s), remove the temp
 * dir, unregister. NULL is fine. */
void spp_launcher_free(SppLauncher *launcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppLauncher, spp_launcher_free)

/* Stop QEMU but keep the temp dir (to inspect disks at rest). SIGTERM, then
 * SIGKILL once timeout_ms has passed. Returns QEMU's wait status, or -1. */
int spp_launcher_stop(SppLauncher *launcher, gint64 timeout_ms);

/* Wait for QEMU to exit by itself (e.g. after "quit" or -action reboot=shutdown).
 * TRUE with *wait_status set, or FALSE with SPP_LAUNCHER_ERROR_TIMEOUT. */
gboolean spp_launcher_wait_exit(SppLauncher *launcher, gint64 timeout_ms, int *wait_status, GError **error);

/* TRUE while the QEMU process has not exited (reaps it if it has). */
gboolean spp_launcher_is_running(SppLauncher *launcher);

pid_t spp_launcher_get_pid(SppLauncher *launcher);
const char *spp_launcher_get_tmpdir(SppLauncher *launcher);

/* The full QEMU command line (NULL-terminated). */
const char *const *spp_launcher_get_argv(SppLauncher *launcher);

/* The QMP client connected during start, or NULL if disabled; owned by the launcher. */
SppQmpClient *spp_launcher_get_qmp(SppLauncher *launcher);
const char *spp_launcher_get_qmp_socket_path(SppLauncher *launcher);
/* The second monitor's socket path, or NULL if not configured. */
const char *spp_launcher_get_monitor_socket_path(SppLauncher *launcher);

/* Path and format ("qcow2"/"raw") of a disk by name, or NULL if unknown. */
const char *spp_launcher_get_disk_path(SppLauncher *launcher, const char *name);
const char *spp_launcher_get_disk_format(SppLauncher *launcher, const char *name);

/* Everything QEMU wrote to stdout/stderr so far (newly allocated). */
char *spp_launcher_read_stderr(SppLauncher *launcher);

/* ---- serial (COM1) ---------------------------------------------------- */
/* "\r\n", "\n" and a lone "\r" each end a line (a reset can fall between a
 * line's "\r" and its "\n"); the ends are removed. Every line ever read
 * is kept; the wait functions consume lines through a cursor, so each line
 * is matched at most once and lines before the match are skipped. */

/* Wait for the next line starting with prefix (NULL or "" = any line). Returns
 * the line (newly allocated) or NULL with SPP_LAUNCHER_ERROR_TIMEOUT/_EXITED. */
char *spp_launcher_serial_wait_line(SppLauncher *launcher, const char *prefix, gint64 timeout_ms, GError **error);

/* Same with a regular expression (matched anywhere in the line). */
char *spp_launcher_serial_wait_regex(SppLauncher *launcher, const GRegex *regex, gint64 timeout_ms,
                                     GError **error);

/* Read what is available within timeout_ms (0 = no wait). Returns the number
 * of new complete lines, -1 with error when the connection is gone. */
int spp_launcher_serial_pump(SppLauncher *launcher, gint64 timeout_ms, GError **error);

/* All lines read so far (borrowed; grows as more are read). */
const GPtrArray *spp_launcher_serial_get_lines(SppLauncher *launcher);

/* Send bytes to the guest's COM1. Fails with SPP_LAUNCHER_ERROR_TIMEOUT when the guest has not
 * drained its serial port for 5 s (a stopped or hung guest). */
gboolean spp_launcher_serial_write(SppLauncher *launcher, const void *bytes, gsize length, GError **error);

/* The serial socket (for g_unix_fd_add + spp_launcher_serial_pump(l, 0)), or -1. */
int spp_launcher_serial_get_fd(SppLauncher *launcher);

/* ---- firmware and process-wide cleanup -------------------------------- */

/* Look for OVMF code + vars (4M variant first) under $SPP_OVMF_DIR or
 * /usr/share/OVMF. FALSE with SPP_LAUNCHER_ERROR_FIRMWARE_MISSING if absent. */
gboolean spp_launcher_find_ovmf(char **code_path, char **vars_path, GError **error);

/* Kill every live QEMU of this process and remove their temp dirs now.
 * Async-signal-safe; what the atexit and signal handlers call. */
void spp_launcher_cleanup_all(void);

/* Remove temp dirs (and kill QEMUs) left by launching processes that died by
 * SIGKILL: a dir counts as stale when its owner pid is gone and nothing
 * accepts on its QMP socket. spp_launcher_start() runs this once per process.
 * Returns the number of dirs removed. */
guint spp_launcher_sweep_stale(void);

/* Number of launches currently registered (started and not yet freed). */
guint spp_launcher_count_live(void);

G_END_DECLS

#endif /* SPP_LAUNCHER_H */
