/* Helpers for tests that run the harness guest (boot-sector.asm): where its
 * image is, how to attach it, how to parse its serial lines and how to read
 * its state sector at rest. The protocol is specified in README.md here. */
#ifndef SPP_GUEST_H
#define SPP_GUEST_H

#include <glib.h>

G_BEGIN_DECLS

#define SPP_GUEST_ERROR (spp_guest_error_quark())
GQuark spp_guest_error_quark(void);

typedef enum {
    SPP_GUEST_ERROR_IO,        /* the disk could not be read */
    SPP_GUEST_ERROR_NO_STATE,  /* the state sector has no magic (guest never booted) */
} SppGuestError;

/* The state sector: LBA 1 of the boot disk. */
#define SPP_GUEST_STATE_LBA 1
#define SPP_GUEST_STATE_MAGIC "SPPGUEST"
#define SPP_GUEST_STATE_MAGIC_LENGTH 8
#define SPP_GUEST_STATE_OFFSET_BOOT 8   /* u32 little endian: boot count */
#define SPP_GUEST_STATE_OFFSET_TICK 12  /* u32 little endian: tick at the last write */
/* How the guest's serial lines start (README.md), for spp_launcher_serial_wait_line(). */
#define SPP_GUEST_BOOT_LINE "BOOT "
#define SPP_GUEST_TICK_LINE "TICK "
#define SPP_GUEST_DISK_LINE "DISK "
/* The guest writes the state sector every this many ticks. */
#define SPP_GUEST_DISK_EVERY 10

typedef enum {
    SPP_GUEST_LINE_OTHER,     /* firmware noise or a partial line */
    SPP_GUEST_LINE_BOOT,      /* "BOOT <n>": boot count after increment */
    SPP_GUEST_LINE_TICK,      /* "TICK <k>": RAM tick counter, 1 at the first tick of a boot */
    SPP_GUEST_LINE_DISK,      /* "DISK <k>": tick k was just written to the state sector */
    SPP_GUEST_LINE_CMD,       /* "CMD <c>": serial command byte c received (value = the byte) */
    SPP_GUEST_LINE_DISKERR,   /* "DISKERR <status>": int 13h failed; the guest halts */
} SppGuestLineKind;

typedef struct {
    guint32 boot_count;
    guint32 tick;
} SppGuestState;

/* Path of the 512-byte boot sector: $SPP_GUEST_IMAGE, else the build tree's. */
const char *spp_guest_image_path(void);

/* A spp_launch_config_add_disk() spec for a boot disk holding the guest,
 * e.g. spp_guest_disk_spec("disk0", "qcow2") (newly allocated). */
char *spp_guest_disk_spec(const char *name, const char *format);

/* Classify one serial line; *value gets the number (or command byte). */
SppGuestLineKind spp_guest_parse_line(const char *line, guint32 *value);

/* Read the state sector from a disk image at rest, or while QEMU runs (qcow2
 * is read with qemu-img dd -U, i.e. shared, possibly mid-write). */
gboolean spp_guest_read_state(const char *disk_path, const char *format, SppGuestState *state, GError **error);

/* Decode a 512-byte state sector. */
gboolean spp_guest_decode_state(const guint8 *sector, gsize length, SppGuestState *state, GError **error);

G_END_DECLS

#endif /* SPP_GUEST_H */
