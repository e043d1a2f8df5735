#include "launcher-disks.h"

#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_DISK_SIZE (16u * 1024u * 1024u)

void spp_disk_free(SppDisk *disk)
{
    if (disk == NULL)
        return;
    g_free(disk->name);
    g_free(disk->format);
    g_free(disk->source);
    g_free(disk->path);
    g_free(disk);
}

SppDisk *spp_disk_copy(const SppDisk *disk)
{
    SppDisk *copy = g_new0(SppDisk, 1);
    copy->name = g_strdup(disk->name);
    copy->format = g_strdup(disk->format);
    copy->size = disk->size;
    copy->source = g_strdup(disk->source);
    copy->boot = disk->boot;
    copy->path = g_strdup(disk->path);
    return copy;
}

static gboolean parse_size(const char *text, guint64 *size)
{
    char *end = NULL;
    guint64 value = g_ascii_strtoull(text, &end, 10);
    if (end == text)
        return FALSE;
    guint shift = 0;
    if (g_ascii_strcasecmp(end, "K") == 0)
        shift = 10;
    else if (g_ascii_strcasecmp(end, "M") == 0)
        shift = 20;
    else if (g_ascii_strcasecmp(end, "G") == 0)
        shift = 30;
    else if (*end != '\0')
        return FALSE;
    if (value == 0 || value > (G_MAXUINT64 >> shift))
        return FALSE;
    *size = value << shift;
    return TRUE;
}

static gboolean is_valid_name(const char *name)
{
    if (name == NULL || !g_ascii_isalpha(name[0]))
        return FALSE; /* QEMU node names must start with a letter */
    for (const char *c = name; *c != '\0'; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
            return FALSE;
    return strlen(name) < 28; /* leaves room for "-file" within QEMU's 32-char node names */
}

SppDisk *spp_disk_parse(const char *spec, GError **error)
{
    SppDisk *disk = g_new0(SppDisk, 1);
    disk->format = g_strdup("qcow2");
    disk->size = DEFAULT_DISK_SIZE;
    g_auto(GStrv) items = g_strsplit(spec, ",", -1);
    for (char **item = items; *item != NULL; item++) {
        if (**item == '\0')
            continue;
        const char *equals = strchr(*item, '=');
        if (equals == NULL) {
            g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC, "disk spec \"%s\": \"%s\" is not key=value",
                        spec, *item);
            goto fail;
        }
        g_autofree char *key = g_strndup(*item, (gsize)(equals - *item));
        const char *value = equals + 1;
        if (strcmp(key, "name") == 0) {
            g_free(disk->name);
            disk->name = g_strdup(value);
        } else if (strcmp(key, "format") == 0) {
            if (strcmp(value, "qcow2") != 0 && strcmp(value, "raw") != 0) {
                g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC,
                            "disk spec \"%s\": format must be qcow2 or raw", spec);
                goto fail;
            }
            g_free(disk->format);
            disk->format = g_strdup(value);
        } else if (strcmp(key, "size") == 0) {
            if (!parse_size(value, &disk->size)) {
                g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC,
                            "disk spec \"%s\": bad size \"%s\" (e.g. 16M)", spec, value);
                goto fail;
            }
        } else if (strcmp(key, "source") == 0) {
            g_free(disk->source);
            disk->source = g_strdup(value);
        } else if (strcmp(key, "boot") == 0) {
            if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0) {
                g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC,
                            "disk spec \"%s\": boot must be on or off", spec);
                goto fail;
            }
            disk->boot = strcmp(value, "on") == 0;
        } else {
            g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC, "disk spec \"%s\": unknown key \"%s\"", spec,
                        key);
            goto fail;
        }
    }
    if (!is_valid_name(disk->name)) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_SPEC,
                    "disk spec \"%s\": name= is required: a letter, then letters, digits, '-' or '_' (< 28 chars)",
                    spec);
        goto fail;
    }
    return disk;
fail:
    spp_disk_free(disk);
    return NULL;
}

gboolean spp_run_qemu_img(const char *const *arguments, GError **error)
{
    const char *qemu_img = g_getenv("SPP_QEMU_IMG");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)(qemu_img != NULL && *qemu_img != '\0' ? qemu_img : "qemu-img"));
    for (const char *const *argument = arguments; *argument != NULL; argument++)
        g_ptr_array_add(argv, (gpointer)*argument);
    g_ptr_array_add(argv, NULL);

    g_autofree char *output = NULL;
    g_autoptr(GError) spawn_error = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                      NULL, &output, &status, &spawn_error)) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TOOL, "cannot run %s: %s",
                    (const char *)argv->pdata[0], spawn_error->message);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_autofree char *command = g_strjoinv(" ", (char **)argv->pdata);
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TOOL, "%s failed: %s", command,
                    output != NULL ? g_strstrip(output) : "");
        return FALSE;
    }
    return TRUE;
}

/* Writes source at offset 0 of path and sizes the file to at least size. */
static gboolean write_raw_image(const char *path, const char *source, guint64 *size, GError **error)
{
    g_autofree char *contents = NULL;
    gsize length = 0;
    g_autoptr(GError) read_error = NULL;
    if (source != NULL && !g_file_get_contents(source, &contents, &length, &read_error)) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "disk source: %s", read_error->message);
        return FALSE;
    }
    /* Round up to whole sectors: block devices are addressed in 512-byte units. */
    guint64 needed = ((guint64)length + 511) / 512 * 512;
    if (*size < needed)
        *size = needed;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "create %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    gboolean ok = (length == 0 || write(fd, contents, length) == (ssize_t)length) && ftruncate(fd, (off_t)*size) == 0;
    int saved = errno;
    close(fd);
    if (!ok)
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "write %s: %s", path, g_strerror(saved));
    return ok;
}

gboolean spp_disk_create(SppDisk *disk, const char *dir, GError **error)
{
    g_autofree char *file_name = g_strdup_printf("%s.%s", disk->name, disk->format);
    g_free(disk->path);
    disk->path = g_build_filename(dir, file_name, NULL);

    if (strcmp(disk->format, "raw") == 0)
        return write_raw_image(disk->path, disk->source, &disk->size, error);

    g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, disk->size);
    if (disk->source == NULL) {
        const char *create[] = {"create", "-q", "-f", "qcow2", disk->path, size, NULL};
        return spp_run_qemu_img(create, error);
    }
    /* qcow2 with contents: lay them out as raw first, then convert. */
    g_autofree char *staging_name = g_strdup_printf("%s.staging.raw", disk->name);
    g_autofree char *staging = g_build_filename(dir, staging_name, NULL);
    gboolean ok = write_raw_image(staging, disk->source, &disk->size, error);
    if (ok) {
        const char *convert[] = {"convert", "-q", "-f", "raw", "-O", "qcow2", staging, disk->path, NULL};
        ok = spp_run_qemu_img(convert, error);
    }
    unlink(staging);
    return ok;
}
