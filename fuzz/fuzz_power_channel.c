/* libFuzzer target: the real spice-server power channel (patched, ASan/UBSan build) handling the
 * byte stream a client sends after a completed link.
 *
 * Set-up (LLVMFuzzerInitialize, once): eight spice-servers, one per subset of the three actions
 * a SpicePowerInterface offers (an action not offered is one the server must not announce),
 * all driven by a hand-rolled SpiceCoreInterface (poll() over the registered watches; timers are
 * never fired, and spice-server starts none on an AF_UNIX socket for these channels). Each server
 * gets a session linked for real over a socketpair (main channel), and one real power-channel link
 * whose SpiceLinkReply tells the harness which action capabilities the server announces on the
 * wire: that, not the callback table, is the reference of the "announced" invariant.
 *
 * Per input: a fresh PowerChannelClient of that session on a new socketpair, created the way
 * reds_channel_do_link() creates it (fuzz_power_channel_internal.cpp): the RSA-1024 key pair that
 * every real link generates is what a link-per-input design would spend its time on. The harness
 * writes the client stream, shuts its write side (end of stream), runs the core until the server
 * has closed the channel, and reads everything the server sent.
 *
 * Input: byte 0 = configuration
 *   bits 0-2  which actions are offered: bit 0 reset, bit 1 poweroff, bit 2 poweron (selects a server)
 *   bit 3     client announces SPICE_POWER_CAP_STATE
 *   bit 4     client announces SPICE_POWER_CAP_RESULT
 *   bit 5     client announces SPICE_COMMON_CAP_MINI_HEADER (6-byte headers), else 18-byte headers
 *   bits 6-7  callback results: 0 always OK, 1 always FAILED, 2 always DENIED, 3 a cycle through
 *             every code and two out-of-range values
 * byte 1 = more configuration
 *   bits 0-1  power state the server knows at link time (UNKNOWN, ON, OFF, PAUSED)
 *   bit 2     the callbacks behave like a management plane: a successful POWEROFF/POWERON calls
 *             spice_server_power_set_state() from inside the callback (STATE pushed mid-message)
 *   bit 3     the client also announces caps the server must ignore (reserved bit 0, the action
 *             bits, unknown bits, a second cap word)
 *   bits 4-5  how the callback answers (API v2): 0 returns the code, 1 completes from inside the
 *             callback, 2 returns PENDING and the harness completes it on its next loop turn (so
 *             later actions queue behind it and the server's flow control stops and resumes
 *             reading), 3 alternates between 0 and 2
 * rest = the client's byte stream (data headers and bodies).
 *
 * Oracles (abort on violation):
 *   - a callback runs for an action the server did not announce on the wire (§6.2);
 *   - a callback runs after the message at which the server must have closed the channel: unknown
 *     type, body too short for its type, body larger than the channel accepts (§6.5), or runs
 *     when no channel client is connected;
 *   - the sequence of callbacks differs from the spec's processing (§6.1, §7.4: announced, then
 *     allowed in the current state, in order, each action once); a callback runs while another
 *     action of the session is still pending (§6.8);
 *   - the audit hook (reported) does not see every action exactly once with its code;
 *   - the server's replies differ from the spec: STATE first to a STATE client (§6.6), one RESULT
 *     per action to a RESULT client (§6.3), NOTIFY (ERROR, HIGH, what=code, NUL-terminated text)
 *     for failures only to others (§6.4), a STATE per change, nothing a client did not ask for,
 *     serials from 1 in full headers;
 *   - the server does not close the channel at end of stream.
 * When the channel closes early (malformed message) with deferred completions, which queued
 * actions were read before the close depends on socket timing, so only a prefix is required.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice.h>

#include "spicepower/protocol.h"
#include "spp_client.h"
#include "spp_io.h"

int spp_power_channel_connect(SpiceServer *reds, int fd, uint32_t *common_caps, int num_common_caps,
                              uint32_t *caps, int num_caps);

/* spice-server's limit for one message on this channel (PowerChannelClient::RECEIVE_BUF_SIZE) */
#define POWER_RECV_BUF_SIZE 4096

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_power_channel: invariant violated: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---- a minimal SpiceCoreInterface: watches polled on demand, timers recorded but never fired */

struct SpiceWatch {
    int fd;
    int mask;
    SpiceWatchFunc func;
    void *opaque;
    int active;
};
struct SpiceTimer {
    SpiceTimerFunc func;
    void *opaque;
};

#define MAX_WATCHES 64
static SpiceWatch *watches[MAX_WATCHES];

static SpiceTimer *timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *t = calloc(1, sizeof(*t));
    t->func = func;
    t->opaque = opaque;
    return t;
}
static void timer_start(SpiceTimer *t, uint32_t ms)
{
    (void)t;
    (void)ms;
}
static void timer_cancel(SpiceTimer *t)
{
    (void)t;
}
static void timer_remove(SpiceTimer *t)
{
    free(t);
}
static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    for (int i = 0; i < MAX_WATCHES; i++) {
        if (watches[i] == NULL) {
            SpiceWatch *w = calloc(1, sizeof(*w));
            *w = (SpiceWatch){fd, mask, func, opaque, 1};
            watches[i] = w;
            return w;
        }
    }
    fail("more than %d watches: the server leaks channel clients", MAX_WATCHES);
    return NULL;
}
static void watch_update_mask(SpiceWatch *w, int mask)
{
    w->mask = mask;
}
static void watch_remove(SpiceWatch *w)
{
    for (int i = 0; i < MAX_WATCHES; i++)
        if (watches[i] == w)
            watches[i] = NULL;
    free(w);
}
static void channel_event(int event, SpiceChannelEventInfo *info)
{
    (void)event;
    (void)info;
}

static SpiceCoreInterface core = {
    .base = {.type = SPICE_INTERFACE_CORE, .description = "fuzz core", .major_version = SPICE_INTERFACE_CORE_MAJOR, .minor_version = SPICE_INTERFACE_CORE_MINOR},
    .timer_add = timer_add,
    .timer_start = timer_start,
    .timer_cancel = timer_cancel,
    .timer_remove = timer_remove,
    .watch_add = watch_add,
    .watch_update_mask = watch_update_mask,
    .watch_remove = watch_remove,
    .channel_event = channel_event,
};

/* One pass over the watches: dispatch every ready one. Returns how many ran. */
static int core_iterate(void)
{
    struct pollfd pfd[MAX_WATCHES];
    SpiceWatch *w[MAX_WATCHES];
    int n = 0, ran = 0;
    for (int i = 0; i < MAX_WATCHES; i++) {
        if (watches[i] && watches[i]->mask) {
            w[n] = watches[i];
            pfd[n].fd = watches[i]->fd;
            pfd[n].events = (short)(((watches[i]->mask & SPICE_WATCH_EVENT_READ) ? POLLIN : 0) |
                                    ((watches[i]->mask & SPICE_WATCH_EVENT_WRITE) ? POLLOUT : 0));
            pfd[n].revents = 0;
            n++;
        }
    }
    if (n == 0 || poll(pfd, (nfds_t)n, 0) <= 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (!pfd[i].revents)
            continue;
        /* a callback may have removed this watch (or others): dispatch only live ones */
        int live = 0;
        for (int j = 0; j < MAX_WATCHES; j++)
            live |= watches[j] == w[i];
        if (!live)
            continue;
        int ev = 0;
        if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
            ev |= SPICE_WATCH_EVENT_READ;
        if (pfd[i].revents & (POLLOUT | POLLERR))
            ev |= SPICE_WATCH_EVENT_WRITE;
        ev &= w[i]->mask;
        if (ev) {
            w[i]->func(w[i]->fd, ev, w[i]->opaque);
            ran++;
        }
    }
    return ran;
}

/* ---- the byte buffer the harness collects the server's output in */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} Buf;

static void buf_put(Buf *b, const void *d, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

/* Read what is available on a nonblocking fd. Returns 0 at EOF, 1 otherwise. */
static int drain(int fd, Buf *b)
{
    uint8_t tmp[16384];
    for (;;) {
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r > 0) {
            buf_put(b, tmp, (size_t)r);
            continue;
        }
        if (r == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 1;
        return 0; /* ECONNRESET and friends: the server is gone too */
    }
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Run the core until `want` bytes have arrived on fd (or EOF). */
static int read_exact(int fd, Buf *b, size_t want)
{
    for (int spins = 0; b->len < want; spins++) {
        core_iterate();
        if (!drain(fd, b) && b->len < want)
            return -1;
        if (spins > 100000)
            return -1;
    }
    return 0;
}

/* The server runs in this thread: while its socket is full, let it work instead of sleeping. */
static int let_server_run(int fd, int64_t deadline_ms, void *unused)
{
    (void)fd;
    (void)deadline_ms;
    (void)unused;
    core_iterate();
    return 1;
}

static void write_all(int fd, const uint8_t *d, size_t n)
{
    if (spp_io_write_all(fd, d, n, -1, let_server_run, NULL) != SPP_IO_OK)
        fail("write to the server failed: %s", strerror(errno));
}

/* ---- the servers: one per callback subset */

typedef struct {
    SpicePowerInstance sin; /* first: callbacks get &sin */
    SpiceServer *server;
    uint32_t announced;     /* channel caps of the real link reply */
} PowerServer;

static PowerServer servers[8];

/* Model of one input, shared with the callbacks */
static struct {
    int connected;          /* a power channel client exists */
    int result_mode;
    int plane;              /* callbacks update the state like a management plane */
    unsigned calls;         /* callbacks so far */
    unsigned expected_calls;
    int closes_early;       /* the model closes the channel at a malformed message */
    uint16_t expected[POWER_RECV_BUF_SIZE * 8]; /* expected callback sequence (message types) */
    PowerServer *ps;
    int completion;         /* byte 1 bits 4-5 */
    SpicePowerRequest *pending; /* deferred completion, done by the harness */
    int pending_result;
    unsigned reported;      /* reported() calls so far */
    unsigned expected_reports;
} cur;

/* Callback result number `call` of the input under result mode `mode`; the model uses the same
 * function, so it knows what each callback answered. Mode 3 includes two out-of-range values,
 * which the server must report as FAILED (not -1: that is SPICE_POWER_RESULT_PENDING). */
static int result_for(int mode, unsigned call)
{
    static const int cycle[] = {SPP_POWER_RESULT_OK, SPP_POWER_RESULT_FAILED, SPP_POWER_RESULT_DENIED,
                                SPP_POWER_RESULT_UNSUPPORTED, SPP_POWER_RESULT_INVALID_STATE, -7, 5};
    switch (mode) {
    case 0:
        return SPP_POWER_RESULT_OK;
    case 1:
        return SPP_POWER_RESULT_FAILED;
    case 2:
        return SPP_POWER_RESULT_DENIED;
    default:
        return cycle[call % (sizeof(cycle) / sizeof(cycle[0]))];
    }
}

static int on_action(SpicePowerInstance *sin, uint16_t type, unsigned cap)
{
    PowerServer *ps = (PowerServer *)sin;
    if (cur.pending != NULL)
        fail("callback for message %u while another action of the session is pending", type);
    if (!(ps->announced & SPP_CAP_MASK(cap)))
        fail("callback for message %u, whose capability the server did not announce", type);
    if (!cur.connected || ps != cur.ps)
        fail("callback for message %u with no power channel client connected", type);
    if (cur.calls >= cur.expected_calls)
        fail("callback #%u (message %u) after the last action the server may perform "
             "(a malformed message, a refused action, or end of stream came first)",
             cur.calls + 1, type);
    if (cur.expected[cur.calls] != type)
        fail("callback #%u is for message %u, the spec's processing expects %u", cur.calls + 1, type,
             cur.expected[cur.calls]);
    int r = result_for(cur.result_mode, cur.calls);
    cur.calls++;
    if (cur.plane && r == SPP_POWER_RESULT_OK) {
        if (type == SPP_MSGC_POWER_POWEROFF)
            spice_server_power_set_state(ps->server, SPP_POWER_STATE_OFF);
        if (type == SPP_MSGC_POWER_POWERON)
            spice_server_power_set_state(ps->server, SPP_POWER_STATE_ON);
    }
    return r;
}
static int cb_request(SpicePowerInstance *sin, SpicePowerRequest *request)
{
    static const unsigned cap_of[] = {SPP_POWER_CAP_RESET, SPP_POWER_CAP_POWEROFF, SPP_POWER_CAP_POWERON};
    int type = spice_power_request_get_action(request);
    if (type < SPP_MSGC_POWER_RESET || type > SPP_MSGC_POWER_POWERON)
        fail("request for action %d, which is no power action", type);
    unsigned call = cur.calls;
    int r = on_action(sin, (uint16_t)type, cap_of[type - SPP_MSGC_POWER_RESET]);
    int mode = cur.completion == 3 ? (call % 2 ? 2 : 0) : cur.completion;
    if (mode == 1) {
        spice_server_power_complete(request, r);
        return SPICE_POWER_RESULT_PENDING;
    }
    if (mode == 2) {
        cur.pending = request;
        cur.pending_result = r;
        return SPICE_POWER_RESULT_PENDING;
    }
    return r;
}

static void cb_reported(SpicePowerInstance *sin, const SpicePowerRequest *request, int result)
{
    (void)sin;
    (void)request;
    if (result < SPP_POWER_RESULT_OK || result > SPP_POWER_RESULT_INVALID_STATE)
        fail("reported result %d is no result code", result);
    cur.reported++;
}

/* The management plane's side of a deferred action: complete it now. */
static int complete_pending(void)
{
    if (cur.pending == NULL)
        return 0;
    SpicePowerRequest *request = cur.pending;
    cur.pending = NULL;
    spice_server_power_complete(request, cur.pending_result);
    return 1;
}

static SpicePowerInterface power_sif[8];

/* A real link over a fresh socketpair; returns the client end and the channel caps of the reply.
 * The server end goes to spice_server_add_client(). */
static int link_channel(SpiceServer *s, uint8_t type, uint32_t connection_id, uint32_t *reply_caps, Buf *after)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        fail("socketpair: %s", strerror(errno));
    set_nonblock(sp[1]);
    if (spice_server_add_client(s, sp[0], 0) != 0)
        fail("spice_server_add_client failed");

    /* caps_offset 20, not the usual 18: reds.cpp byte-swaps the cap words in place as uint32_t at
     * link_mess + caps_offset, and at 18 that is a misaligned access UBSan aborts on (upstream,
     * every link; harmless on x86). Any offset from 18 up is valid on the wire. */
    uint8_t m[16 + 20 + 4] = {0};
    memcpy(m, SPP_LINK_MAGIC, 4);
    spp_put_le32(m + 4, SPP_VERSION_MAJOR);
    spp_put_le32(m + 8, SPP_VERSION_MINOR);
    spp_put_le32(m + 12, 20 + 4);
    spp_put_le32(m + 16, connection_id);
    m[20] = type;
    m[21] = 0;
    spp_put_le32(m + 22, 1); /* one common cap word */
    spp_put_le32(m + 26, 0); /* no channel caps: a PoC client, the server sends it nothing */
    spp_put_le32(m + 30, 20);
    spp_put_le32(m + 36, SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) | SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE) |
                             SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER));
    write_all(sp[1], m, sizeof(m));

    Buf b = {0};
    if (read_exact(sp[1], &b, 16) < 0 || memcmp(b.p, SPP_LINK_MAGIC, 4) != 0)
        fail("no link reply header");
    size_t rsize = spp_le32(b.p + 12);
    if (read_exact(sp[1], &b, 16 + rsize) < 0 || rsize < SPP_LINK_REPLY_SIZE)
        fail("short link reply");
    const uint8_t *r = b.p + 16;
    if (spp_le32(r) != SPP_LINK_ERR_OK)
        fail("link of channel %u refused with %u", type, spp_le32(r));
    uint32_t ncommon = spp_le32(r + 166), nchan = spp_le32(r + 170), off = spp_le32(r + 174);
    *reply_caps = 0;
    if (nchan > 0 && off + 4 * (ncommon + nchan) <= rsize)
        *reply_caps = spp_le32(r + off + 4 * ncommon);

    /* noauth still decrypts the ticket (OAEP under this link's key) and refuses garbage, so the
     * empty password is encrypted as a real client does */
    uint8_t auth[4 + SPP_TICKET_ENCRYPTED_BYTES] = {0};
    char err[256];
    spp_put_le32(auth, SPP_AUTH_MECHANISM_SPICE);
    if (spp_ticket_encrypt(r + 4, SPP_TICKET_PUBKEY_BYTES, "", auth + 4, err, sizeof(err)) != 0)
        fail("ticket encryption: %s", err);
    write_all(sp[1], auth, sizeof(auth));
    if (read_exact(sp[1], &b, 16 + rsize + 4) < 0 || spp_le32(b.p + 16 + rsize) != SPP_LINK_ERR_OK)
        fail("link result of channel %u is not OK", type);
    /* the server's first messages may have come in the same read */
    buf_put(after, b.p + 16 + rsize + 4, b.len - (16 + rsize + 4));
    free(b.p);
    return sp[1];
}

static int verbose;

/* spice_error() and g_error() end in G_BREAKPOINT (SIGTRAP), which libFuzzer does not catch, so
 * the process would die without a reproducer: fatal levels abort here instead, after printing. */
static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)data;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL)) {
        fprintf(stderr, "fuzz_power_channel: fatal log from spice-server: %s: %s\n", domain ? domain : "", msg);
        abort();
    }
    if (verbose)
        g_log_default_handler(domain, level, msg, data);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* spice-server warns on every malformed message; printing them costs more than the run.
     * Criticals and errors still abort inside spice_log. FUZZ_POWER_CHANNEL_VERBOSE shows them. */
    verbose = getenv("FUZZ_POWER_CHANNEL_VERBOSE") != NULL;
    g_log_set_default_handler(log_handler, NULL);

    for (int i = 0; i < 8; i++) {
        PowerServer *ps = &servers[i];
        SpicePowerInterface *sif = &power_sif[i];
        sif->base.type = SPICE_INTERFACE_POWER;
        sif->base.description = "fuzz power";
        sif->base.major_version = SPICE_INTERFACE_POWER_MAJOR;
        sif->base.minor_version = SPICE_INTERFACE_POWER_MINOR;
        sif->actions = ((i & 1) ? SPP_CAP_MASK(SPP_POWER_CAP_RESET) : 0) |
                       ((i & 2) ? SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) : 0) |
                       ((i & 4) ? SPP_CAP_MASK(SPP_POWER_CAP_POWERON) : 0);
        sif->request = cb_request;
        sif->reported = cb_reported;
        ps->sin.base.sif = &sif->base;

        ps->server = spice_server_new();
        spice_server_set_noauth(ps->server);
        if (spice_server_init(ps->server, &core) != 0)
            fail("spice_server_init failed");
        if (spice_server_add_interface(ps->server, &ps->sin.base) != 0) {
            /* §2.3 lets a server refuse an interface without any action; then there is no
             * channel to fuzz in this configuration */
            if (i == 0) {
                spice_server_destroy(ps->server);
                ps->server = NULL;
                continue;
            }
            fail("spice_server_add_interface(power) failed for callback set %d", i);
        }

        /* the session: a real main-channel link, then its MAIN_INIT for the session id */
        uint32_t unused;
        Buf b = {0};
        int main_fd = link_channel(ps->server, SPP_CHANNEL_MAIN, 0, &unused, &b);
        size_t pos = 0;
        uint32_t session = 0;
        for (;;) {
            if (read_exact(main_fd, &b, pos + 6) < 0)
                fail("no MAIN_INIT (%zu bytes of main channel messages: first type %u)", b.len,
                     b.len >= 2 ? spp_le16(b.p) : 0);
            uint16_t t = spp_le16(b.p + pos);
            uint32_t sz = spp_le32(b.p + pos + 2);
            if (read_exact(main_fd, &b, pos + 6 + sz) < 0)
                fail("short main message");
            if (t == SPP_MSG_MAIN_INIT && sz >= 4) {
                session = spp_le32(b.p + pos + 6);
                break;
            }
            pos += 6 + sz;
        }
        free(b.p);
        /* main_fd stays open for the process' life: closing it would end the session */

        /* one real power link: what the server announces on the wire */
        Buf junk = {0};
        int pfd = link_channel(ps->server, SPP_CHANNEL_POWER, session, &ps->announced, &junk);
        shutdown(pfd, SHUT_WR);
        for (int spins = 0; drain(pfd, &junk); spins++) {
            core_iterate();
            if (spins > 100000)
                fail("the server did not close the probing power link");
        }
        close(pfd);
        free(junk.p);
        for (int a = 0; a < 3; a++) {
            int has = !!(ps->announced & SPP_CAP_MASK(SPP_POWER_CAP_RESET + a));
            if (has != !!(i & (1 << a)))
                fail("callback set %d: capability %d announced=%d", i, SPP_POWER_CAP_RESET + a, has);
        }
    }
    return 0;
}

/* ---- the model of the server's side of one input */

typedef struct {
    uint16_t type; /* SPP_MSG_POWER_STATE, SPP_MSG_POWER_RESULT or SPP_MSG_NOTIFY */
    uint16_t request;
    uint32_t value; /* state, or code */
} Reply;

static Reply expected_replies[POWER_RECV_BUF_SIZE * 16];
static size_t n_expected_replies;

static void expect_reply(uint16_t type, uint16_t request, uint32_t value)
{
    expected_replies[n_expected_replies++] = (Reply){type, request, value};
}

/* §7.4: is the action allowed in this state (UNKNOWN passes everything through)? */
static int allowed(uint16_t type, int state)
{
    switch (type) {
    case SPP_MSGC_POWER_RESET:
    case SPP_MSGC_POWER_POWEROFF:
        return state != SPP_POWER_STATE_OFF;
    case SPP_MSGC_POWER_POWERON:
        return state != SPP_POWER_STATE_ON && state != SPP_POWER_STATE_PAUSED;
    }
    return 0;
}

/* Smallest body the generated parser accepts for the base client messages; -1 = no parser. */
static int min_body(uint16_t type)
{
    switch (type) {
    case SPP_MSGC_ACK_SYNC:
        return 4;
    case SPP_MSGC_ACK:
        return 0;
    case SPP_MSGC_PONG:
        return 12;
    case SPP_MSGC_MIGRATE_DATA:
        /* the generated parser returns the body itself, and spice-server's buffer for an
         * empty body is NULL, which reads as a parse failure: the channel closes */
        return 1;
    case SPP_MSGC_DISCONNECTING:
        return 12;
    case SPP_MSGC_POWER_RESET:
    case SPP_MSGC_POWER_POWEROFF:
    case SPP_MSGC_POWER_POWERON:
        return 0;
    }
    return -1;
}

/* Predict, message by message, what the server must do with the stream. */
static void model(const uint8_t *d, size_t n, int mini, int client_state, int client_result, int state,
                  uint32_t announced)
{
    static const unsigned cap_of[] = {SPP_POWER_CAP_RESET, SPP_POWER_CAP_POWEROFF, SPP_POWER_CAP_POWERON};
    size_t hsize = mini ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
    unsigned calls = 0;
    n_expected_replies = 0;
    cur.expected_calls = 0;
    cur.expected_reports = 0;
    cur.closes_early = 0;
    if (client_state)
        expect_reply(SPP_MSG_POWER_STATE, 0, (uint32_t)state);
    for (size_t pos = 0; pos + hsize <= n;) {
        uint16_t type = spp_le16(d + pos + (mini ? 0 : 8));
        uint32_t size = spp_le32(d + pos + (mini ? 2 : 10));
        if (size > POWER_RECV_BUF_SIZE) {
            cur.closes_early = 1;
            return; /* the channel refuses the buffer and closes */
        }
        if (n - pos - hsize < size)
            return; /* incomplete at end of stream: no effect */
        pos += hsize + size;
        int need = min_body(type);
        if (need < 0 || size < (uint32_t)need || type == SPP_MSGC_MIGRATE_FLUSH_MARK) {
            cur.closes_early = 1;
            return; /* unknown type or short body: parse fails, the channel closes (§6.5) */
        }
        if (type < SPP_MSGC_POWER_RESET)
            continue; /* base messages: no action, no reply */
        cur.expected_reports++;
        uint32_t code;
        if (!(announced & SPP_CAP_MASK(cap_of[type - SPP_MSGC_POWER_RESET]))) {
            code = SPP_POWER_RESULT_UNSUPPORTED;
        } else if (!allowed(type, state)) {
            code = SPP_POWER_RESULT_INVALID_STATE;
        } else {
            cur.expected[cur.expected_calls++] = type;
            int r = result_for(cur.result_mode, calls++);
            code = (r < 0 || r > SPP_POWER_RESULT_INVALID_STATE) ? SPP_POWER_RESULT_FAILED : (uint32_t)r;
            if (cur.plane && r == SPP_POWER_RESULT_OK) {
                int ns = type == SPP_MSGC_POWER_POWEROFF ? SPP_POWER_STATE_OFF
                       : type == SPP_MSGC_POWER_POWERON  ? SPP_POWER_STATE_ON
                                                         : state;
                if (ns != state && client_state)
                    expect_reply(SPP_MSG_POWER_STATE, 0, (uint32_t)ns);
                state = ns;
            }
        }
        if (client_result)
            expect_reply(SPP_MSG_POWER_RESULT, type, code);
        else if (code != SPP_POWER_RESULT_OK)
            expect_reply(SPP_MSG_NOTIFY, type, code);
    }
}

/* Compare what the server sent with the model. */
static void check_replies(const Buf *out, int mini)
{
    size_t hsize = mini ? SPP_MINI_DATA_HEADER_SIZE : SPP_DATA_HEADER_SIZE;
    size_t pos = 0, k = 0;
    uint64_t serial = 1;
    while (pos < out->len) {
        if (out->len - pos < hsize)
            fail("server output ends inside a data header");
        const uint8_t *h = out->p + pos;
        uint16_t type = spp_le16(h + (mini ? 0 : 8));
        uint32_t size = spp_le32(h + (mini ? 2 : 10));
        if (!mini) {
            if (spp_le64(h) != serial)
                fail("reply serial %llu, expected %llu", (unsigned long long)spp_le64(h),
                     (unsigned long long)serial);
            if (spp_le32(h + 14) != 0)
                fail("reply with sub_list %u", spp_le32(h + 14));
        }
        serial++;
        if (out->len - pos - hsize < size)
            fail("server output ends inside a message body");
        const uint8_t *body = h + hsize;
        pos += hsize + size;
        if (k >= n_expected_replies)
            fail("unexpected reply #%zu of type %u (%zu expected)", k + 1, type, n_expected_replies);
        const Reply *e = &expected_replies[k++];
        if (type != e->type)
            fail("reply #%zu has type %u, the spec expects %u (request %u, value %u)", k, type, e->type,
                 e->request, e->value);
        switch (type) {
        case SPP_MSG_POWER_STATE:
            if (size != SPP_MSG_POWER_STATE_SIZE || body[0] != e->value)
                fail("STATE #%zu: size %u state %u, expected state %u", k, size, size ? body[0] : 0, e->value);
            break;
        case SPP_MSG_POWER_RESULT:
            if (size != SPP_MSG_POWER_RESULT_SIZE || spp_le16(body) != e->request || spp_le32(body + 2) != e->value)
                fail("RESULT #%zu: size %u request %u code %u, expected request %u code %u", k, size,
                     size >= 2 ? spp_le16(body) : 0, size >= 6 ? spp_le32(body + 2) : 0, e->request, e->value);
            break;
        case SPP_MSG_NOTIFY: {
            if (size < SPP_MSG_NOTIFY_SIZE + 1)
                fail("NOTIFY #%zu is %u bytes", k, size);
            uint32_t len = spp_le32(body + 20);
            if (spp_le32(body + 8) != SPP_NOTIFY_SEVERITY_ERROR || spp_le32(body + 12) != SPP_NOTIFY_VISIBILITY_HIGH ||
                spp_le32(body + 16) != e->value)
                fail("NOTIFY #%zu: severity %u visibility %u what %u, expected 2 2 %u", k, spp_le32(body + 8),
                     spp_le32(body + 12), spp_le32(body + 16), e->value);
            if ((uint64_t)len + SPP_MSG_NOTIFY_SIZE + 1 != size || len == 0 || body[size - 1] != 0 ||
                memchr(body + SPP_MSG_NOTIFY_SIZE, 0, len) != NULL)
                fail("NOTIFY #%zu: message_len %u in a %u-byte body is not text plus one NUL", k, len, size);
            break;
        }
        }
    }
    /* A channel closed for a malformed message discards the replies it still has queued. They
     * queue only once the socket is full, after a couple of hundred replies (AF_UNIX accounts
     * each small write as a whole buffer), so below that every reply must have come. */
    if (cur.closes_early && k >= 200 && k < n_expected_replies)
        return;
    /* deferred completions: how many queued actions were read before the close is timing */
    if (cur.closes_early && cur.completion >= 2 && k < n_expected_replies)
        return;
    if (k != n_expected_replies)
        fail("%zu replies, the spec expects %zu (next: type %u request %u value %u)", k, n_expected_replies,
             expected_replies[k].type, expected_replies[k].request, expected_replies[k].value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t c0 = data[0], c1 = data[1];
    PowerServer *ps = &servers[c0 & 7];
    if (ps->server == NULL)
        return 0;
    int client_state = !!(c0 & 0x08), client_result = !!(c0 & 0x10), mini = !!(c0 & 0x20);
    int init_state = c1 & 3;
    const uint8_t *stream = data + 2;
    size_t len = size - 2;

    cur.ps = ps;
    cur.result_mode = c0 >> 6;
    cur.plane = !!(c1 & 0x04);
    cur.calls = 0;
    cur.completion = (c1 >> 4) & 3;
    cur.pending = NULL;
    cur.reported = 0;
    spice_server_power_set_state(ps->server, init_state);
    model(stream, len, mini, client_state, client_result, init_state, ps->announced);

    uint32_t common[1] = {SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) | SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE) |
                          (mini ? SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER) : 0)};
    uint32_t caps[2] = {(client_state ? SPP_CAP_MASK(SPP_POWER_CAP_STATE) : 0) |
                            (client_result ? SPP_CAP_MASK(SPP_POWER_CAP_RESULT) : 0),
                        0};
    int ncaps = 1;
    if (c1 & 0x08) {
        /* §4.3-§4.5: action bits, the reserved bit and unknown bits change nothing */
        caps[0] |= SPP_CAP_MASK(SPP_POWER_CAP_RESERVED) | SPP_CAP_MASK(SPP_POWER_CAP_RESET) |
                   SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) | SPP_CAP_MASK(SPP_POWER_CAP_POWERON) | 0xffffffc0u;
        caps[1] = 0xffffffffu;
        ncaps = 2;
    }

    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        fail("socketpair: %s", strerror(errno));
    set_nonblock(sp[0]);
    set_nonblock(sp[1]);
    cur.connected = 1;
    int rc = spp_power_channel_connect(ps->server, sp[0], common, 1, caps, ncaps);
    if (rc != 0)
        fail("could not connect a power channel client: %s", rc == -1 ? "no power channel" : rc == -2 ? "no main channel" : "no session");

    /* Send the stream while reading the replies, then let the server go idle before ending the
     * stream. Ending it at once would be a client that half-closes while replies are still
     * queued: an AF_UNIX socket takes only about 280 small writes before the server blocks,
     * and spice-server closes on EOF without flushing its queue, so the last replies of a long
     * stream would be lost on the harness's account, not the server's. */
    Buf out = {0};
    size_t sent = 0;
    for (int spins = 0;; spins++) {
        if (sent < len) {
            ssize_t w = write(sp[1], stream + sent, len - sent);
            if (w > 0)
                sent += (size_t)w;
            else if (errno != EAGAIN && errno != EINTR)
                fail("write to the server failed: %s", strerror(errno));
        }
        int ran = core_iterate();
        ran += complete_pending();
        size_t before = out.len;
        if (!drain(sp[1], &out))
            break; /* the server closed early: a malformed message */
        if (sent == len && !ran && out.len == before && cur.pending == NULL)
            break; /* idle */
        if (spins > 100000)
            fail("the server does not go idle");
    }
    shutdown(sp[1], SHUT_WR); /* end of stream: the server must close the channel */
    for (int spins = 0;; spins++) {
        core_iterate();
        complete_pending();
        if (!drain(sp[1], &out))
            break;
        if (spins > 10000)
            fail("the server did not close the channel at end of stream");
    }
    /* an action may still be pending after an early close: the plane completes it late */
    complete_pending();
    cur.connected = 0;
    close(sp[1]);

    int prefix_only = cur.closes_early && cur.completion >= 2;
    if (prefix_only ? cur.calls > cur.expected_calls : cur.calls != cur.expected_calls)
        fail("%u callbacks, the spec's processing expects %u", cur.calls, cur.expected_calls);
    if (prefix_only ? cur.reported > cur.expected_reports : cur.reported != cur.expected_reports)
        fail("%u actions reported to the audit hook, the spec's processing has %u", cur.reported,
             cur.expected_reports);
    check_replies(&out, mini);
    free(out.p);
    return 0;
}
