/* Marks launch dirs with their owner so that a later process can remove the
 * dirs of owners that died by SIGKILL (internal to spp_launcher; the public
 * entry point is spp_launcher_sweep_stale() in launcher.h). */
#ifndef SPP_LAUNCHER_SWEEP_H
#define SPP_LAUNCHER_SWEEP_H

#include <sys/types.h>

#include <glib.h>

gboolean spp_sweep_mark_owner(const char *tmpdir);
gboolean spp_sweep_mark_qemu(const char *tmpdir, pid_t qemu);

#endif /* SPP_LAUNCHER_SWEEP_H */
