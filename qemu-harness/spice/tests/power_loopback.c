/* The power channel over real loopback sockets: the patched spice-server listens on
 * 127.0.0.1, spp_client links the main and power channels and checks the caps, requests,
 * results, notifications, state updates and ticket refusal of docs/power-channel.md.
 *
 * Exit status 0 when every check passed; each failed check is printed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice.h>

#include "spp_client.h"
#include "test_core.h"

#define PASSWORD "s3cret-power"
#define TIMEOUT_MS 5000
#define QUIET_MS 300 /* how long "nothing arrives" is watched for */

static int failures;
static int checks;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    checks++;
    if (!ok)
        failures++;
}

/* ---- the server side ---- */

static gint reset_calls, poweroff_calls, poweron_calls;

/* The management plane: counts the actions that reach it and performs them all. */
static int on_request(SpicePowerInstance *sin, SpicePowerRequest *request)
{
    (void)sin;
    switch (spice_power_request_get_action(request)) {
    case SPICE_MSGC_POWER_RESET:
        g_atomic_int_inc(&reset_calls);
        break;
    case SPICE_MSGC_POWER_POWEROFF:
        g_atomic_int_inc(&poweroff_calls);
        break;
    case SPICE_MSGC_POWER_POWERON:
        g_atomic_int_inc(&poweron_calls);
        break;
    }
    return SPICE_POWER_RESULT_OK;
}

#define ACTION_RESET (1u << SPICE_POWER_CAP_RESET)
#define ACTION_POWEROFF (1u << SPICE_POWER_CAP_POWEROFF)
#define ACTION_POWERON (1u << SPICE_POWER_CAP_POWERON)

typedef struct {
    TestCore *core;
    SpiceServer *server;
    SpicePowerInterface sif;
    SpicePowerInstance sin;
    int port;
} Server;

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("listen on 127.0.0.1");
        exit(2);
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

typedef struct {
    Server *s;
    int with_interface;
    int listen_fd;
    int status;
} Setup;

/* in the server thread, so that the channels belong to it */
static void do_setup(void *data)
{
    Setup *su = data;
    Server *s = su->s;
    s->server = spice_server_new();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    spice_server_set_listen_socket_fd(s->server, su->listen_fd); /* no race for a free port */
#pragma GCC diagnostic pop
    spice_server_set_ticket(s->server, PASSWORD, 0, 0, 0);
    su->status = spice_server_init(s->server, test_core_interface(s->core));
    if (su->status == 0 && su->with_interface)
        su->status = spice_server_add_interface(s->server, &s->sin.base);
}

static void do_destroy(void *data)
{
    Server *s = data;
    spice_server_destroy(s->server);
}

/* with_interface: add the power interface offering the given actions (ACTION_*) */
static void server_start(Server *s, int with_interface, uint32_t actions)
{
    memset(s, 0, sizeof(*s));
    g_atomic_int_set(&reset_calls, 0);
    g_atomic_int_set(&poweroff_calls, 0);
    g_atomic_int_set(&poweron_calls, 0);
    s->sif.base.type = SPICE_INTERFACE_POWER;
    s->sif.base.description = "spicepower loopback test";
    s->sif.base.major_version = SPICE_INTERFACE_POWER_MAJOR;
    s->sif.base.minor_version = SPICE_INTERFACE_POWER_MINOR;
    s->sif.actions = actions;
    s->sif.request = on_request;
    s->sin.base.sif = &s->sif.base;

    s->core = test_core_new();
    test_core_start(s->core);
    Setup su = {.s = s, .with_interface = with_interface, .listen_fd = listen_loopback(&s->port)};
    test_core_call(s->core, do_setup, &su);
    check(su.status == 0, "spice_server_init%s succeeds",
          with_interface ? " and spice_server_add_interface(power)" : "");
    if (su.status != 0)
        exit(1);
}

static void server_stop(Server *s)
{
    test_core_call(s->core, do_destroy, s);
    test_core_stop(s->core);
    test_core_free(s->core);
}

typedef struct {
    Server *s;
    int state;
} SetState;

static void do_set_state(void *data)
{
    SetState *st = data;
    spice_server_power_set_state(st->s->server, st->state);
}

static void set_state(Server *s, int state)
{
    SetState st = {s, state};
    test_core_call(s->core, do_set_state, &st);
}

/* ---- the client side ---- */

static const uint32_t client_state_result[1] = {SPP_CAP_MASK(SPP_POWER_CAP_STATE) |
                                                SPP_CAP_MASK(SPP_POWER_CAP_RESULT)};
static const uint32_t client_no_caps[1] = {0};

static SppConn *main_connect(Server *s, uint32_t *session)
{
    SppConn *c = spp_conn_new();
    int st = spp_main_connect(c, "127.0.0.1", s->port, PASSWORD, TIMEOUT_MS, session);
    check(st == SPP_OK, "main channel linked (%s)", st == SPP_OK ? "ok" : spp_conn_error(c));
    if (st != SPP_OK) {
        printf("cannot continue without a main channel\n");
        exit(1);
    }
    return c;
}

static SppConn *power_connect(Server *s, uint32_t session, const uint32_t *caps, const char *password,
                              SppLinkInfo *info, int *status)
{
    SppConn *c = spp_conn_new();
    *status = spp_channel_connect(c, "127.0.0.1", s->port, session, SPP_CHANNEL_POWER,
                                  SPP_POWER_CHANNEL_ID, caps, 1, password, TIMEOUT_MS, info);
    return c;
}

static int expect_state(SppConn *c, uint8_t state, const char *what)
{
    SppMessage m;
    int st = spp_recv(c, &m, TIMEOUT_MS);
    int ok = st == SPP_OK && m.type == SPP_MSG_POWER_STATE && m.size >= SPP_MSG_POWER_STATE_SIZE &&
             m.data[0] == state;
    check(ok, "%s: STATE %u (got %s, type %u, state %u)", what, state,
          st == SPP_OK ? "a message" : spp_conn_error(c), st == SPP_OK ? m.type : 0,
          st == SPP_OK && m.size ? m.data[0] : 0);
    spp_message_clear(&m);
    return ok;
}

static int expect_result(SppConn *c, uint16_t request, uint32_t code, const char *what)
{
    SppMessage m;
    int st = spp_recv(c, &m, TIMEOUT_MS);
    int ok = st == SPP_OK && m.type == SPP_MSG_POWER_RESULT && m.size >= SPP_MSG_POWER_RESULT_SIZE &&
             spp_le16(m.data) == request && spp_le32(m.data + 2) == code;
    check(ok, "%s: RESULT {request %u, code %u} (got %s, type %u, request %u, code %u)", what,
          request, code, st == SPP_OK ? "a message" : spp_conn_error(c), st == SPP_OK ? m.type : 0,
          ok || (st == SPP_OK && m.size >= 6) ? spp_le16(m.data) : 0,
          ok || (st == SPP_OK && m.size >= 6) ? spp_le32(m.data + 2) : 0);
    spp_message_clear(&m);
    return ok;
}

static void expect_notify(SppConn *c, uint32_t what_code, const char *what)
{
    SppMessage m;
    int st = spp_recv(c, &m, TIMEOUT_MS);
    int ok = st == SPP_OK && m.type == SPP_MSG_NOTIFY && m.size >= SPP_MSG_NOTIFY_SIZE;
    check(ok, "%s: NOTIFY arrives (got %s, type %u)", what,
          st == SPP_OK ? "a message" : spp_conn_error(c), st == SPP_OK ? m.type : 0);
    if (ok) {
        const uint8_t *p = m.data;
        uint32_t len = spp_le32(p + offsetof(SppMsgNotify, message_len));
        check(spp_le32(p + offsetof(SppMsgNotify, severity)) == SPP_NOTIFY_SEVERITY_ERROR,
              "%s: NOTIFY severity ERROR", what);
        check(spp_le32(p + offsetof(SppMsgNotify, visibility)) == SPP_NOTIFY_VISIBILITY_HIGH,
              "%s: NOTIFY visibility HIGH", what);
        check(spp_le32(p + offsetof(SppMsgNotify, what)) == what_code, "%s: NOTIFY what = %u",
              what, what_code);
        check(len > 0 && m.size >= SPP_MSG_NOTIFY_SIZE + len, "%s: NOTIFY text \"%.*s\"", what,
              (int)(m.size - SPP_MSG_NOTIFY_SIZE), (const char *)p + SPP_MSG_NOTIFY_SIZE);
    }
    spp_message_clear(&m);
}

static void expect_quiet(SppConn *c, const char *what)
{
    SppMessage m;
    int st = spp_recv(c, &m, QUIET_MS);
    check(st == SPP_ERR_TIMEOUT, "%s: no message arrives (got %s, type %u)", what,
          st == SPP_OK ? "a message" : spp_status_name(st), st == SPP_OK ? m.type : 0);
    spp_message_clear(&m);
}

static void send_request(SppConn *c, uint16_t type)
{
    int st = spp_send(c, type, NULL, 0);
    check(st == SPP_OK, "send request %u (%s)", type, st == SPP_OK ? "ok" : spp_conn_error(c));
}

/* Let a request that should have no effect reach the server before counting. */
static void settle(void)
{
    g_usleep(QUIET_MS * 1000);
}

/* ---- scenarios ---- */

/* The power link of a client with STATE and RESULT: the server announces exactly its two actions. */
static SppConn *link_state_result_client(Server *s, uint32_t session)
{
    SppLinkInfo info;
    int st;
    SppConn *c = power_connect(s, session, client_state_result, PASSWORD, &info, &st);
    check(st == SPP_OK, "power channel linked with STATE|RESULT (%s)",
          st == SPP_OK ? "ok" : spp_conn_error(c));
    uint32_t want = SPP_CAP_MASK(SPP_POWER_CAP_RESET) | SPP_CAP_MASK(SPP_POWER_CAP_POWEROFF) |
                    SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    check(info.num_channel_caps == 1 && info.channel_caps[0] == want,
          "link reply caps 0x%x == RESET|POWEROFF|STATE|RESULT 0x%x (%u words)",
          info.num_channel_caps ? info.channel_caps[0] : 0, want, info.num_channel_caps);
    check(!spp_link_info_has_channel_cap(&info, SPP_POWER_CAP_RESERVED), "reserved cap 0 not set");
    return c;
}

/* While the state is unknown: RESET runs, the unannounced POWERON runs nothing. */
static void check_actions_while_unknown(SppConn *c)
{
    expect_state(c, SPP_POWER_STATE_UNKNOWN, "first message after link");

    send_request(c, SPP_MSGC_POWER_RESET);
    expect_result(c, SPP_MSGC_POWER_RESET, SPP_POWER_RESULT_OK, "RESET");
    settle();
    check(g_atomic_int_get(&reset_calls) == 1, "RESET invoked the reset callback exactly once (%d)",
          g_atomic_int_get(&reset_calls));

    send_request(c, SPP_MSGC_POWER_POWERON);
    expect_result(c, SPP_MSGC_POWER_POWERON, SPP_POWER_RESULT_UNSUPPORTED, "unannounced POWERON");
    check(g_atomic_int_get(&reset_calls) == 1 && g_atomic_int_get(&poweroff_calls) == 0 &&
              g_atomic_int_get(&poweron_calls) == 0,
          "unannounced POWERON ran no callback");
}

/* set_state pushes each change once; OFF refuses POWEROFF and RESET, PAUSED allows POWEROFF. */
static void check_state_changes(Server *s, SppConn *c)
{
    set_state(s, SPP_POWER_STATE_ON);
    expect_state(c, SPP_POWER_STATE_ON, "set_state(ON) pushed");
    set_state(s, SPP_POWER_STATE_ON);
    set_state(s, SPP_POWER_STATE_OFF);
    expect_state(c, SPP_POWER_STATE_OFF, "set_state(OFF) pushed, repeat of ON not");

    send_request(c, SPP_MSGC_POWER_POWEROFF);
    expect_result(c, SPP_MSGC_POWER_POWEROFF, SPP_POWER_RESULT_INVALID_STATE, "POWEROFF while off");
    check(g_atomic_int_get(&poweroff_calls) == 0, "POWEROFF while off ran no callback");
    send_request(c, SPP_MSGC_POWER_RESET);
    expect_result(c, SPP_MSGC_POWER_RESET, SPP_POWER_RESULT_INVALID_STATE, "RESET while off");
    check(g_atomic_int_get(&reset_calls) == 1, "RESET while off ran no callback");

    set_state(s, SPP_POWER_STATE_PAUSED);
    expect_state(c, SPP_POWER_STATE_PAUSED, "set_state(PAUSED) pushed");
    send_request(c, SPP_MSGC_POWER_POWEROFF);
    expect_result(c, SPP_MSGC_POWER_POWEROFF, SPP_POWER_RESULT_OK, "POWEROFF while paused");
    check(g_atomic_int_get(&poweroff_calls) == 1, "POWEROFF while paused ran the callback once");
    expect_quiet(c, "after the last RESULT");
    check(spp_conn_stats(c)->pings_answered >= 1, "server PING answered with PONG (%u)",
          spp_conn_stats(c)->pings_answered);
}

/* The power link of a client without caps, in a session whose main channel just replaced the
 * previous client's: until the server has dropped the old client, it may drop this link too. */
static SppConn *link_client_without_caps(Server *s, uint32_t session)
{
    SppLinkInfo info;
    int st;
    SppConn *c = NULL;
    for (int i = 0; i < 20; i++) {
        spp_conn_free(c);
        c = power_connect(s, session, client_no_caps, PASSWORD, &info, &st);
        if (st != SPP_OK)
            break;
        /* nothing may arrive, but a link the server drops right away shows up as CLOSED */
        SppMessage m;
        int alive = spp_recv(c, &m, QUIET_MS);
        spp_message_clear(&m);
        if (alive != SPP_ERR_CLOSED) {
            check(alive == SPP_ERR_TIMEOUT, "no STATE without the STATE cap (%s)",
                  alive == SPP_OK ? "got a message" : spp_status_name(alive));
            break;
        }
        printf("# power channel dropped right after the link (old client still there), retrying\n");
        g_usleep(50000);
    }
    check(st == SPP_OK, "power channel linked without caps (%s)",
          st == SPP_OK ? "ok" : spp_conn_error(c));
    return c;
}

/* Without STATE and RESULT: no STATE pushed, success silent, failure a NOTIFY. */
static void check_client_without_caps(Server *s, SppConn *c)
{
    set_state(s, SPP_POWER_STATE_ON);
    expect_quiet(c, "no STATE pushed without the STATE cap");

    send_request(c, SPP_MSGC_POWER_RESET);
    expect_quiet(c, "successful RESET is silent without the RESULT cap");
    check(g_atomic_int_get(&reset_calls) == 2, "RESET ran the callback (%d calls in total)",
          g_atomic_int_get(&reset_calls));

    send_request(c, SPP_MSGC_POWER_POWERON);
    expect_notify(c, SPP_POWER_RESULT_UNSUPPORTED, "unannounced POWERON without RESULT cap");
    expect_quiet(c, "no RESULT without the RESULT cap");
    check(g_atomic_int_get(&poweron_calls) == 0, "unannounced POWERON ran no callback");
}

/* A wrong ticket is refused, on the power and on the main channel, and nothing reaches the
 * callbacks. */
static void check_wrong_ticket(Server *s, uint32_t session)
{
    SppLinkInfo info;
    int st;
    int before = g_atomic_int_get(&reset_calls);
    SppConn *c = power_connect(s, session, client_state_result, "wrong-password", &info, &st);
    check(st == SPP_ERR_LINK && info.result_received &&
              info.result == SPP_LINK_ERR_PERMISSION_DENIED,
          "wrong ticket refused with PERMISSION_DENIED (%s)", spp_conn_error(c));
    uint8_t raw[SPP_MINI_DATA_HEADER_SIZE] = {0};
    spp_put_le16(raw, SPP_MSGC_POWER_RESET);
    spp_send_raw(c, raw, sizeof(raw), QUIET_MS); /* may fail: the server closes the socket */
    settle();
    check(g_atomic_int_get(&reset_calls) == before, "no callback ran after the refused link");
    spp_conn_free(c);

    SppConn *m2 = spp_conn_new();
    st = spp_main_connect(m2, "127.0.0.1", s->port, "wrong-password", TIMEOUT_MS, NULL);
    check(st == SPP_ERR_LINK, "main channel with a wrong ticket refused (%s)", spp_conn_error(m2));
    spp_conn_free(m2);
}

static void scenario_reset_poweroff(void)
{
    printf("# server with reset and poweroff, without poweron\n");
    Server s;
    server_start(&s, 1, ACTION_RESET | ACTION_POWEROFF);
    uint32_t session = 0;
    SppConn *main_ch = main_connect(&s, &session);
    SppConn *c = link_state_result_client(&s, session);
    check_actions_while_unknown(c);
    check_state_changes(&s, c);
    spp_conn_free(c);

    /* a new session, as a client that knows neither STATE nor RESULT; the new main channel
     * link makes the server drop the previous client and its channels */
    spp_conn_free(main_ch);
    main_ch = main_connect(&s, &session);
    c = link_client_without_caps(&s, session);
    check_client_without_caps(&s, c);
    spp_conn_free(c);

    check_wrong_ticket(&s, session);
    spp_conn_free(main_ch);
    server_stop(&s);
}

static void scenario_poweron_only(void)
{
    printf("# server with only poweron\n");
    Server s;
    server_start(&s, 1, ACTION_POWERON);
    uint32_t session = 0;
    SppConn *main_ch = main_connect(&s, &session);
    SppLinkInfo info;
    int st;
    /* this client does not announce MINI_HEADER: full 18-byte headers both ways */
    static const uint32_t common_no_mini[1] = {SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) |
                                               SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE)};
    SppConn *c = spp_conn_new();
    st = spp_conn_connect(c, "127.0.0.1", s.port, TIMEOUT_MS);
    if (st == SPP_OK) {
        SppLinkParams params;
        spp_link_params_init(&params, SPP_CHANNEL_POWER, SPP_POWER_CHANNEL_ID);
        params.connection_id = session;
        params.common_caps = common_no_mini;
        params.num_common_caps = 1;
        params.channel_caps = client_state_result;
        params.num_channel_caps = 1;
        params.password = PASSWORD;
        st = spp_link(c, &params, &info);
    }
    check(st == SPP_OK, "power channel linked with the full header (%s)",
          st == SPP_OK ? "ok" : spp_conn_error(c));
    check(!spp_conn_mini_header(c), "full header in use");
    uint32_t want = SPP_CAP_MASK(SPP_POWER_CAP_POWERON) | SPP_CAP_MASK(SPP_POWER_CAP_STATE) |
                    SPP_CAP_MASK(SPP_POWER_CAP_RESULT);
    check(info.num_channel_caps == 1 && info.channel_caps[0] == want,
          "link reply caps 0x%x == POWERON|STATE|RESULT 0x%x",
          info.num_channel_caps ? info.channel_caps[0] : 0, want);
    expect_state(c, SPP_POWER_STATE_UNKNOWN, "first message after link");
    send_request(c, SPP_MSGC_POWER_RESET);
    expect_result(c, SPP_MSGC_POWER_RESET, SPP_POWER_RESULT_UNSUPPORTED, "unannounced RESET");
    send_request(c, SPP_MSGC_POWER_POWERON);
    expect_result(c, SPP_MSGC_POWER_POWERON, SPP_POWER_RESULT_OK, "POWERON while UNKNOWN");
    check(g_atomic_int_get(&poweron_calls) == 1 && g_atomic_int_get(&reset_calls) == 0,
          "POWERON ran its callback once, RESET none");

    static const uint8_t trailing[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    st = spp_send(c, SPP_MSGC_POWER_POWERON, trailing, sizeof(trailing));
    check(st == SPP_OK, "send POWERON with 8 trailing bytes");
    expect_result(c, SPP_MSGC_POWER_POWERON, SPP_POWER_RESULT_OK, "POWERON with trailing bytes");
    check(g_atomic_int_get(&poweron_calls) == 2, "trailing bytes ignored, callback ran");

    st = spp_send(c, 150, NULL, 0);
    SppMessage m;
    int rst = spp_recv(c, &m, TIMEOUT_MS);
    check(st == SPP_OK && rst == SPP_ERR_CLOSED, "unknown message type 150 closes the channel (%s)",
          rst == SPP_OK ? "got a message" : spp_conn_error(c));
    spp_message_clear(&m);
    spp_conn_free(c);
    spp_conn_free(main_ch);
    server_stop(&s);
}

static void scenario_no_interface(void)
{
    printf("# server without the power interface\n");
    Server s;
    server_start(&s, 0, 0);
    uint32_t session = 0;
    SppConn *main_ch = main_connect(&s, &session);
    SppLinkInfo info;
    int st;
    SppConn *c = power_connect(&s, session, client_state_result, PASSWORD, &info, &st);
    check(st != SPP_OK && !info.result_received,
          "power channel not offered without the interface (%s)", spp_conn_error(c));
    spp_conn_free(c);
    spp_conn_free(main_ch);
    server_stop(&s);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    scenario_reset_poweroff();
    scenario_poweron_only();
    scenario_no_interface();
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
