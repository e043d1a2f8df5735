#include "launcher-serial.h"

#include "launcher.h"
#include "spp_io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct SppSerialReader {
    int fd;
    int log_fd;
    GString *partial;   /* bytes after the last line end */
    GPtrArray *lines;   /* every complete line, its end stripped */
    gboolean after_cr;  /* the last byte was '\r': a '\n' now ends no further line */
    guint cursor;       /* lines before this index are consumed */
    gboolean closed;    /* EOF seen */
};

SppSerialReader *spp_serial_reader_new(int fd, const char *log_path)
{
    SppSerialReader *reader = g_new0(SppSerialReader, 1);
    reader->fd = fd;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    reader->log_fd = log_path != NULL ? open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    reader->partial = g_string_new(NULL);
    reader->lines = g_ptr_array_new_with_free_func(g_free);
    return reader;
}

void spp_serial_reader_free(SppSerialReader *reader)
{
    if (reader == NULL)
        return;
    if (reader->fd >= 0)
        close(reader->fd);
    if (reader->log_fd >= 0)
        close(reader->log_fd);
    g_string_free(reader->partial, TRUE);
    g_ptr_array_unref(reader->lines);
    g_free(reader);
}

int spp_serial_reader_get_fd(SppSerialReader *reader)
{
    return reader->fd;
}

const GPtrArray *spp_serial_reader_get_lines(SppSerialReader *reader)
{
    return reader->lines;
}

/* "\r\n", "\n" and a lone "\r" each end a line. The guest ends its lines with "\r\n", but a reset
 * or stop can fall between the two, and the next boot's "BOOT n" must not be read as the tail of
 * the line it cut. */
static int split_lines(SppSerialReader *reader, const char *bytes, gsize length)
{
    int added = 0;
    for (gsize i = 0; i < length; i++) {
        gboolean cr_before = reader->after_cr;
        reader->after_cr = bytes[i] == '\r';
        if (bytes[i] == '\n' && cr_before)
            continue;
        if (bytes[i] != '\n' && bytes[i] != '\r') {
            g_string_append_c(reader->partial, bytes[i]);
            continue;
        }
        g_ptr_array_add(reader->lines, g_strdup(reader->partial->str));
        g_string_truncate(reader->partial, 0);
        added++;
    }
    return added;
}

static gboolean report_closed(GError **error)
{
    g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_EXITED, "QEMU went away (serial connection closed)");
    return FALSE;
}

int spp_serial_reader_pump(SppSerialReader *reader, gint64 deadline, GError **error)
{
    int added = 0;
    if (reader->closed) {
        report_closed(error);
        return -1;
    }
    for (;;) {
        char buffer[4096];
        ssize_t n = read(reader->fd, buffer, sizeof buffer);
        if (n > 0) {
            if (reader->log_fd >= 0 && write(reader->log_fd, buffer, (size_t)n) < 0)
                g_debug("serial log: %s", g_strerror(errno));
            added += split_lines(reader, buffer, (gsize)n);
            continue;
        }
        if (n == 0) {
            reader->closed = TRUE;
            if (added > 0)
                return added;
            report_closed(error);
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            if (errno == ECONNRESET) {
                reader->closed = TRUE;
                report_closed(error);
            } else {
                g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "serial read: %s", g_strerror(errno));
            }
            return -1;
        }
        /* Nothing more right now. */
        if (added > 0)
            return added;
        int timeout_ms = -1;
        if (deadline >= 0) {
            gint64 left = deadline - g_get_monotonic_time();
            if (left <= 0)
                return 0;
            timeout_ms = (int)MIN((left + 999) / 1000, G_MAXINT);
        }
        struct pollfd pfd = {.fd = reader->fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
            g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "serial poll: %s", g_strerror(errno));
            return -1;
        }
    }
}

char *spp_serial_reader_wait(SppSerialReader *reader, SppSerialLineMatch match, gconstpointer data,
                             const char *what, gint64 timeout_ms, GError **error)
{
    gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + timeout_ms * 1000;
    for (;;) {
        while (reader->cursor < reader->lines->len) {
            const char *line = reader->lines->pdata[reader->cursor++];
            if (match(line, data))
                return g_strdup(line);
        }
        GError *pump_error = NULL;
        int added = spp_serial_reader_pump(reader, deadline, &pump_error);
        if (added < 0) {
            g_propagate_prefixed_error(error, pump_error, "waiting for serial line %s: ", what);
            return NULL;
        }
        if (added == 0 && deadline >= 0 && g_get_monotonic_time() >= deadline) {
            const char *last = reader->lines->len > 0 ? reader->lines->pdata[reader->lines->len - 1] : "(none)";
            g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TIMEOUT,
                        "timed out after %" G_GINT64_FORMAT " ms waiting for serial line %s (last line: %s)",
                        timeout_ms, what, last);
            return NULL;
        }
    }
}

#define SERIAL_WRITE_TIMEOUT_MS 5000

gboolean spp_serial_reader_write(SppSerialReader *reader, const void *bytes, gsize length, GError **error)
{
    /* A stopped or hung guest stops draining COM1; once the socket buffer is full a blocking send
     * would wait forever, so writes are bounded. */
    switch (spp_io_write_all(reader->fd, bytes, length, spp_io_deadline(SERIAL_WRITE_TIMEOUT_MS), NULL, NULL)) {
    case SPP_IO_OK:
        return TRUE;
    case SPP_IO_TIMEOUT:
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TIMEOUT,
                    "serial write: the guest has not read its serial port for %d ms", SERIAL_WRITE_TIMEOUT_MS);
        return FALSE;
    case SPP_IO_CLOSED:
        return report_closed(error);
    default:
        g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_IO, "serial write: %s", g_strerror(errno));
        return FALSE;
    }
}
