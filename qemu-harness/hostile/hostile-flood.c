/* The unread flood: a logged-in client sends valid actions as fast as the socket takes them and
 * never reads a reply. A server without flow control reads them all and queues a reply for each,
 * so its memory grows with the flood; a server with it stops reading from that client. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "hostile.h"
#include "spp_io.h"

#define FLOOD_MESSAGES 2000000
/* A chunk is this many actions: POWERON (INVALID_STATE on a running guest, answered by the server
 * alone) and, as its last, one RESET (which reaches the management plane). */
#define FLOOD_CHUNK_MESSAGES 1000
/* The RSS is sampled every this many chunks while the flood runs. */
#define FLOOD_SAMPLE_EVERY 10
/* No byte taken for this long: the server stopped reading from the flooding client. */
#define FLOOD_STALL_MS 2000
#define FLOOD_TIME_LIMIT_MS 30000
/* After the flood, the RSS is watched this long while the server works off what it read. */
#define FLOOD_SETTLE_MS 1000
#define FLOOD_SETTLE_STEP_MS 100

typedef enum {
    FLOOD_ALL_TAKEN,   /* every message was written */
    FLOOD_STALLED,     /* the server stopped reading */
    FLOOD_DROPPED,     /* the server closed the connection */
    FLOOD_OUT_OF_TIME, /* FLOOD_TIME_LIMIT_MS passed with the server still reading */
} FloodEnd;

static const char *const flood_end_names[] = {"the server took every message", "the server stopped reading",
                                              "the server dropped the flooding client",
                                              "the time limit passed with the server still reading"};

static GByteArray *flood_chunk(void)
{
    GByteArray *chunk = g_byte_array_new();
    for (int i = 0; i < FLOOD_CHUNK_MESSAGES; i++) {
        g_autoptr(GByteArray) msg =
            hostile_mini_message(i == FLOOD_CHUNK_MESSAGES - 1 ? SPP_MSGC_POWER_RESET : SPP_MSGC_POWER_POWERON, 0, 0);
        g_byte_array_append(chunk, msg->data, msg->len);
    }
    return chunk;
}

/* Writes one chunk from *offset on; returns FALSE when the flood must end (*end says why). */
static gboolean write_chunk(int fd, const GByteArray *chunk, gsize *offset, FloodEnd *end)
{
    while (*offset < chunk->len) {
        gssize n = send(fd, chunk->data + *offset, chunk->len - *offset, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            *offset += (gsize)n;
        } else if (n < 0 && errno == EAGAIN) {
            if (spp_io_wait_fd(fd, POLLOUT, spp_io_deadline(FLOOD_STALL_MS)) == 0) {
                *end = FLOOD_STALLED;
                return FALSE;
            }
        } else if (n == 0 || errno != EINTR) {
            *end = FLOOD_DROPPED;
            return FALSE;
        }
    }
    return TRUE;
}

/* Floods fd; *sent gets the number of whole messages written. */
static gboolean flood(HostileRun *run, int fd, guint64 *sent, FloodEnd *end, GError **error)
{
    g_autoptr(GByteArray) chunk = flood_chunk();
    gint64 give_up = spp_io_deadline(FLOOD_TIME_LIMIT_MS);
    *end = FLOOD_ALL_TAKEN;
    for (int c = 0; c < FLOOD_MESSAGES / FLOOD_CHUNK_MESSAGES; c++) {
        gsize offset = 0;
        gboolean go_on = write_chunk(fd, chunk, &offset, end);
        *sent = (guint64)c * FLOOD_CHUNK_MESSAGES + offset / SPP_MINI_DATA_HEADER_SIZE;
        if (!go_on)
            return TRUE;
        if (c % FLOOD_SAMPLE_EVERY == 0 && !hostile_run_sample_rss(run, error))
            return FALSE;
        if (spp_io_now_ms() > give_up) {
            *end = FLOOD_OUT_OF_TIME;
            return TRUE;
        }
    }
    return TRUE;
}

gboolean hostile_attack_unread_flood(HostileRun *run, GError **error)
{
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    if (!hostile_power_session(run->target, &session, &power, error))
        return FALSE;
    gint64 start = spp_io_now_ms();
    guint64 sent = 0;
    FloodEnd end;
    gboolean ok = flood(run, spp_conn_fd(power->conn), &sent, &end, error);
    double seconds = (spp_io_now_ms() - start) / 1000.0;
    for (int waited = 0; ok && waited < FLOOD_SETTLE_MS; waited += FLOOD_SETTLE_STEP_MS) {
        g_usleep(FLOOD_SETTLE_STEP_MS * 1000);
        ok = hostile_run_sample_rss(run, error);
    }
    if (!ok) {
        g_prefix_error(error, "after %" G_GUINT64_FORMAT " unread actions in %.1f s: ", sent, seconds);
        return FALSE;
    }
    hostile_run_note(run, "%" G_GUINT64_FORMAT " of %d actions written unread in %.1f s, then %s", sent,
                     FLOOD_MESSAGES, seconds, flood_end_names[end]);
    if (run->rss_base_kib >= 0)
        hostile_run_note(run, "RSS peak +%.1f MiB", (run->rss_peak_kib - run->rss_base_kib) / 1024.0);
    return TRUE;
}
