/* Attacks on the link phase: clients that leave at every step of it (with a FIN or an RST),
 * links that never finish, and link messages that are garbage. */
#include <string.h>

#include "hostile.h"

/* How far a client gets before it leaves. */
typedef enum {
    STAGE_CONNECTED,
    STAGE_LINK_SENT,
    STAGE_REPLY_READ,
    STAGE_SESSION,
    STAGE_ACTION_SENT,
    N_STAGES,
} LinkStage;

static const char *const stage_names[N_STAGES] = {"connected", "link message sent", "link reply read",
                                                  "session linked", "RESET sent"};

/* More RESETs than a server holds for one session (one in progress and 8 waiting in the
 * spice-server series): it stops reading, so it learns that the client left only when it writes
 * the reply of an action. */
#define QUEUE_FILL_ACTIONS 10
#define VANISHING_CLIENTS 60
/* A vanishing client waits this long after its RESETs, so that the server has read them. */
#define VANISH_AFTER_MS 5
/* ... and the last one's actions this long to complete before the server is checked. */
#define VANISH_SETTLE_MS 500

/* A leaving client's connections: the main channel's, and at the last stage the power channel's. */
typedef struct {
    SppConn *main;
    SppConn *power;
} Leaver;

#define LEAVING_CLIENTS 100
#define HALF_OPEN_LINKS 300
/* A half-open link sends this many bytes of the link header, or of the link message after it. */
#define HALF_OPEN_PART 10
#define GARBAGE_SEED 20260101
#define GARBAGE_RANDOM_BYTES 4096
#define SASL_ANONYMOUS "ANONYMOUS"

/* Reads a link reply (header and body); FALSE if none arrived in time. *error_code gets its error
 * and pub_key (may be NULL) its public key. */
static gboolean read_link_reply(SppConn *conn, guint32 *error_code, guint8 *pub_key)
{
    guint8 header[SPP_LINK_HEADER_SIZE];
    if (hostile_read_bytes(conn, header, sizeof header, HOSTILE_ANSWER_MS) < sizeof header ||
        memcmp(header, SPP_LINK_MAGIC, 4) != 0)
        return FALSE;
    guint32 size = spp_le32(header + 12);
    if (size < SPP_LINK_REPLY_SIZE || size > SPP_LINK_MESS_MAX_SIZE)
        return FALSE;
    g_autofree guint8 *body = g_malloc(size);
    if (hostile_read_bytes(conn, body, size, HOSTILE_ANSWER_MS) < size)
        return FALSE;
    *error_code = spp_le32(body);
    if (pub_key)
        memcpy(pub_key, body + offsetof(SppLinkReply, pub_key), SPP_TICKET_PUBKEY_BYTES);
    return TRUE;
}

/* A main-channel link message sent on a fresh connection. */
static SppConn *send_main_link(const HostileTarget *target, GError **error)
{
    g_autoptr(GError) err = NULL;
    SppConn *conn = hostile_connect(target, &err);
    guint8 link[HOSTILE_LINK_MAX];
    gsize length = hostile_link_bytes(link, 0, SPP_CHANNEL_MAIN, 0, 0);
    if (conn && hostile_send(conn, link, length, &err))
        return conn;
    spp_conn_free(conn);
    g_propagate_error(error, g_steal_pointer(&err));
    return NULL;
}

/* A session whose power channel has `actions` RESETs on their way: the server answers a client
 * that is gone. */
static gboolean leaver_with_actions(const HostileTarget *target, int actions, Leaver *client, GError **error)
{
    g_autoptr(SppPowerSession) session = NULL;
    g_autoptr(SppPowerChannel) power = NULL;
    g_autoptr(GByteArray) resets = g_byte_array_new();
    for (int i = 0; i < actions; i++) {
        g_autoptr(GByteArray) reset = hostile_mini_message(SPP_MSGC_POWER_RESET, 0, 0);
        g_byte_array_append(resets, reset->data, reset->len);
    }
    if (!hostile_power_session(target, &session, &power, error) ||
        !hostile_send(power->conn, resets->data, resets->len, error))
        return FALSE;
    client->main = g_steal_pointer(&session->main_conn);
    client->power = g_steal_pointer(&power->conn);
    return TRUE;
}

static gboolean client_at_stage(const HostileTarget *target, LinkStage stage, Leaver *client, GError **error)
{
    guint32 code;
    switch (stage) {
    case STAGE_CONNECTED:
        return (client->main = hostile_connect(target, error)) != NULL;
    case STAGE_LINK_SENT:
        return (client->main = send_main_link(target, error)) != NULL;
    case STAGE_REPLY_READ:
        if (!(client->main = send_main_link(target, error)))
            return FALSE;
        if (read_link_reply(client->main, &code, NULL))
            return TRUE;
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "no link reply within %d ms", HOSTILE_ANSWER_MS);
        return FALSE;
    case STAGE_SESSION:
        client->main = spp_conn_new();
        if (spp_main_connect(client->main, target->host, target->port, target->password, HOSTILE_ANSWER_MS, &code) ==
            SPP_OK)
            return TRUE;
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "main link: %s", spp_conn_error(client->main));
        return FALSE;
    case STAGE_ACTION_SENT:
    case N_STAGES:
        break;
    }
    return leaver_with_actions(target, 1, client, error);
}

static void leave(Leaver *client, gboolean rst)
{
    SppConn *conns[] = {client->power, client->main};
    for (gsize i = 0; i < G_N_ELEMENTS(conns); i++) {
        if (conns[i] && rst)
            hostile_close_with_reset(conns[i]);
        else
            spp_conn_free(conns[i]);
    }
}

/* Clients that leave at each stage in turn, with a FIN or (rst) an RST. */
static gboolean clients_leave(HostileRun *run, gboolean rst, GError **error)
{
    const HostileTarget *target = run->target;
    for (int i = 0; i < LEAVING_CLIENTS; i++) {
        LinkStage stage = (LinkStage)(i % N_STAGES);
        Leaver client = {NULL, NULL};
        gboolean ok = client_at_stage(target, stage, &client, error);
        leave(&client, rst);
        if (!ok) {
            g_prefix_error(error, "client %d (to leave once %s): ", i + 1, stage_names[stage]);
            return FALSE;
        }
        if (target->pid > 0 && !hostile_process_alive(target->pid, error)) {
            g_prefix_error(error, "after client %d left once %s: ", i + 1, stage_names[stage]);
            return FALSE;
        }
    }
    g_autoptr(GString) stages = g_string_new(NULL);
    for (int s = 0; s < N_STAGES; s++)
        g_string_append_printf(stages, "%s%s", s ? ", " : "", stage_names[s]);
    hostile_run_note(run, "%d clients left with %s, %d at each of: %s", LEAVING_CLIENTS, rst ? "an RST" : "a FIN",
                     LEAVING_CLIENTS / N_STAGES, stages->str);
    return TRUE;
}

gboolean hostile_attack_link_close(HostileRun *run, GError **error)
{
    return clients_leave(run, FALSE, error);
}

gboolean hostile_attack_link_reset(HostileRun *run, GError **error)
{
    return clients_leave(run, TRUE, error);
}

gboolean hostile_attack_vanish_queued(HostileRun *run, GError **error)
{
    const HostileTarget *target = run->target;
    for (int i = 0; i < VANISHING_CLIENTS; i++) {
        Leaver client = {NULL, NULL};
        gboolean ok = leaver_with_actions(target, QUEUE_FILL_ACTIONS, &client, error);
        g_usleep(VANISH_AFTER_MS * 1000);
        leave(&client, i % 2);
        if (!ok || (target->pid > 0 && !hostile_process_alive(target->pid, error))) {
            g_prefix_error(error, "client %d: ", i + 1);
            return FALSE;
        }
    }
    g_usleep(VANISH_SETTLE_MS * 1000);
    hostile_run_note(run, "%d clients sent %d RESETs each and left, alternately with a FIN and an RST",
                     VANISHING_CLIENTS, QUEUE_FILL_ACTIONS);
    return TRUE;
}

/* One link that stops part-way: nothing sent, part of the header, or the header and part of the
 * link message. */
static SppConn *half_open_link(const HostileTarget *target, int kind, GError **error)
{
    SppConn *conn = hostile_connect(target, error);
    guint8 link[HOSTILE_LINK_MAX];
    hostile_link_bytes(link, 0, SPP_CHANNEL_MAIN, 0, 0);
    gsize sent = kind == 0 ? 0 : kind == 1 ? HALF_OPEN_PART : SPP_LINK_HEADER_SIZE + HALF_OPEN_PART;
    if (conn && sent > 0 && !hostile_send(conn, link, sent, error)) {
        spp_conn_free(conn);
        return NULL;
    }
    return conn;
}

gboolean hostile_attack_half_open(HostileRun *run, GError **error)
{
    GPtrArray *held = g_ptr_array_new();
    gboolean ok = TRUE;
    for (int i = 0; ok && i < HALF_OPEN_LINKS; i++) {
        SppConn *conn = half_open_link(run->target, i % 3, error);
        if (conn)
            g_ptr_array_add(held, conn);
        else {
            g_prefix_error(error, "half-open link %d: ", i + 1);
            ok = FALSE;
        }
    }
    if (ok) {
        HostileExpect expect = hostile_expect_default(run->target);
        ok = hostile_run_sample_rss(run, error) && hostile_legit_reset(run->target, &expect, error);
        if (!ok)
            g_prefix_error(error, "while %d half-open links were held: ", HALF_OPEN_LINKS);
        else
            hostile_run_note(run, "%d half-open links held while a legitimate client linked and reset",
                             HALF_OPEN_LINKS);
    }
    for (guint i = 0; i < held->len; i++) {
        if (i % 2)
            hostile_close_with_reset(held->pdata[i]);
        else
            spp_conn_free(held->pdata[i]);
    }
    g_ptr_array_free(held, TRUE);
    return ok;
}

/* What follows a valid link message in the garbage shapes that get past the link reply. */
typedef enum {
    THEN_NOTHING,
    THEN_UNKNOWN_MECHANISM, /* auth mechanism 99 */
    THEN_SASL_MECHANISM,    /* SASL, which the server did not offer, with SASL's ANONYMOUS mechanism */
    THEN_GARBAGE_TICKET,    /* 128 random bytes as the encrypted ticket */
    THEN_VALID_TICKET,      /* the right ticket: the link is refused by its link result */
} GarbageThen;

typedef struct {
    const char *name;
    guint8 channel; /* the link's channel type; 0: main */
    guint8 channel_id;
    guint32 connection_id;
    int offset; /* with width > 0: `value` overwrites `width` bytes of the valid link here */
    guint32 value;
    int width;
    const char *text; /* not NULL: these text_len bytes instead of a link */
    gsize text_len;
    gboolean random; /* GARBAGE_RANDOM_BYTES random bytes instead of a link */
    GarbageThen then;
} GarbageShape;

#define MESS_FIELD(field) (SPP_LINK_HEADER_SIZE + (int)offsetof(SppLinkMess, field))
#define PATCH(at, v) .offset = (at), .value = (v), .width = 4
#define TEXT(s) .text = (s), .text_len = sizeof(s) - 1

static const GarbageShape garbage_shapes[] = {
    {.name = "bad_magic", PATCH(0, 0x58585858u)},
    {.name = "version_1", PATCH(4, 1)},
    {.name = "version_huge", PATCH(4, 0xffffffffu)},
    {.name = "size_zero", PATCH(12, 0)},
    {.name = "size_below_link_message", PATCH(12, SPP_LINK_MESS_MIN_SIZE - 1)},
    {.name = "size_above_4096", PATCH(12, SPP_LINK_MESS_MAX_SIZE + 1)},
    {.name = "size_huge", PATCH(12, 0xffffffffu)},
    {.name = "common_caps_1025", PATCH(MESS_FIELD(num_common_caps), SPP_LINK_MAX_CAP_WORDS + 1)},
    {.name = "channel_caps_wrapping", PATCH(MESS_FIELD(num_channel_caps), 0x40000000u)},
    {.name = "caps_offset_past_end", PATCH(MESS_FIELD(caps_offset), 4000)},
    {.name = "caps_offset_inside_message", PATCH(MESS_FIELD(caps_offset), 0)},
    {.name = "channel_type_unknown", .channel = 200},
    {.name = "power_channel_id_7", .channel = SPP_CHANNEL_POWER, .channel_id = 7},
    {.name = "power_unknown_session", .channel = SPP_CHANNEL_POWER, .connection_id = 0xdeadbeefu,
     .then = THEN_VALID_TICKET},
    {.name = "http_request", TEXT("GET / HTTP/1.1\r\nHost: spice\r\n\r\n")},
    {.name = "tls_client_hello", TEXT("\x16\x03\x01\x00\x31\x01\x00\x00\x2d\x03\x03" "garbage-random-bytes-of-a-hello")},
    {.name = "random_bytes", .random = TRUE},
    {.name = "unknown_auth_mechanism", .then = THEN_UNKNOWN_MECHANISM},
    {.name = "sasl_not_offered", .then = THEN_SASL_MECHANISM},
    {.name = "garbage_ticket", .then = THEN_GARBAGE_TICKET},
};

static void append_random(GByteArray *bytes, int count)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(GARBAGE_SEED);
    for (int i = 0; i < count; i++) {
        guint8 b = (guint8)g_rand_int(rand);
        g_byte_array_append(bytes, &b, 1);
    }
}

static GByteArray *garbage_bytes(const GarbageShape *shape)
{
    GByteArray *bytes = g_byte_array_new();
    if (shape->text) {
        g_byte_array_append(bytes, (const guint8 *)shape->text, (guint)shape->text_len);
    } else if (shape->random) {
        append_random(bytes, GARBAGE_RANDOM_BYTES);
    } else {
        guint8 link[HOSTILE_LINK_MAX];
        gsize length = hostile_link_bytes(link, shape->connection_id, shape->channel ? shape->channel : SPP_CHANNEL_MAIN,
                                          shape->channel_id, shape->channel ? HOSTILE_POWER_CAPS : 0);
        for (int i = 0; i < shape->width; i++)
            link[shape->offset + i] = (guint8)(shape->value >> (8 * i));
        g_byte_array_append(bytes, link, (guint)length);
    }
    return bytes;
}

/* After the link reply: the auth mechanism, then perhaps a ticket. */
static GByteArray *garbage_after_reply(const HostileTarget *target, GarbageThen then, const guint8 *pub_key)
{
    GByteArray *bytes = g_byte_array_new();
    guint8 mechanism[4];
    spp_put_le32(mechanism, then == THEN_UNKNOWN_MECHANISM ? 99
                            : then == THEN_SASL_MECHANISM  ? SPP_AUTH_MECHANISM_SASL
                                                           : SPP_AUTH_MECHANISM_SPICE);
    g_byte_array_append(bytes, mechanism, sizeof mechanism);
    if (then == THEN_GARBAGE_TICKET)
        append_random(bytes, SPP_TICKET_ENCRYPTED_BYTES);
    if (then == THEN_SASL_MECHANISM) {
        /* spice-server enters SASL even when it did not offer it; a host whose SASL allowed
         * ANONYMOUS would let this client in without the ticket. */
        guint8 length[4];
        spp_put_le32(length, sizeof SASL_ANONYMOUS - 1);
        g_byte_array_append(bytes, length, sizeof length);
        g_byte_array_append(bytes, (const guint8 *)SASL_ANONYMOUS, sizeof SASL_ANONYMOUS - 1);
    }
    if (then == THEN_VALID_TICKET) {
        guint8 ticket[SPP_TICKET_ENCRYPTED_BYTES];
        char why[256];
        if (spp_ticket_encrypt(pub_key, SPP_TICKET_PUBKEY_BYTES, target->password ? target->password : "", ticket,
                               why, sizeof why) == SPP_OK)
            g_byte_array_append(bytes, ticket, sizeof ticket);
    }
    return bytes;
}

/* A link past its reply: the link reply must be OK, and what follows it must be refused, by a
 * link result that is not OK or by closing the connection. */
static gboolean garbage_after_link(const HostileTarget *target, SppConn *conn, GarbageThen then, GError **error)
{
    guint32 code = 0;
    guint8 pub_key[SPP_TICKET_PUBKEY_BYTES];
    if (!read_link_reply(conn, &code, pub_key) || code != SPP_LINK_ERR_OK) {
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_CLIENT, "a valid link message got no OK link reply in time");
        return FALSE;
    }
    g_autoptr(GByteArray) after = garbage_after_reply(target, then, pub_key);
    guint8 result[4];
    if (hostile_send(conn, after->data, after->len, NULL) &&
        hostile_read_bytes(conn, result, sizeof result, HOSTILE_ANSWER_MS) == sizeof result &&
        spp_le32(result) == SPP_LINK_ERR_OK) {
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_BEHAVIOUR, "the link result was OK");
        return FALSE;
    }
    return TRUE;
}

/* One garbage shape: the server must not accept it, and must close the connection in time. */
static gboolean send_garbage(const HostileTarget *target, const GarbageShape *shape, GError **error)
{
    SppConn *conn = hostile_connect(target, error);
    g_autoptr(GByteArray) bytes = garbage_bytes(shape);
    gboolean ok = conn && hostile_send(conn, bytes->data, bytes->len, error);
    if (ok && shape->then != THEN_NOTHING)
        ok = garbage_after_link(target, conn, shape->then, error);
    if (ok && !hostile_wait_closed(conn, HOSTILE_ANSWER_MS, NULL)) {
        g_set_error(error, HOSTILE_ERROR, HOSTILE_ERROR_BEHAVIOUR, "the connection stayed open %d ms after it",
                    HOSTILE_ANSWER_MS);
        ok = FALSE;
    }
    spp_conn_free(conn);
    return ok;
}

gboolean hostile_attack_garbage_link(HostileRun *run, GError **error)
{
    for (gsize i = 0; i < G_N_ELEMENTS(garbage_shapes); i++) {
        if (!send_garbage(run->target, &garbage_shapes[i], error) ||
            (run->target->pid > 0 && !hostile_process_alive(run->target->pid, error))) {
            g_prefix_error(error, "garbage link %s: ", garbage_shapes[i].name);
            return FALSE;
        }
    }
    hostile_run_note(run, "%zu garbage link shapes, each refused and closed", G_N_ELEMENTS(garbage_shapes));
    return TRUE;
}
