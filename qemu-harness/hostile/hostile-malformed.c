/* Malformed messages on a logged-in power channel (and main channel): unknown types, headers
 * that announce too much, truncated messages, base messages out of their order, migration
 * messages outside a migration. Each shape runs in a fresh session; most are followed by a RESET,
 * whose fate says whether the server acted on the way (docs/power-channel.md §6.5). */
#include "hostile.h"

/* What the server must do with a shape and the RESET sent right behind it. */
typedef enum {
    CLOSES,   /* close the channel, and not answer the RESET behind (§6.5: no action on the way) */
    SWALLOWS, /* the RESET behind is part of an unfinished message: no RESULT (closing is fine) */
    ANSWERS,  /* answer the RESET behind with a RESULT, or close the channel: never silence */
    HANGS_UP, /* nothing: the client leaves right after the shape (a message cut short) */
} MalformedOutcome;

static const char *const outcome_names[] = {"closed", "swallowed", "answered", "left behind"};

typedef struct {
    const char *name;
    gboolean on_main; /* on the main channel instead of the power channel */
    guint16 type;
    guint32 size; /* as announced in the mini header */
    gsize body;   /* zero bytes of body actually sent */
    int repeat;   /* times sent; 0: once */
    gsize cut;    /* > 0: only the first `cut` bytes are sent */
    MalformedOutcome outcome;
} MalformedShape;

/* How long a SWALLOWS shape is watched for a RESULT that must not come. */
#define SWALLOW_WATCH_MS 500
#define ODD_REPEAT 100

static const MalformedShape malformed_shapes[] = {
    {.name = "unknown_type_0", .type = 0, .outcome = CLOSES},
    {.name = "unknown_type_7", .type = 7, .outcome = CLOSES},
    {.name = "unknown_type_100", .type = 100, .outcome = CLOSES},
    {.name = "unknown_type_104", .type = 104, .outcome = CLOSES},
    {.name = "unknown_type_65535", .type = 65535, .outcome = CLOSES},
    {.name = "migrate_flush_mark", .type = SPP_MSGC_MIGRATE_FLUSH_MARK, .outcome = CLOSES},
    {.name = "oversize_header", .type = SPP_MSGC_POWER_RESET, .size = 0xffffffffu, .outcome = SWALLOWS},
    {.name = "oversize_4097", .type = SPP_MSGC_POWER_RESET, .size = 4097, .body = 4097, .outcome = ANSWERS},
    {.name = "body_4096", .type = SPP_MSGC_POWER_RESET, .size = 4096, .body = 4096, .outcome = ANSWERS},
    {.name = "trailing_bytes", .type = SPP_MSGC_POWER_POWERON, .size = 16, .body = 16, .outcome = ANSWERS},
    {.name = "truncated_body", .type = SPP_MSGC_POWER_RESET, .size = 100, .body = 10, .outcome = SWALLOWS},
    {.name = "truncated_body_then_gone", .type = SPP_MSGC_POWER_RESET, .size = 100, .body = 10, .outcome = HANGS_UP},
    {.name = "truncated_header_then_gone", .type = SPP_MSGC_POWER_RESET, .cut = 3, .outcome = HANGS_UP},
    {.name = "ack_without_set_ack", .type = SPP_MSGC_ACK, .repeat = ODD_REPEAT, .outcome = ANSWERS},
    {.name = "ack_sync_generation_0", .type = SPP_MSGC_ACK_SYNC, .size = 4, .body = 4, .outcome = ANSWERS},
    {.name = "ack_sync_empty", .type = SPP_MSGC_ACK_SYNC, .outcome = ANSWERS},
    {.name = "pong_unasked", .type = SPP_MSGC_PONG, .size = 12, .body = 12, .repeat = ODD_REPEAT, .outcome = ANSWERS},
    {.name = "pong_empty", .type = SPP_MSGC_PONG, .outcome = ANSWERS},
    {.name = "migrate_data", .type = SPP_MSGC_MIGRATE_DATA, .size = 64, .body = 64, .outcome = ANSWERS},
    {.name = "migrate_data_empty", .type = SPP_MSGC_MIGRATE_DATA, .outcome = ANSWERS},
    {.name = "disconnecting_then_reset", .type = SPP_MSGC_DISCONNECTING, .outcome = ANSWERS},
    {.name = "disconnecting_repeated", .type = SPP_MSGC_DISCONNECTING, .repeat = ODD_REPEAT, .outcome = ANSWERS},
    {.name = "main_unknown_type_0", .on_main = TRUE, .type = 0, .outcome = CLOSES},
    {.name = "main_unknown_type_65535", .on_main = TRUE, .type = 65535, .outcome = CLOSES},
    {.name = "main_migrate_flush_mark", .on_main = TRUE, .type = SPP_MSGC_MIGRATE_FLUSH_MARK, .outcome = CLOSES},
    {.name = "main_migrate_data", .on_main = TRUE, .type = SPP_MSGC_MIGRATE_DATA, .size = 64, .body = 64,
     .outcome = HANGS_UP},
    {.name = "main_oversize_header", .on_main = TRUE, .type = SPP_MSGC_MAIN_ATTACH_CHANNELS, .size = 0xffffffffu,
     .outcome = HANGS_UP},
};

static GByteArray *shape_bytes(const MalformedShape *shape)
{
    GByteArray *bytes = g_byte_array_new();
    g_autoptr(GByteArray) one = hostile_mini_message(shape->type, shape->size, shape->body);
    for (int i = 0; i < MAX(shape->repeat, 1); i++)
        g_byte_array_append(bytes, one->data, one->len);
    if (shape->cut > 0)
        g_byte_array_set_size(bytes, (guint)MIN(shape->cut, bytes->len));
    /* On the main channel, 101 is not an action: no RESET behind the main shapes. */
    if (shape->outcome != HANGS_UP && !shape->on_main) {
        g_autoptr(GByteArray) reset = hostile_mini_message(SPP_MSGC_POWER_RESET, 0, 0);
        g_byte_array_append(bytes, reset->data, reset->len);
    }
    return bytes;
}

/* Reads conn for up to timeout_ms: whether a RESULT came (it ends the watch when stop_at_result)
 * and whether the server closed the connection. */
static void watch(SppConn *conn, int timeout_ms, gboolean stop_at_result, gboolean *result, gboolean *closed)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    *result = *closed = FALSE;
    for (;;) {
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        if (left <= 0)
            return;
        SppMessage msg = {0};
        int st = spp_recv(conn, &msg, left);
        if (st == SPP_OK && msg.type == SPP_MSG_POWER_RESULT)
            *result = TRUE;
        spp_message_clear(&msg);
        if (st == SPP_ERR_CLOSED || st == SPP_ERR_IO)
            *closed = TRUE;
        if (st != SPP_OK || (*result && stop_at_result))
            return;
    }
}

static gboolean judge(const MalformedShape *shape, SppConn *conn, GError **error)
{
    gboolean result, closed;
    switch (shape->outcome) {
    case CLOSES:
        watch(conn, HOSTILE_ANSWER_MS, FALSE, &result, &closed);
        if (closed && !result)
            return TRUE;
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_BEHAVIOUR, "%s", result ? "the RESET sent behind it was answered"
                    : "the channel stayed open");
        return FALSE;
    case SWALLOWS:
        watch(conn, SWALLOW_WATCH_MS, TRUE, &result, &closed);
        if (!result)
            return TRUE;
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_BEHAVIOUR, "the RESET inside its unfinished body was answered");
        return FALSE;
    case ANSWERS:
        watch(conn, HOSTILE_ANSWER_MS, TRUE, &result, &closed);
        if (result || closed)
            return TRUE;
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_BEHAVIOUR,
                    "the RESET sent behind it got no RESULT within %d ms and the channel stayed open", HOSTILE_ANSWER_MS);
        return FALSE;
    case HANGS_UP:
        return TRUE;
    }
    return TRUE;
}

static gboolean run_shape(const HostileTarget *target, const MalformedShape *shape, GError **error)
{
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    if (!hostile_power_session(target, &session, &power, error))
        return FALSE;
    SppConn *conn = shape->on_main ? session->main_conn : power->conn;
    g_autoptr(GByteArray) bytes = shape_bytes(shape);
    return hostile_send(conn, bytes->data, bytes->len, error) && judge(shape, conn, error);
}

/* Runs the shapes on the main channel (on_main) or on the power channel. */
static gboolean run_shapes(HostileRun *run, gboolean on_main, GError **error)
{
    int counts[G_N_ELEMENTS(outcome_names)] = {0};
    for (gsize i = 0; i < G_N_ELEMENTS(malformed_shapes); i++) {
        const MalformedShape *shape = &malformed_shapes[i];
        if (shape->on_main != on_main)
            continue;
        if (!run_shape(run->target, shape, error) ||
            (run->target->pid > 0 && !hostile_process_alive(run->target->pid, error))) {
            g_prefix_error(error, "%s (to be %s): ", shape->name, outcome_names[shape->outcome]);
            return FALSE;
        }
        counts[shape->outcome]++;
    }
    hostile_run_note(run, "%d shapes closed, %d swallowed, %d answered, %d left behind", counts[CLOSES],
                     counts[SWALLOWS], counts[ANSWERS], counts[HANGS_UP]);
    return TRUE;
}

gboolean hostile_attack_malformed_power(HostileRun *run, GError **error)
{
    return run_shapes(run, FALSE, error);
}

gboolean hostile_attack_malformed_main(HostileRun *run, GError **error)
{
    return run_shapes(run, TRUE, error);
}
