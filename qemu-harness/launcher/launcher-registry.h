/* The process-wide registry of live launches (internal to spp_launcher).
 *
 * A fixed table, so that the atexit and signal handlers can walk it without
 * allocating; modifications block the handled signals so a handler never sees
 * a half-written slot. */
#ifndef SPP_LAUNCHER_REGISTRY_H
#define SPP_LAUNCHER_REGISTRY_H

#include <sys/types.h>

#include <glib.h>

/* Claims a slot for tmpdir (which must be flat: files only) and installs the
 * handlers on first use. Returns the slot, or -1 when the table is full. */
int spp_registry_add(const char *tmpdir, gboolean keep_tmpdir);

/* Records QEMU's pid (also its process group), or 0 once it has been reaped. */
void spp_registry_set_pid(int slot, pid_t pid);

/* Releases the slot; the caller has already killed QEMU and removed the dir. */
void spp_registry_remove(int slot);

/* Blocks / restores the signals whose handler walks the registry. */
void spp_registry_block_signals(sigset_t *saved);
void spp_registry_restore_signals(const sigset_t *saved);

/* Resets the handled signals to their default action in a freshly forked
 * child (before unblocking them), so the child never runs the cleanup. */
void spp_registry_reset_signals_in_child(void);

/* Removes every file in dir, then dir; async-signal-safe (raw syscalls). */
void spp_registry_remove_flat_dir(const char *dir);

#endif /* SPP_LAUNCHER_REGISTRY_H */
