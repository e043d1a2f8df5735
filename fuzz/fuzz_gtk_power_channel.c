/* libFuzzer target: spice-gtk's SpicePowerChannel (qemu-harness/gtk, patch 0002; the fuzz flavour
 * of libspice-client-glib: clang-14, ASan/UBSan, GThread coroutines) handling what a broken or
 * hostile server sends, interleaved with the application's calls.
 *
 * Set-up: one SpiceSession with client sockets. For each of the 128 announcements below, the first
 * input that asks for it creates a SpicePowerChannel and links it over a socketpair with
 * spice_channel_open_fd(); the harness is the server (gtk_power_server.c: a real RSA-1024 key, the
 * ticket checked once, MINI_HEADER). A link stays up while inputs use the same announcement; an
 * input with another closes it, and an input that needs a closed channel links it again, on the
 * same GObject. spice-gtk keeps the SET_ACK window across links of a channel, and so does the
 * model.
 *
 * Input: byte 0 = the server's announcement and what to do with it
 *   bits 0-5  the channel caps word: bit 0 the reserved bit (§4.4), 1 RESET, 2 POWEROFF,
 *             3 POWERON, 4 STATE, 5 RESULT
 *   bit 6     also unknown bits 6-31 and a second caps word of ones (§4.5)
 *   bit 7     close the link first and link again
 * then operations, one byte each (low nibble = kind, bit 4 = flag) with their operands:
 *   0 STATE, 1 RESULT, 2 NOTIFY, 3 PING, 4 SET_ACK, 5 DISCONNECTING, 6 a type without a parser
 *     (u16 operand; the base types with migration or list semantics are moved out of the way):
 *     a body of any length (len, bytes; len < 0xf0, else 0xf0 + 12 bits), the header's size
 *     always the body's: every malformed size of every message is reachable
 *   7 a RESULT that answers (request: 0 the oldest waiting call, 1-3 RESET..POWERON; code byte)
 *   8 a well-formed STATE (value byte)   9 a well-formed NOTIFY (severity, what, text)
 *     (flag on 0-9: a barrier after the message)
 *   10 reset, 11 power_off, 12 power_on (_async; flag: cancel the call at once)
 *   13 the server ends the stream       14 the application disconnects the channel
 *   15 arm: the first signal of the next close (notify of a flag going FALSE, or CLOSED) starts
 *      an action (bits 4-5: which), as an application reacting to the channel going away would
 * The harness runs the client's main loop only at a barrier (PING, and run the client until the
 * PONG), at a close and at the end of the input, so the client handles the messages sent since
 * the last one after the calls made meanwhile: a call sees the messages before the last barrier.
 * At the end of the input the server puts the client back where it started (STATE UNKNOWN if it
 * reports STATE, SET_ACK window 0, a RESULT OK for every call still waiting) behind a barrier.
 *
 * Oracles (abort on violation), from docs/power-channel.md and channel-power.h:
 *   - the link: the client asks for STATE and RESULT, sends reserved bit 0 as 0, picks SPICE auth
 *     and encrypts the empty password under the server's key;
 *   - can-reset, can-power-off, can-power-on, reports-state, reports-results are the announced
 *     bits while linked and FALSE once closed; state is the model's and within the enum;
 *   - state-changed once per change of the reported state, values above 3 as UNKNOWN, UNKNOWN on
 *     close; action-failed for each NOTIFY of severity ERROR from a server without RESULT, the code
 *     mapped as RESULT codes, the text the server's (cut to 1 KiB, valid UTF-8);
 *   - every call finishes exactly once, in the main thread: NOT_CONNECTED when closed, UNSUPPORTED
 *     (nothing sent) when not announced, with the answering RESULT's outcome, TRUE once sent to a
 *     server without RESULT, CONNECTION_CLOSED when the channel closes first, CANCELLED when
 *     cancelled; a call started while the channel goes away still finishes, with an error;
 *   - the client's messages: each sent call's request once and in order, nothing else but
 *     ACK_SYNC, ACK (the SET_ACK window) and PONG as the base protocol asks;
 *   - every signal and callback runs in the main thread (not the channel's coroutine);
 *   - no critical or error is logged except spice-gtk's "failed to parse message", its answer to a
 *     message whose body is too short (§6.5 asks a client to close instead: spice-gtk does not);
 *   - ASan and UBSan, and LeakSanitizer at exit.
 */
#include <gio/gio.h>
#include <spice-client.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtk_power_server.h"
#include "spicepower/protocol.h"

#define fail gps_fail

enum {
    OP_STATE, OP_RESULT, OP_NOTIFY, OP_PING, OP_SET_ACK, OP_DISCONNECTING, OP_UNKNOWN, OP_ANSWER,
    OP_STATE_VALUE, OP_NOTIFY_TEXT, OP_RESET, OP_POWEROFF, OP_POWERON, OP_SERVER_CLOSE,
    OP_CLIENT_DISCONNECT, OP_ARM,
};
#define OP_FLAG 0x10
#define CONFIG_CAPS 0x3f
#define CONFIG_NOISE 0x40
#define CONFIG_RELINK 0x80
#define N_CONNS 128
#define MAX_CALLS 8704          /* more than the call operations of a max_len input */
#define BARRIER_ID 0x57a11ed0u  /* PING id of the harness's barriers */
#define NOTIFY_TEXT_MAX 1024    /* what channel-power.h promises to pass on of a NOTIFY text */
#define SPIN_LIMIT 1000000

/* the power actions as the application sees them */
typedef void (*StartFn)(SpicePowerChannel *, GCancellable *, GAsyncReadyCallback, gpointer);
typedef gboolean (*FinishFn)(SpicePowerChannel *, GAsyncResult *, GError **);
static const struct {
    uint16_t type;
    unsigned cap;
    StartFn start;
    FinishFn finish;
} actions[3] = {
    {SPP_MSGC_POWER_RESET, SPP_POWER_CAP_RESET, spice_power_channel_reset_async, spice_power_channel_reset_finish},
    {SPP_MSGC_POWER_POWEROFF, SPP_POWER_CAP_POWEROFF, spice_power_channel_power_off_async,
     spice_power_channel_power_off_finish},
    {SPP_MSGC_POWER_POWERON, SPP_POWER_CAP_POWERON, spice_power_channel_power_on_async,
     spice_power_channel_power_on_finish},
};

/* What a call must finish with, as far as the model knows yet. */
typedef enum {
    EXP_WAIT_RESULT, /* sent to a RESULT server: its RESULT or the close decides */
    EXP_WAIT_FLUSH,  /* sent to a server without RESULT: TRUE once written */
    EXP_OK,
    EXP_ERROR,       /* domain and code */
    EXP_OK_IF_SENT,  /* the channel closed around it: TRUE if its request went out, else CLOSED */
    EXP_ANY_ERROR,   /* started while the channel went away */
} Expect;

typedef struct {
    int action;
    gboolean cancelled;
    Expect expect;
    GQuark domain;
    int code;
    gboolean sent;   /* the server received its request */
    int finished;
} Call;

typedef struct {
    uint16_t type; /* SPP_MSGC_ACK_SYNC, _ACK or _PONG */
    uint32_t a;    /* generation, or PING id */
    uint64_t b;    /* PING timestamp */
} BaseReply;

typedef struct {
    gboolean failed; /* action-failed, else state-changed */
    int value;       /* the state, or the error code */
    char *text;      /* action-failed's message, NULL: any non-empty one */
} Event;

typedef struct {
    SpicePowerChannel *channel;
    GpsConn server;
    uint8_t id;
    uint32_t caps;       /* the announced channel caps word */
    gboolean noise;
    gboolean linked;     /* READY, as far as the model goes */
    gboolean dirty;      /* messages sent since the client last ran */
    GByteArray *queued;  /* messages of the segment not yet modelled: u16 type, u32 len, body */
    guint answers;       /* OP_ANSWERs of the segment that answer the oldest call */
    gboolean closing;
    gboolean opened, closed;
    int state;           /* what the client must report */
    int64_t ack_window, ack_count;
    GArray *pending;     /* calls waiting for a RESULT, oldest first */
    GArray *sent;        /* calls whose request the server must get, in order */
    guint received;
    GArray *base;        /* BaseReply the client owes, from base_head on */
    guint base_head;
    GArray *events;      /* Event the client owes, from events_head on */
    guint events_head;
    uint64_t ping_seq;
    int armed;           /* 1 + action to start from a signal of the next close, or 0 */
    GThread *thread;     /* the coroutine thread of the link */
} Conn;

static SpiceSession *session;
static Conn conns[N_CONNS];
static GThread *main_thread;
static Call calls[MAX_CALLS];
static guint n_calls;
static guint16 input_gen;
static gboolean ticket_checked;
static GThread *started_thread; /* the last coroutine thread spice-gtk started */
static Conn *live;              /* the channel linked now, if any: one at a time */
static gboolean verbose;

static gboolean has_cap(const Conn *c, unsigned cap)
{
    return (c->caps & SPP_CAP_MASK(cap)) != 0;
}

static void in_main_thread(const char *what)
{
    if (g_thread_self() != main_thread)
        fail("%s ran outside the main thread (in the channel's coroutine)", what);
}

/* ---- what the client owes */

static void expect_base(Conn *c, uint16_t type, uint32_t a, uint64_t b)
{
    BaseReply r = {type, a, b};
    g_array_append_val(c->base, r);
}

static void expect_event(Conn *c, gboolean failed, int value, char *text)
{
    Event e = {failed, value, text};
    g_array_append_val(c->events, e);
}

static Event *next_event(Conn *c, const char *what)
{
    if (c->events_head >= c->events->len)
        fail("%s emitted, the model expects no signal", what);
    return &g_array_index(c->events, Event, c->events_head++);
}

static void clear_owed(Conn *c)
{
    for (guint i = 0; i < c->events->len; i++)
        g_free(g_array_index(c->events, Event, i).text);
    g_array_set_size(c->events, 0);
    c->events_head = 0;
    g_array_set_size(c->base, 0);
    c->base_head = 0;
}

/* RESULT codes and NOTIFY's what as errors: unknown codes are FAILED (§5.4) */
static int error_code(uint32_t code)
{
    switch (code) {
    case SPP_POWER_RESULT_UNSUPPORTED:
    case SPP_POWER_RESULT_DENIED:
    case SPP_POWER_RESULT_INVALID_STATE:
        return (int)code;
    default:
        return SPICE_POWER_CHANNEL_ERROR_FAILED;
    }
}

static void call_expect_error(Call *k, GQuark domain, int code)
{
    k->expect = EXP_ERROR;
    k->domain = domain;
    k->code = code;
}

/* ---- the model of the client, message by message, at the time the server sends */

static void model_result(Conn *c, const uint8_t *b, uint32_t n)
{
    if (n < SPP_MSG_POWER_RESULT_SIZE || !has_cap(c, SPP_POWER_CAP_RESULT) || c->pending->len == 0)
        return;
    guint i = g_array_index(c->pending, guint, 0);
    if (actions[calls[i].action].type != spp_le16(b))
        return; /* answers come in order: one for another call is ignored */
    g_array_remove_index(c->pending, 0);
    uint32_t code = spp_le32(b + 2);
    if (code == SPP_POWER_RESULT_OK)
        calls[i].expect = EXP_OK;
    else
        call_expect_error(&calls[i], SPICE_POWER_CHANNEL_ERROR, error_code(code));
}

static void model_notify(Conn *c, const uint8_t *b, uint32_t n)
{
    if (n < SPP_MSG_NOTIFY_SIZE || SPP_MSG_NOTIFY_SIZE + (uint64_t)spp_le32(b + 20) > n)
        return; /* the parser refuses it */
    if (has_cap(c, SPP_POWER_CAP_RESULT) || spp_le32(b + 8) != SPP_NOTIFY_SEVERITY_ERROR)
        return;
    uint32_t len = MIN(spp_le32(b + 20), NOTIFY_TEXT_MAX);
    char *text = len ? g_utf8_make_valid((const char *)b + SPP_MSG_NOTIFY_SIZE, len) : NULL;
    expect_event(c, TRUE, error_code(spp_le32(b + 16)), text);
}

static void model_msg(Conn *c, uint16_t type, const uint8_t *b, uint32_t n)
{
    /* every message counts towards the ACK window, parsed or not (spice_channel_recv_msg) */
    if (c->ack_count && --c->ack_count == 0) {
        expect_base(c, SPP_MSGC_ACK, 0, 0);
        c->ack_count = c->ack_window;
    }
    switch (type) {
    case SPP_MSG_SET_ACK:
        if (n >= SPP_MSG_SET_ACK_SIZE) {
            c->ack_window = c->ack_count = spp_le32(b + 4);
            expect_base(c, SPP_MSGC_ACK_SYNC, spp_le32(b), 0);
        }
        break;
    case SPP_MSG_PING:
        if (n >= SPP_MSG_PING_SIZE)
            expect_base(c, SPP_MSGC_PONG, spp_le32(b), spp_le64(b + 4));
        break;
    case SPP_MSG_NOTIFY:
        model_notify(c, b, n);
        break;
    case SPP_MSG_POWER_STATE:
        if (n >= SPP_MSG_POWER_STATE_SIZE && has_cap(c, SPP_POWER_CAP_STATE)) {
            int s = b[0] <= SPP_POWER_STATE_PAUSED ? b[0] : SPP_POWER_STATE_UNKNOWN;
            if (s != c->state)
                expect_event(c, FALSE, s, NULL);
            c->state = s;
        }
        break;
    case SPP_MSG_POWER_RESULT:
        model_result(c, b, n);
        break;
    }
}

/* A message goes out at once, and the model takes it at the end of the segment: the client handles
 * it only when the harness runs the client's main loop (settle), after the calls made meanwhile. */
static void put_msg(Conn *c, uint16_t type, const uint8_t *b, uint32_t n)
{
    if (!c->linked)
        return;
    gps_put(&c->server, type, b, n);
    uint8_t h[6];
    spp_put_le16(h, type);
    spp_put_le32(h + 2, n);
    g_byte_array_append(c->queued, h, sizeof(h));
    g_byte_array_append(c->queued, b, n);
    c->dirty = TRUE;
}

static void model_queued(Conn *c)
{
    for (guint pos = 0; pos < c->queued->len;) {
        uint32_t n = spp_le32(c->queued->data + pos + 2);
        model_msg(c, spp_le16(c->queued->data + pos), c->queued->data + pos + 6, n);
        pos += 6 + n;
    }
    g_byte_array_set_size(c->queued, 0);
    c->answers = 0;
}

/* The channel goes away (either side): what the model expects of it. */
static void model_close(Conn *c)
{
    model_queued(c); /* what the client reads before the end */
    for (guint i = 0; i < c->pending->len; i++)
        call_expect_error(&calls[g_array_index(c->pending, guint, i)], G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
    g_array_set_size(c->pending, 0);
    for (guint i = 0; i < c->sent->len; i++) {
        Call *k = &calls[g_array_index(c->sent, guint, i)];
        if (k->expect == EXP_WAIT_FLUSH)
            k->expect = EXP_OK_IF_SENT;
    }
    if (c->state != SPP_POWER_STATE_UNKNOWN)
        expect_event(c, FALSE, SPP_POWER_STATE_UNKNOWN, NULL);
    c->state = SPP_POWER_STATE_UNKNOWN;
    c->closing = TRUE;
}

/* ---- calls */

static void check_outcome(guint i, gboolean ok, const GError *err)
{
    const Call *k = &calls[i];
    const char *msg = err ? err->message : "none";
    if (ok == (err != NULL))
        fail("call #%u returned %d with error %s", i, ok, msg);
    if (k->cancelled) {
        if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            fail("call #%u was cancelled, and finished with %d (%s)", i, ok, msg);
        return;
    }
    switch (k->expect) {
    case EXP_WAIT_RESULT:
        fail("call #%u finished (%d, %s) before the server answered it", i, ok, msg);
    case EXP_WAIT_FLUSH:
    case EXP_OK_IF_SENT:
        /* TRUE exactly when the request went out; not sent only when the channel closed first */
        if (ok ? !k->sent
               : k->sent || k->expect == EXP_WAIT_FLUSH || !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
            fail("call #%u to a server without RESULT finished with %d (%s), its request %s sent", i, ok, msg,
                 k->sent ? "was" : "was not");
        break;
    case EXP_OK:
        if (!ok)
            fail("call #%u failed (%s), the server answered OK", i, msg);
        break;
    case EXP_ERROR:
        if (!g_error_matches(err, k->domain, k->code))
            fail("call #%u finished with %d (%s), expected %s %d", i, ok, msg, g_quark_to_string(k->domain), k->code);
        break;
    case EXP_ANY_ERROR:
        if (ok)
            fail("call #%u, started while the channel went away, succeeded", i);
        break;
    }
}

static void call_done(GObject *source, GAsyncResult *res, gpointer token)
{
    guint t = GPOINTER_TO_UINT(token), i = t & 0xffff;
    in_main_thread("a call's callback");
    if (t >> 16 != input_gen || i >= n_calls)
        fail("a call of an earlier input finished now (late, or a second time)");
    if (calls[i].finished++)
        fail("call #%u finished twice", i);
    GError *err = NULL;
    gboolean ok = actions[calls[i].action].finish(SPICE_POWER_CHANNEL(source), res, &err);
    check_outcome(i, ok, err);
    g_clear_error(&err);
}

static void start_call(Conn *c, int action, gboolean cancel, gboolean reentrant)
{
    if (n_calls == MAX_CALLS)
        return;
    guint i = n_calls++;
    Call *k = &calls[i];
    *k = (Call){.action = action};
    if (reentrant)
        k->expect = EXP_ANY_ERROR;
    else if (!c->linked)
        call_expect_error(k, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
    else if (!has_cap(c, actions[action].cap))
        call_expect_error(k, SPICE_POWER_CHANNEL_ERROR, SPICE_POWER_CHANNEL_ERROR_UNSUPPORTED);
    else {
        g_array_append_val(c->sent, i);
        k->expect = has_cap(c, SPP_POWER_CAP_RESULT) ? EXP_WAIT_RESULT : EXP_WAIT_FLUSH;
        if (k->expect == EXP_WAIT_RESULT)
            g_array_append_val(c->pending, i);
    }
    GCancellable *cancellable = cancel ? g_cancellable_new() : NULL;
    actions[action].start(c->channel, cancellable, call_done, GUINT_TO_POINTER((guint)input_gen << 16 | i));
    if (cancellable) {
        k->cancelled = TRUE;
        g_cancellable_cancel(cancellable);
        g_object_unref(cancellable);
    }
}

/* ---- the channel's signals */

/* the announcement's properties and the capability each one reflects */
static const struct {
    const char *name;
    unsigned cap;
} flags[] = {
    {"can-reset", SPP_POWER_CAP_RESET},      {"can-power-off", SPP_POWER_CAP_POWEROFF},
    {"can-power-on", SPP_POWER_CAP_POWERON}, {"reports-state", SPP_POWER_CAP_STATE},
    {"reports-results", SPP_POWER_CAP_RESULT},
};

/* An application that reacts to the channel going away by starting an action. */
static void maybe_start_armed(Conn *c)
{
    if (c->closing && c->armed) {
        int action = c->armed - 1;
        c->armed = 0;
        start_call(c, action, FALSE, TRUE);
    }
}

static void on_state_changed(SpicePowerChannel *channel, SpicePowerChannelState state, gpointer data)
{
    Conn *c = data;
    in_main_thread("state-changed");
    if (state > SPICE_POWER_CHANNEL_STATE_PAUSED || spice_power_channel_get_state(channel) != state)
        fail("state-changed(%d) with state %d", state, spice_power_channel_get_state(channel));
    const Event *e = next_event(c, "state-changed");
    if (e->failed || e->value != (int)state)
        fail("state-changed(%d), the model expects %s %d", state, e->failed ? "action-failed" : "state-changed", e->value);
}

static void on_action_failed(SpicePowerChannel *channel, GError *error, gpointer data)
{
    Conn *c = data;
    (void)channel;
    in_main_thread("action-failed");
    const Event *e = next_event(c, "action-failed");
    if (!e->failed)
        fail("action-failed (%s), the model expects state-changed(%d)", error->message, e->value);
    if (error->domain != SPICE_POWER_CHANNEL_ERROR || error->code != e->value)
        fail("action-failed with %s %d (%s), expected code %d", g_quark_to_string(error->domain), error->code,
             error->message, e->value);
    if (!g_utf8_validate(error->message, -1, NULL) || (e->text ? strcmp(error->message, e->text) != 0 : !*error->message))
        fail("action-failed's message is not the server's text, cut and made valid: \"%s\"", error->message);
}

static void on_notify(GObject *object, GParamSpec *pspec, gpointer data)
{
    char what[64];
    g_snprintf(what, sizeof(what), "notify::%s", pspec->name);
    Conn *c = data;
    in_main_thread(what);
    /* the announcement's flags change when the channel comes up and when it goes away, and a
     * handler reads the new value */
    for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
        if (strcmp(pspec->name, flags[i].name) != 0)
            continue;
        gboolean value, want = !c->closing && has_cap(c, flags[i].cap);
        g_object_get(object, pspec->name, &value, NULL);
        if (value != want)
            fail("%s reads %d in its handler, %s", what, value, c->closing ? "the channel is going away" : "just linked");
        if (c->closing)
            maybe_start_armed(c);
    }
}

static void on_channel_event(SpiceChannel *channel, SpiceChannelEvent event, gpointer data)
{
    Conn *c = data;
    (void)channel;
    in_main_thread("channel-event");
    if (event == SPICE_CHANNEL_OPENED)
        c->opened = TRUE;
    else if (event == SPICE_CHANNEL_CLOSED)
        c->closed = TRUE;
    else if (event != SPICE_CHANNEL_ERROR_IO)
        fail("channel-event %d", event);
    if (event == SPICE_CHANNEL_CLOSED)
        maybe_start_armed(c);
}

/* ---- the client's messages, as the server reads them */

static void take_base_reply(Conn *c, uint16_t type, const uint8_t *b, uint32_t n)
{
    static const uint32_t sizes[] = {[SPP_MSGC_ACK_SYNC] = 4, [SPP_MSGC_ACK] = 0, [SPP_MSGC_PONG] = SPP_MSG_PING_SIZE};
    if (c->base_head >= c->base->len)
        fail("the client sent base message %u, which nothing asked for", type);
    const BaseReply *e = &g_array_index(c->base, BaseReply, c->base_head++);
    if (type != e->type || n != sizes[type])
        fail("the client sent base message %u (%u bytes), the model expects %u", type, n, e->type);
    if ((type == SPP_MSGC_ACK_SYNC && spp_le32(b) != e->a) ||
        (type == SPP_MSGC_PONG && (spp_le32(b) != e->a || spp_le64(b + 4) != e->b)))
        fail("the client's %s does not echo the server's values", type == SPP_MSGC_PONG ? "PONG" : "ACK_SYNC");
}

/* Everything the client sent so far; TRUE if there was anything. */
static gboolean read_client(Conn *c)
{
    uint16_t type;
    const uint8_t *b;
    uint32_t n;
    gboolean any = FALSE;
    while (c->server.fd >= 0 && gps_take(&c->server, &type, &b, &n)) {
        any = TRUE;
        if (type == SPP_MSGC_ACK_SYNC || type == SPP_MSGC_ACK || type == SPP_MSGC_PONG) {
            take_base_reply(c, type, b, n);
            continue;
        }
        if (type < SPP_MSGC_POWER_RESET || type > SPP_MSGC_POWER_POWERON)
            fail("the client sent message type %u", type);
        if (n != 0)
            fail("the client sent power message %u with a %u-byte body (§5.1: empty)", type, n);
        if (c->received >= c->sent->len)
            fail("the client sent power message %u, which no call asked for", type);
        Call *k = &calls[g_array_index(c->sent, guint, c->received++)];
        if (actions[k->action].type != type)
            fail("the client sent power message %u, the next call's is %u", type, actions[k->action].type);
        k->sent = TRUE;
    }
    return any;
}

/* ---- running the client until it is where the model says */

static gboolean spin(void)
{
    return g_main_context_iteration(NULL, FALSE);
}

static gboolean calls_done(gboolean closed)
{
    for (guint i = 0; i < n_calls; i++) {
        /* a cancelled call still waits for its answer: the request went out */
        gboolean waiting = calls[i].expect == EXP_WAIT_RESULT && !closed;
        if (calls[i].finished != !waiting)
            return FALSE;
    }
    return TRUE;
}

static gboolean owed_done(const Conn *c)
{
    return c->base_head == c->base->len && c->events_head == c->events->len;
}

static gboolean barrier_done(Conn *c)
{
    return owed_done(c) && c->received == c->sent->len && calls_done(FALSE);
}

static gboolean link_done(Conn *c)
{
    return c->opened;
}

static gboolean input_done(Conn *c)
{
    (void)c;
    return calls_done(TRUE);
}

static gboolean close_done(Conn *c)
{
    return c->server.eof && c->closed && owed_done(c) && calls_done(TRUE);
}

static void settle(Conn *c, gboolean (*done)(Conn *), const char *what)
{
    for (unsigned spins = 0, idle = 0;; spins++) {
        gboolean moved = gps_pump(&c->server);
        moved |= read_client(c);
        moved |= spin();
        if (moved)
            idle = 0;
        else if (done(c))
            return;
        else if (++idle > 3)
            fail("%s: the client is stuck (%u of %u base replies, %u of %u signals, %u of %u requests, "
                 "eof %d, closed %d, calls done %d)", what, c->base_head, c->base->len, c->events_head,
                 c->events->len, c->received, c->sent->len, c->server.eof, c->closed, calls_done(c->closing));
        if (spins > SPIN_LIMIT)
            fail("%s: the client does not settle", what);
    }
}

/* PING, and run the client until its PONG: it has handled everything sent before. */
static void barrier(Conn *c)
{
    if (!c->linked)
        return;
    uint8_t ping[SPP_MSG_PING_SIZE];
    spp_put_le32(ping, BARRIER_ID);
    spp_put_le64(ping + 4, ++c->ping_seq);
    put_msg(c, SPP_MSG_PING, ping, sizeof(ping));
    model_queued(c);
    settle(c, barrier_done, "after a barrier");
    for (guint i = 0; i < c->sent->len; i++) {
        Call *k = &calls[g_array_index(c->sent, guint, i)];
        if (k->expect == EXP_WAIT_FLUSH)
            k->expect = EXP_OK;
    }
    c->dirty = FALSE;
}

static void check_properties(Conn *c)
{
    for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
        gboolean v;
        g_object_get(c->channel, flags[i].name, &v, NULL);
        if (v != (c->linked && has_cap(c, flags[i].cap)))
            fail("%s is %d with caps 0x%x, %s", flags[i].name, v, c->caps, c->linked ? "linked" : "closed");
    }
    SpicePowerChannelState state;
    g_object_get(c->channel, "state", &state, NULL);
    if ((int)state != c->state || spice_power_channel_get_state(c->channel) != state)
        fail("state is %d (property %d), the model says %d", spice_power_channel_get_state(c->channel), state, c->state);
}

/* The end of a link, from either side (model_close() done): run the client until it closed and
 * every call finished. */
static void finish_close(Conn *c)
{
    settle(c, close_done, "closing the channel");
    g_thread_join(c->thread); /* its coroutine has returned: the thread ends */
    c->thread = NULL;
    gps_close(&c->server);
    c->linked = c->closing = c->dirty = FALSE;
    c->armed = 0;
    g_array_set_size(c->sent, 0);
    c->received = 0;
    clear_owed(c);
    check_properties(c);
}

static void server_close(Conn *c)
{
    if (!c->linked)
        return;
    model_close(c);
    c->server.shut = TRUE; /* after what is queued: the client reads it all, then the end */
    finish_close(c);
}

static void client_disconnect(Conn *c)
{
    if (!c->linked)
        return;
    if (c->dirty)
        barrier(c); /* a disconnect drops what the client has not read: the model needs it read */
    model_close(c);
    spice_channel_disconnect(SPICE_CHANNEL(c->channel), SPICE_CHANNEL_NONE);
    finish_close(c);
}

static void conn_link(Conn *c)
{
    GpsAnnounce a = {{c->caps | (c->noise ? 0xffffffc0u : 0), 0xffffffffu}, c->noise ? 2 : 1};
    int fd = gps_open(&c->server);
    c->opened = c->closed = FALSE;
    c->state = SPP_POWER_STATE_UNKNOWN;
    /* the ACK window is not reset: spice-gtk keeps it across a new connection of the same channel */
    started_thread = NULL;
    if (!spice_channel_open_fd(SPICE_CHANNEL(c->channel), fd))
        fail("spice_channel_open_fd failed");
    gps_link(&c->server, &a, c->id, spin, !ticket_checked);
    ticket_checked = TRUE;
    settle(c, link_done, "after the link");
    if ((c->thread = started_thread) == NULL)
        fail("the link started no coroutine thread");
    c->linked = TRUE;
    check_properties(c);
}

static Conn *conn_get(uint8_t config)
{
    Conn *c = &conns[config & (N_CONNS - 1)];
    if (c->channel == NULL) {
        c->id = config & (N_CONNS - 1);
        c->caps = config & CONFIG_CAPS;
        c->noise = (config & CONFIG_NOISE) != 0;
        c->server.fd = -1;
        c->pending = g_array_new(FALSE, FALSE, sizeof(guint));
        c->sent = g_array_new(FALSE, FALSE, sizeof(guint));
        c->base = g_array_new(FALSE, FALSE, sizeof(BaseReply));
        c->events = g_array_new(FALSE, FALSE, sizeof(Event));
        c->queued = g_byte_array_new();
        c->channel = SPICE_POWER_CHANNEL(spice_channel_new(session, SPICE_CHANNEL_POWER, c->id));
        g_signal_connect(c->channel, "state-changed", G_CALLBACK(on_state_changed), c);
        g_signal_connect(c->channel, "action-failed", G_CALLBACK(on_action_failed), c);
        g_signal_connect(c->channel, "notify", G_CALLBACK(on_notify), c);
        g_signal_connect(c->channel, "channel-event", G_CALLBACK(on_channel_event), c);
    }
    return c;
}

/* ---- the input */

typedef struct {
    const uint8_t *p;
    size_t n, pos;
} Input;

static uint8_t in_u8(Input *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

/* a length: one byte below 0xf0, else 0xf0 plus 12 bits */
static uint32_t in_len(Input *in)
{
    uint8_t l = in_u8(in);
    return l < 0xf0 ? l : 0xf0 + ((uint32_t)(l & 0x0f) << 8 | in_u8(in));
}

/* up to len bytes of the input, copied to buf (at least 0xf0 + 0xfff bytes) */
static uint32_t in_bytes(Input *in, uint32_t len, uint8_t *buf)
{
    if (len > in->n - in->pos)
        len = (uint32_t)(in->n - in->pos);
    memcpy(buf, in->p + in->pos, len);
    in->pos += len;
    return len;
}

/* The types spice-gtk parses on this channel are not "unknown"; the base channel's that the raw
 * operations leave out are upstream code of every channel, not the power channel's: MIGRATE and
 * WAIT_FOR_CHANNELS start a migration or a wait of the whole session, LIST's sub-message offsets
 * are trusted, and MIGRATE_DATA and BASE_LAST (100, parsed as an empty message) have no handler
 * (a critical). Every type without a parser is fair game. */
#define SPP_MSG_BASE_LAST 100
static uint16_t unknown_type(uint16_t t)
{
    if ((t >= SPP_MSG_MIGRATE && t <= SPP_MSG_LIST) || (t >= SPP_MSG_BASE_LAST && t <= SPP_MSG_POWER_RESULT))
        t |= 0x100;
    return t;
}

static const uint16_t raw_types[] = {
    [OP_STATE] = SPP_MSG_POWER_STATE, [OP_RESULT] = SPP_MSG_POWER_RESULT, [OP_NOTIFY] = SPP_MSG_NOTIFY,
    [OP_PING] = SPP_MSG_PING,         [OP_SET_ACK] = SPP_MSG_SET_ACK,     [OP_DISCONNECTING] = SPP_MSG_DISCONNECTING,
};

/* A message of the harness's choice of type and the input's body. */
static void op_raw(Conn *c, Input *in, int op)
{
    static uint8_t body[0xf0 + 0x1000];
    uint16_t type = op == OP_UNKNOWN ? unknown_type((uint16_t)(in_u8(in) | in_u8(in) << 8)) : raw_types[op];
    uint32_t n = in_bytes(in, in_len(in), body);
    /* spice-gtk counts the SET_ACK window down in an int: from 2^31 (INT_MIN) the next message
     * overflows it, undefined behaviour that UBSan stops on (upstream base channel code, every
     * channel; wraps in practice). Windows from 2^31 up are left out. */
    if (type == SPP_MSG_SET_ACK && n >= SPP_MSG_SET_ACK_SIZE)
        body[7] &= 0x7f;
    put_msg(c, type, body, n);
}

/* Well-formed messages: a RESULT for a waiting call, a STATE, a NOTIFY with its text and NUL. */
static void op_formed(Conn *c, Input *in, int op)
{
    static uint8_t body[SPP_MSG_NOTIFY_SIZE + 0xf0 + 0x1000 + 1];
    uint8_t a = in_u8(in), b = op == OP_STATE_VALUE ? 0 : in_u8(in);
    switch (op) {
    case OP_ANSWER: {
        /* 0: the oldest call this segment has not answered yet (the calls of the segment are
         * made before the client reads its messages) */
        uint16_t request = SPP_MSGC_POWER_RESET - 1 + (a & 3);
        if ((a & 3) == 0) {
            guint k = c->answers++;
            request = k < c->pending->len ? actions[calls[g_array_index(c->pending, guint, k)].action].type
                                          : SPP_MSGC_POWER_RESET;
        }
        spp_put_le16(body, request);
        spp_put_le32(body + 2, b < 0xf0 ? b : 0xffffff00u | b);
        put_msg(c, SPP_MSG_POWER_RESULT, body, SPP_MSG_POWER_RESULT_SIZE);
        break;
    }
    case OP_STATE_VALUE:
        put_msg(c, SPP_MSG_POWER_STATE, &a, 1);
        break;
    default: {
        uint32_t len = in_bytes(in, in_len(in), body + SPP_MSG_NOTIFY_SIZE);
        memset(body, 0, SPP_MSG_NOTIFY_SIZE);
        spp_put_le32(body + 8, a & 3);
        spp_put_le32(body + 12, SPP_NOTIFY_VISIBILITY_HIGH);
        spp_put_le32(body + 16, b);
        spp_put_le32(body + 20, len);
        body[SPP_MSG_NOTIFY_SIZE + len] = 0;
        put_msg(c, SPP_MSG_NOTIFY, body, SPP_MSG_NOTIFY_SIZE + len + 1);
    }
    }
}

static void run_op(Conn *c, Input *in)
{
    uint8_t code = in_u8(in);
    int op = code & 0x0f;
    if (op <= OP_UNKNOWN)
        op_raw(c, in, op);
    else if (op <= OP_NOTIFY_TEXT)
        op_formed(c, in, op);
    if (op <= OP_NOTIFY_TEXT) {
        if (code & OP_FLAG)
            barrier(c);
        return;
    }
    switch (op) {
    case OP_RESET:
    case OP_POWEROFF:
    case OP_POWERON:
        start_call(c, op - OP_RESET, (code & OP_FLAG) != 0, FALSE);
        break;
    case OP_SERVER_CLOSE:
        server_close(c);
        break;
    case OP_CLIENT_DISCONNECT:
        client_disconnect(c);
        break;
    case OP_ARM:
        c->armed = 1 + (code >> 4 & 3) % 3;
        break;
    }
}

/* Put the client back where an input starts: state UNKNOWN, no ACK window, nothing waiting. */
static void normalize(Conn *c)
{
    if (!c->linked) {
        settle(c, input_done, "after the input"); /* calls on the closed channel fail in idles */
        return;
    }
    uint8_t b[SPP_MSG_SET_ACK_SIZE] = {0};
    model_queued(c);
    if (has_cap(c, SPP_POWER_CAP_STATE))
        put_msg(c, SPP_MSG_POWER_STATE, b, SPP_MSG_POWER_STATE_SIZE);
    put_msg(c, SPP_MSG_SET_ACK, b, sizeof(b));
    for (guint i = 0; i < c->pending->len; i++) {
        uint8_t r[SPP_MSG_POWER_RESULT_SIZE] = {0};
        spp_put_le16(r, actions[calls[g_array_index(c->pending, guint, i)].action].type);
        put_msg(c, SPP_MSG_POWER_RESULT, r, sizeof(r));
    }
    barrier(c);
    g_array_set_size(c->sent, 0);
    c->received = 0;
    clear_owed(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    Input in = {data, size, 1};
    Conn *c = conn_get(data[0]);
    input_gen++;
    n_calls = 0;
    /* One link at a time: spice-gtk's GThread coroutines wait on one condition variable that
     * every switch broadcasts, so each linked channel's thread would wake at every switch. */
    if (live != c && live != NULL)
        server_close(live);
    live = c;
    if (c->linked && (data[0] & CONFIG_RELINK))
        server_close(c);
    if (!c->linked)
        conn_link(c);
    while (in.pos < in.n)
        run_op(c, &in);
    normalize(c);
    if (!calls_done(TRUE))
        fail("a call of this input did not finish");
    check_properties(c);
    c->armed = 0;
    return 0;
}

/* ---- process set-up */

/* Criticals and errors abort (libFuzzer then keeps the input), except spice-gtk's answer to a
 * message it cannot parse; so do GLib's warnings and g_warn_if_fail(). */
static gboolean log_is_fatal(const char *domain, GLogLevelFlags level, const char *message)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL))
        return TRUE;
    if (level & G_LOG_LEVEL_CRITICAL)
        return !g_str_has_prefix(message, "failed to parse message");
    if (level & G_LOG_LEVEL_WARNING)
        return (domain && g_str_has_prefix(domain, "GLib")) || strstr(message, "runtime check failed") != NULL;
    return FALSE;
}

static void log_message(const char *domain, GLogLevelFlags level, const char *message)
{
    if (log_is_fatal(domain, level, message)) {
        fprintf(stderr, "fuzz_gtk_power_channel: fatal log: %s: %s\n", domain ? domain : "", message);
        abort();
    }
    if (verbose)
        fprintf(stderr, "%s: %s\n", domain ? domain : "", message);
}

static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)data;
    log_message(domain, level, message);
}

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
    const char *domain = NULL, *message = "";
    (void)data;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = fields[i].value;
        else if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    }
    log_message(domain, level, message);
    return G_LOG_WRITER_HANDLED;
}

/* spice-gtk's GThread coroutines never join the thread they start (coroutine_gthread.c keeps the
 * handle and never uses it), so every link would leave a finished thread behind, its stack mapped
 * until the process ends, and a long run would run out of threads. The harness joins the thread of
 * a link once the channel has closed (its coroutine has returned). Linked with
 * -Wl,--wrap=g_thread_new. */
GThread *__real_g_thread_new(const gchar *name, GThreadFunc func, gpointer data);
GThread *__wrap_g_thread_new(const gchar *name, GThreadFunc func, gpointer data);
GThread *__wrap_g_thread_new(const gchar *name, GThreadFunc func, gpointer data)
{
    GThread *thread = __real_g_thread_new(name, func, data);
    if (g_strcmp0(name, "coroutine-thread") == 0)
        started_thread = thread;
    return thread;
}

/* At exit, before LeakSanitizer looks: the live link is closed and its coroutine thread joined, as
 * between inputs. Left linked, the thread is still running when OpenSSL's and GLib's exit-time
 * clean-up free what would reach its per-thread state, and LeakSanitizer reports that state. */
static void close_live_link(void)
{
    if (live != NULL)
        server_close(live);
    live = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    verbose = getenv("FUZZ_GTK_POWER_CHANNEL_VERBOSE") != NULL;
    g_log_set_default_handler(log_handler, NULL);
    g_log_set_writer_func(log_writer, NULL, NULL);
    main_thread = g_thread_self();
    gps_init();
    session = spice_session_new();
    g_object_set(session, "client-sockets", TRUE, NULL);
    atexit(close_live_link); /* after OpenSSL's and LeakSanitizer's: runs before both */
    return 0;
}
