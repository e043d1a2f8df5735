/* Disk specs and disk image creation (internal to spp_launcher). */
#ifndef SPP_LAUNCHER_DISKS_H
#define SPP_LAUNCHER_DISKS_H

#include <glib.h>

typedef struct {
    char *name;     /* node names: <name>-file (protocol) and <name> (format) */
    char *format;   /* "qcow2" or "raw" */
    guint64 size;   /* bytes */
    char *source;   /* initial raw contents, or NULL */
    gboolean boot;
    char *path;     /* set by spp_disk_create() */
} SppDisk;

/* Parses "name=disk0,format=qcow2,size=16M,source=...,boot=on". */
SppDisk *spp_disk_parse(const char *spec, GError **error);
SppDisk *spp_disk_copy(const SppDisk *disk);
void spp_disk_free(SppDisk *disk);

/* Creates <dir>/<name>.<format>, filled from source if any. */
gboolean spp_disk_create(SppDisk *disk, const char *dir, GError **error);

/* Runs qemu-img ($SPP_QEMU_IMG or qemu-img) with these arguments. */
gboolean spp_run_qemu_img(const char *const *arguments, GError **error);

#endif /* SPP_LAUNCHER_DISKS_H */
