/* Line reader for the guest's COM1 socket (internal to spp_launcher). */
#ifndef SPP_LAUNCHER_SERIAL_H
#define SPP_LAUNCHER_SERIAL_H

#include <glib.h>

typedef struct SppSerialReader SppSerialReader;

/* Matcher for spp_serial_reader_wait(). */
typedef gboolean (*SppSerialLineMatch)(const char *line, gconstpointer data);

/* Takes ownership of the connected socket; copies every byte read to log_path
 * (may be NULL) so a kept temp dir shows the whole console. */
SppSerialReader *spp_serial_reader_new(int fd, const char *log_path);
void spp_serial_reader_free(SppSerialReader *reader);

int spp_serial_reader_get_fd(SppSerialReader *reader);
const GPtrArray *spp_serial_reader_get_lines(SppSerialReader *reader);

/* Reads what arrives before the deadline (monotonic us; -1 = forever), stopping
 * early once at least one complete line came in. Returns the number of new
 * lines, or -1 with SPP_LAUNCHER_ERROR_EXITED / _IO. */
int spp_serial_reader_pump(SppSerialReader *reader, gint64 deadline, GError **error);

/* The first unconsumed line that matches, consuming through it; NULL with
 * SPP_LAUNCHER_ERROR_TIMEOUT or _EXITED. */
char *spp_serial_reader_wait(SppSerialReader *reader, SppSerialLineMatch match, gconstpointer data,
                             const char *what, gint64 timeout_ms, GError **error);

gboolean spp_serial_reader_write(SppSerialReader *reader, const void *bytes, gsize length, GError **error);

#endif /* SPP_LAUNCHER_SERIAL_H */
