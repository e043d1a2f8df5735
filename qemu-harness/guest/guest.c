#include "guest.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(spp-guest-error-quark, spp_guest_error)

const char *spp_guest_image_path(void)
{
    const char *from_env = g_getenv("SPP_GUEST_IMAGE");
    if (from_env != NULL && *from_env != '\0')
        return from_env;
    return SPP_GUEST_IMAGE_BUILD_PATH; /* defined by CMake: the image next to the build */
}

char *spp_guest_disk_spec(const char *name, const char *format)
{
    g_autofree char *image = g_strdup(spp_guest_image_path());
    return g_strdup_printf("name=%s,format=%s,size=1M,source=%s,boot=on", name, format, image);
}

static const struct {
    const char *prefix;
    SppGuestLineKind kind;
} line_prefixes[] = {
    {SPP_GUEST_BOOT_LINE, SPP_GUEST_LINE_BOOT},
    {SPP_GUEST_TICK_LINE, SPP_GUEST_LINE_TICK},
    {SPP_GUEST_DISK_LINE, SPP_GUEST_LINE_DISK},
    {"DISKERR ", SPP_GUEST_LINE_DISKERR},
};

SppGuestLineKind spp_guest_parse_line(const char *line, guint32 *value)
{
    if (g_str_has_prefix(line, "CMD ") && line[4] != '\0' && line[5] == '\0') {
        if (value != NULL)
            *value = (guint8)line[4];
        return SPP_GUEST_LINE_CMD;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(line_prefixes); i++) {
        if (!g_str_has_prefix(line, line_prefixes[i].prefix))
            continue;
        const char *digits = line + strlen(line_prefixes[i].prefix);
        guint64 number;
        if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT32, &number, NULL))
            return SPP_GUEST_LINE_OTHER;
        if (value != NULL)
            *value = (guint32)number;
        return line_prefixes[i].kind;
    }
    return SPP_GUEST_LINE_OTHER;
}

static guint32 read_le32(const guint8 *bytes)
{
    return (guint32)bytes[0] | (guint32)bytes[1] << 8 | (guint32)bytes[2] << 16 | (guint32)bytes[3] << 24;
}

gboolean spp_guest_decode_state(const guint8 *sector, gsize length, SppGuestState *state, GError **error)
{
    if (length < 512 || memcmp(sector, SPP_GUEST_STATE_MAGIC, SPP_GUEST_STATE_MAGIC_LENGTH) != 0) {
        g_set_error(error, SPP_GUEST_ERROR, SPP_GUEST_ERROR_NO_STATE, "state sector has no %s magic",
                    SPP_GUEST_STATE_MAGIC);
        return FALSE;
    }
    state->boot_count = read_le32(sector + SPP_GUEST_STATE_OFFSET_BOOT);
    state->tick = read_le32(sector + SPP_GUEST_STATE_OFFSET_TICK);
    return TRUE;
}

/* The first two sectors of the image as raw bytes. */
static GBytes *read_head(const char *disk_path, const char *format, GError **error)
{
    g_autoptr(GError) io_error = NULL;
    g_autofree char *contents = NULL;
    gsize length = 0;
    if (g_strcmp0(format, "raw") == 0) {
        if (!g_file_get_contents(disk_path, &contents, &length, &io_error)) {
            g_set_error(error, SPP_GUEST_ERROR, SPP_GUEST_ERROR_IO, "%s", io_error->message);
            return NULL;
        }
        return g_bytes_new_take(g_steal_pointer(&contents), length);
    }

    g_autofree char *out_path = NULL;
    int out_fd = g_file_open_tmp("spp-guest-state-XXXXXX.raw", &out_path, &io_error);
    if (out_fd < 0) {
        g_set_error(error, SPP_GUEST_ERROR, SPP_GUEST_ERROR_IO, "%s", io_error->message);
        return NULL;
    }
    close(out_fd);
    /* count counts from the start of the image (skip is not subtracted in
     * qemu-img 7.2), so copy sectors 0 and 1 and use the second. */
    const char *qemu_img = g_getenv("SPP_QEMU_IMG");
    g_autofree char *input = g_strdup_printf("if=%s", disk_path);
    g_autofree char *output = g_strdup_printf("of=%s", out_path);
    const char *argv[] = {qemu_img != NULL && *qemu_img != '\0' ? qemu_img : "qemu-img",
                          "dd", "-U", "-f", format, "-O", "raw", "bs=512", "count=2", input, output, NULL};
    g_autofree char *messages = NULL;
    int status = 0;
    gboolean ran = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                NULL, NULL, &messages, &status, &io_error);
    gboolean ok = ran && g_spawn_check_wait_status(status, NULL) &&
                  g_file_get_contents(out_path, &contents, &length, NULL);
    unlink(out_path);
    if (!ok) {
        g_set_error(error, SPP_GUEST_ERROR, SPP_GUEST_ERROR_IO, "qemu-img dd on %s failed: %s", disk_path,
                    io_error != NULL ? io_error->message : (messages != NULL ? g_strstrip(messages) : ""));
        return NULL;
    }
    return g_bytes_new_take(g_steal_pointer(&contents), length);
}

gboolean spp_guest_read_state(const char *disk_path, const char *format, SppGuestState *state, GError **error)
{
    g_autoptr(GBytes) head = read_head(disk_path, format, error);
    if (head == NULL)
        return FALSE;
    gsize length;
    const guint8 *bytes = g_bytes_get_data(head, &length);
    gsize offset = SPP_GUEST_STATE_LBA * 512;
    if (length < offset + 512) {
        g_set_error(error, SPP_GUEST_ERROR, SPP_GUEST_ERROR_IO, "%s is shorter than %zu bytes", disk_path,
                    offset + 512);
        return FALSE;
    }
    return spp_guest_decode_state(bytes + offset, 512, state, error);
}
