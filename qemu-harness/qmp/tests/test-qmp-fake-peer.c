/* spp_qmp against a scripted fake QMP peer on a socketpair: the failure modes
 * that real QEMU will not produce on demand (garbage, silence, late replies,
 * fragmentation), plus the event-queue contract. */
#include "fake-qmp-peer.h"
#include "qmp-stream.h"

#include <string.h>

/* For results and events whose arrival is the whole point. */
static void drop_result(JsonNode *result)
{
    if (result != NULL)
        json_node_unref(result);
}

static void drop_event(SppQmpEvent *event)
{
    spp_qmp_event_free(event);
}

static void test_greeting_and_capabilities(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": %ID%}\n"},
        {STEP_END},
    };
    FakePeer *peer;
    SppQmpClient *client = connect_client(script, &peer);
    int major, minor, micro;
    spp_qmp_client_get_version(client, &major, &minor, &micro);
    g_assert_cmpint(major, ==, 7);
    g_assert_cmpint(minor, ==, 2);
    g_assert_cmpint(micro, ==, 22);

    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) status = spp_qmp_client_execute(client, "query-status", NULL, 2000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(status), "status"), ==, "running");
    spp_qmp_client_free(client);
    g_assert_cmpuint(peer->requests->len, ==, 2);
    g_assert_nonnull(strstr(peer->requests->pdata[0], "\"execute\":\"qmp_capabilities\""));
    peer_finish(peer);
}

static void test_events_before_return(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, \"event\": \"STOP\"}\r\n"
                     "{\"return\": {}, \"id\": %ID%}\r\n"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    drop_result(spp_qmp_client_execute(client, "stop", NULL, 2000, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, 1);
    const SppQmpEvent *peeked = spp_qmp_client_peek_event(client);
    g_assert_cmpstr(peeked->name, ==, "STOP");
    g_assert_cmpint(peeked->timestamp_us, ==, 1700000000 * G_GINT64_CONSTANT(1000000) + 5);
    g_assert_null(peeked->data);
    /* Already queued, so a zero timeout suffices. */
    drop_event(spp_qmp_client_wait_event(client, "STOP", NULL, NULL, 0, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, 0);
    peer_finish(peer);
}

static void test_error_reply(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"id\": %ID%, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}\n"},
        {STEP_REPLY, "{\"error\": {\"class\": \"BrandNewClass\", \"desc\": \"whatever\"}, \"id\": %ID%}\n"},
        {STEP_REPLY, OK_REPLY},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_assert_null(spp_qmp_client_execute(client, "nope", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_COMMAND_ERROR, SPP_QMP_COMMAND_ERROR_COMMAND_NOT_FOUND);
    g_assert_cmpstr(error->message, ==, "The command nope has not been found");
    g_assert_cmpstr(spp_qmp_command_error_class_name(error->code), ==, "CommandNotFound");
    g_clear_error(&error);

    g_assert_null(spp_qmp_client_execute(client, "newer", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_COMMAND_ERROR, SPP_QMP_COMMAND_ERROR_OTHER);
    g_assert_cmpstr(error->message, ==, "BrandNewClass: whatever");
    g_clear_error(&error);

    /* A command error does not break the connection. */
    g_assert_true(spp_qmp_client_is_connected(client));
    drop_result(spp_qmp_client_execute_json(client, "cont", "{}", 2000, &error));
    g_assert_no_error(error);
    peer_finish(peer);
}

static void test_garbage_json(void)
{
    /* Braces balance but the content is not JSON: the parser must reject it. */
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_SEND, "{\"return\": tru, \"id\": \"spp-2\"}\n"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL);
    g_assert_nonnull(strstr(error->message, "garbage"));
    g_clear_error(&error);
    /* The stream cannot be resynchronised: every later call fails the same way. */
    g_assert_false(spp_qmp_client_is_connected(client));
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL);
    peer_finish(peer);
}

static char *nested_reply(const char *id, int levels)
{
    GString *reply = g_string_new("{\"return\": ");
    for (int i = 0; i < levels; i++)
        g_string_append_c(reply, '[');
    for (int i = 0; i < levels; i++)
        g_string_append_c(reply, ']');
    g_string_append_printf(reply, ", \"id\": \"%s\"}\n", id);
    return g_string_free(reply, FALSE);
}

/* A reply nested 100,000 levels deep (200 KB) made json-glib's recursive parser overflow the
 * stack; the stream refuses it long before the parser sees it, and takes one just within the
 * limit (a level for the reply object itself). */
static void test_deep_nesting(void)
{
    g_autofree char *within = nested_reply("spp-2", SPP_QMP_STREAM_MAX_DEPTH - 1);
    g_autofree char *deep = nested_reply("spp-3", 100000);
    const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_SEND, within},
        {STEP_RECV},
        {STEP_SEND, deep},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) ok = spp_qmp_client_execute(client, "query-status", NULL, 2000, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ok);
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL);
    g_assert_nonnull(strstr(error->message, "nested deeper than"));
    g_assert_false(spp_qmp_client_is_connected(client));
    peer_finish(peer);
}

/* A peer whose bytes never stop must not keep a call past its deadline, nor keep one pump busy:
 * first an endless run of events, then a message that never ends, sent a byte at a time. */
static void test_stream_never_stops(void)
{
    g_autofree char *endless = g_strnfill(4000, ' ');
    endless[0] = '{';
    const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_FLOOD_MS, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\n", 2000},
        {STEP_RECV},
        {STEP_SEND_BYTEWISE, endless},
        {STEP_END},
    };
    FakePeer *peer;
    SppQmpClient *client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    /* Nobody reads the flood's events: the queue's bound drops most of them, and says so once. */
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "QMP: * events wait unread*");
    gint64 start = g_get_monotonic_time();
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 300, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 700 * 1000); /* 300 ms, not when the flood ends */
    g_clear_error(&error);
    g_usleep(50 * 1000); /* thousands of events wait in the socket */
    int handled = spp_qmp_client_pump(client, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpint(handled, ==, SPP_QMP_PUMP_MAX_MESSAGES);

    g_usleep(2000 * 1000); /* the flood is over */
    while (spp_qmp_client_pump(client, 0, &error) > 0)
        ;
    g_assert_no_error(error);
    start = g_get_monotonic_time();
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 300, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 1500 * 1000);
    g_test_assert_expected_messages();
    g_assert_cmpuint(spp_qmp_client_count_events(client), <=, SPP_QMP_EVENT_QUEUE_MAX_EVENTS);
    g_assert_cmpuint(spp_qmp_client_get_dropped_events(client), >, 0);
    spp_qmp_client_free(client); /* the peer is still sending: it stops when the client is gone */
    peer_finish(peer);
}

/* `count` events numbered from 0 in data.n, each padded with `padding` bytes of data.pad. */
static char *numbered_events(guint count, gsize padding)
{
    g_autofree char *pad = g_strnfill(padding, 'x');
    GString *text = g_string_new(NULL);
    for (guint n = 0; n < count; n++)
        g_string_append_printf(text,
                               "{\"event\": \"TICK\", \"data\": {\"n\": %u, \"pad\": \"%s\"}, "
                               "\"timestamp\": {\"seconds\": 0, \"microseconds\": 0}}\n",
                               n, pad);
    return g_string_free(text, FALSE);
}

static gint64 event_number(const SppQmpEvent *event)
{
    return json_object_get_int_member(json_node_get_object(event->data), "n");
}

static gboolean is_last_tick(const SppQmpEvent *event, gpointer count)
{
    return event_number(event) == GPOINTER_TO_UINT(count) - 1;
}

/* Runs one command whose reply comes after `text` (events nobody reads) and returns the client;
 * `then` (may be empty) follows the reply, left unread in the socket. */
static SppQmpClient *client_after_unread_events(const char *text, const char *then)
{
    g_autofree char *reply = g_strconcat(text, "{\"return\": {}, \"id\": %ID%}\n", NULL);
    const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, reply},
        {STEP_SEND, then},
        {STEP_END},
    };
    FakePeer *peer;
    SppQmpClient *client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    drop_result(spp_qmp_client_execute(client, "query-status", NULL, 10000, &error));
    g_assert_no_error(error);
    peer_finish(peer); /* the script lives in this frame; the peer has played all of it */
    return client;
}

/* Three times the queue's bound in events that nobody reads: the queue keeps the newest
 * SPP_QMP_EVENT_QUEUE_MAX_EVENTS in order, counts the others as dropped and warns once. Before
 * the bound, all 3072 stayed queued (and a peer that never stops grew the client without end). */
static void test_event_queue_bounded(void)
{
    const guint sent = 3 * SPP_QMP_EVENT_QUEUE_MAX_EVENTS;
    g_autofree char *events = numbered_events(sent, 0);
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "QMP: * events wait unread*");
    g_autoptr(SppQmpClient) client = client_after_unread_events(events, "");
    g_test_assert_expected_messages();
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, SPP_QMP_EVENT_QUEUE_MAX_EVENTS);
    g_assert_cmpuint(spp_qmp_client_get_dropped_events(client), ==, sent - SPP_QMP_EVENT_QUEUE_MAX_EVENTS);
    g_autoptr(GPtrArray) kept = spp_qmp_client_drain_events(client);
    for (guint i = 0; i < kept->len; i++)
        g_assert_cmpint(event_number(kept->pdata[i]), ==, sent - SPP_QMP_EVENT_QUEUE_MAX_EVENTS + i);
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, 0);
}

/* Fewer events than the count bound, but 8 KiB each: the byte budget bounds them. A reader that
 * waits with a predicate still finds the newest event behind the ones it passed over. */
static void test_event_queue_byte_budget(void)
{
    const gsize padding = 8 * 1024;
    const guint sent = SPP_QMP_EVENT_QUEUE_MAX_EVENTS - 1;
    g_autofree char *events = numbered_events(sent, padding);
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "QMP: * events wait unread*");
    g_autoptr(SppQmpClient) client = client_after_unread_events(events, "");
    g_test_assert_expected_messages();
    guint queued = spp_qmp_client_count_events(client);
    g_assert_cmpuint(queued, <=, SPP_QMP_EVENT_QUEUE_MAX_BYTES / padding);
    g_assert_cmpuint(queued, >, 0);
    g_assert_cmpuint(queued + spp_qmp_client_get_dropped_events(client), ==, sent);
    g_autoptr(GError) error = NULL;
    g_autoptr(SppQmpEvent) last = spp_qmp_client_wait_event(client, "TICK", is_last_tick, GUINT_TO_POINTER(sent), 0,
                                                            &error);
    g_assert_no_error(error);
    g_assert_cmpint(event_number(last), ==, sent - 1);
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, queued - 1);
}

/* A wait that has passed over a full queue must still see the event whose arrival drops the
 * oldest: the drop shifts the queue under the wait's place in it. */
static void test_event_queue_wait_at_bound(void)
{
    g_autofree char *full = numbered_events(SPP_QMP_EVENT_QUEUE_MAX_EVENTS, 0);
    g_autofree char *all = numbered_events(SPP_QMP_EVENT_QUEUE_MAX_EVENTS + 1, 0);
    const char *newest = all + strlen(full);
    g_autoptr(SppQmpClient) client = client_after_unread_events(full, newest);
    g_assert_cmpuint(spp_qmp_client_get_dropped_events(client), ==, 0);
    g_autoptr(GError) error = NULL;
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "QMP: * events wait unread*");
    g_autoptr(SppQmpEvent) last = spp_qmp_client_wait_event(
        client, "TICK", is_last_tick, GUINT_TO_POINTER(SPP_QMP_EVENT_QUEUE_MAX_EVENTS + 1), 2000, &error);
    g_test_assert_expected_messages();
    g_assert_no_error(error);
    g_assert_cmpint(event_number(last), ==, SPP_QMP_EVENT_QUEUE_MAX_EVENTS);
    g_assert_cmpuint(spp_qmp_client_get_dropped_events(client), ==, 1);
    g_assert_cmpint(event_number(spp_qmp_client_peek_event(client)), ==, 1);
}

static void test_garbage_after_greeting(void)
{
    static const Step bad_greeting[] = {
        {STEP_SEND, "220 smtp.example.org ESMTP\r\n"},
        {STEP_END},
    };
    int fd;
    FakePeer *peer = peer_start(bad_greeting, &fd);
    g_autoptr(GError) error = NULL;
    g_assert_null(spp_qmp_client_new_from_fd(fd, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL);
    g_clear_error(&error);
    peer_finish(peer);

    static const Step not_qmp_object[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_SEND, "{\"hello\": \"world\"}\n"},
        {STEP_END},
    };
    FakePeer *peer2;
    g_autoptr(SppQmpClient) client = connect_client(not_qmp_object, &peer2);
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL);
    peer_finish(peer2);
}

static void test_timeout_then_late_reply(void)
{
    /* A peer that never answers the greeting: connect must time out, promptly. */
    static const Step silent[] = {
        {STEP_SLEEP_MS, NULL, 400},
        {STEP_END},
    };
    int fd;
    FakePeer *peer = peer_start(silent, &fd);
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();
    g_assert_null(spp_qmp_client_new_from_fd(fd, 100, &error));
    gint64 elapsed_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT);
    g_assert_cmpint(elapsed_ms, >=, 95);
    g_assert_cmpint(elapsed_ms, <, 350);
    g_clear_error(&error);
    peer_finish(peer);

    /* A command answered too late: timeout, then the stale reply is ignored. */
    static const Step late[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_SLEEP_MS, NULL, 300},
        {STEP_SEND_LAST, "{\"return\": \"late\", \"id\": %LAST%}\n"},
        {STEP_REPLY, "{\"return\": \"fresh\", \"id\": %ID%}\n"},
        {STEP_END},
    };
    FakePeer *peer2;
    g_autoptr(SppQmpClient) client = connect_client(late, &peer2);
    start = g_get_monotonic_time();
    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 100, &error));
    elapsed_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT);
    g_assert_cmpint(elapsed_ms, <, 290);
    g_clear_error(&error);
    g_assert_true(spp_qmp_client_is_connected(client));
    g_autoptr(JsonNode) fresh = spp_qmp_client_execute(client, "query-status", NULL, 2000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_node_get_string(fresh), ==, "fresh");
    peer_finish(peer2);
}

static void test_went_away(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"SHUTDOWN\", "
                     "\"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n"
                     "{\"return\": {}, \"id\": %ID%}\r\n"},
        {STEP_CLOSE},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    drop_result(spp_qmp_client_execute(client, "quit", NULL, 2000, &error));
    g_assert_no_error(error);

    g_assert_null(spp_qmp_client_execute(client, "query-status", NULL, 2000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    g_assert_nonnull(strstr(error->message, "QEMU went away"));
    g_clear_error(&error);
    /* The event that came before the EOF is still there... */
    g_autoptr(SppQmpEvent) shutdown = spp_qmp_client_wait_event(client, "SHUTDOWN", NULL, NULL, 1000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(shutdown->data), "reason"), ==,
                    "host-qmp-quit");
    /* ...and waiting for more reports the disconnection, not a timeout. */
    g_assert_null(spp_qmp_client_wait_event(client, "RESET", NULL, NULL, 1000, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    peer_finish(peer);
}

static void test_split_messages(void)
{
    /* One byte at a time, braces and escaped quotes inside strings, no newline
     * between messages. The reply id is literal: qmp_capabilities was spp-1. */
    static const Step script[] = {
        {STEP_SEND_BYTEWISE, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_RECV},
        {STEP_SEND_BYTEWISE, "{\"event\": \"X\", \"data\": {\"s\": \"}{][\\\"\\\\\"}, \"timestamp\": {\"seconds\": 0, "
                             "\"microseconds\": 0}}{\"return\": \"a}b\\\"c\", \"id\": \"spp-2\"}"},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) result = spp_qmp_client_execute(client, "echo", NULL, 5000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_node_get_string(result), ==, "a}b\"c");
    g_autoptr(SppQmpEvent) event = spp_qmp_client_pop_event(client);
    g_assert_nonnull(event);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(event->data), "s"), ==, "}{][\"\\");
    peer_finish(peer);
}

static gboolean status_is(const SppQmpEvent *event, gpointer wanted)
{
    return g_strcmp0(json_object_get_string_member(json_node_get_object(event->data), "status"), wanted) == 0;
}

#define JOB_EVENT(status)                                                                                            \
    "{\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"status\": \"" status "\", \"id\": \"j\"}, \"timestamp\": "     \
    "{\"seconds\": 0, \"microseconds\": 0}}\n"

static void test_wait_event_predicate(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_REPLY, JOB_EVENT("created") JOB_EVENT("running") "{\"return\": {}, \"id\": %ID%}\n"},
        {STEP_SLEEP_MS, NULL, 50},
        {STEP_SEND, JOB_EVENT("waiting") JOB_EVENT("pending") JOB_EVENT("concluded")},
        {STEP_SLEEP_MS, NULL, 500},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    g_autoptr(GError) error = NULL;
    drop_result(spp_qmp_client_execute_json(
        client, "snapshot-save", "{\"job-id\": \"j\", \"tag\": \"t\", \"vmstate\": \"d\", \"devices\": [\"d\"]}",
        2000, &error));
    g_assert_no_error(error);
    drop_event(spp_qmp_client_wait_event(client, "JOB_STATUS_CHANGE", status_is, "concluded", 2000, &error));
    g_assert_no_error(error);
    /* The events skipped over stay queued, in wire order. */
    g_autoptr(GPtrArray) rest = spp_qmp_client_drain_events(client);
    g_assert_cmpuint(rest->len, ==, 4);
    const char *expected[] = {"created", "running", "waiting", "pending"};
    for (guint i = 0; i < rest->len; i++)
        g_assert_true(status_is(rest->pdata[i], (gpointer)expected[i]));
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, 0);

    gint64 start = g_get_monotonic_time();
    g_assert_null(spp_qmp_client_wait_event(client, "RESET", NULL, NULL, 60, &error));
    g_assert_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT);
    g_assert_cmpint((g_get_monotonic_time() - start) / 1000, <, 300);
    peer_finish(peer);
}

typedef struct {
    GMainLoop *loop;
    guint resets_seen;
    GError *closed_error;
} SourceState;

static gboolean consume_resets(const SppQmpEvent *event, gpointer data)
{
    SourceState *state = data;
    if (g_strcmp0(event->name, "RESET") != 0)
        return FALSE;
    state->resets_seen++;
    return TRUE;
}

static void on_closed(const GError *error, gpointer data)
{
    SourceState *state = data;
    state->closed_error = g_error_copy(error);
    g_main_loop_quit(state->loop);
}

static gboolean quit_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void test_event_callback_and_source(void)
{
    static const Step script[] = {
        {STEP_SEND, GREETING},
        {STEP_REPLY, OK_REPLY},
        {STEP_SLEEP_MS, NULL, 50},
        {STEP_SEND, "{\"event\": \"RESET\", \"data\": {\"guest\": false}, \"timestamp\": {\"seconds\": 0, \"microseconds\": 0}}\n"},
        {STEP_SLEEP_MS, NULL, 20},
        {STEP_SEND, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 0, \"microseconds\": 0}}\n"
                    "{\"event\": \"RESET\", \"data\": {\"guest\": true}, \"timestamp\": {\"seconds\": 0, \"microseconds\": 0}}\n"},
        {STEP_SLEEP_MS, NULL, 20},
        {STEP_CLOSE},
        {STEP_END},
    };
    FakePeer *peer;
    g_autoptr(SppQmpClient) client = connect_client(script, &peer);
    SourceState state = {.loop = g_main_loop_new(NULL, FALSE)};
    spp_qmp_client_set_event_callback(client, consume_resets, &state, NULL);
    GSource *source = spp_qmp_client_create_source(client, on_closed, &state, NULL);
    g_source_attach(source, NULL);
    guint guard = g_timeout_add(5000, quit_loop, state.loop);
    g_main_loop_run(state.loop);
    g_source_remove(guard);
    g_source_destroy(source);
    g_source_unref(source);

    g_assert_cmpuint(state.resets_seen, ==, 2);
    g_assert_error(state.closed_error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED);
    g_assert_cmpuint(spp_qmp_client_count_events(client), ==, 1);
    g_assert_cmpstr(spp_qmp_client_peek_event(client)->name, ==, "STOP");
    g_error_free(state.closed_error);
    g_main_loop_unref(state.loop);
    peer_finish(peer);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qmp/fake-peer/greeting_and_capabilities", test_greeting_and_capabilities);
    g_test_add_func("/qmp/fake-peer/events_before_return", test_events_before_return);
    g_test_add_func("/qmp/fake-peer/error_reply", test_error_reply);
    g_test_add_func("/qmp/fake-peer/garbage_json", test_garbage_json);
    g_test_add_func("/qmp/fake-peer/garbage_after_greeting", test_garbage_after_greeting);
    g_test_add_func("/qmp/fake-peer/deep_nesting", test_deep_nesting);
    g_test_add_func("/qmp/fake-peer/stream_never_stops", test_stream_never_stops);
    g_test_add_func("/qmp/fake-peer/event_queue_bounded", test_event_queue_bounded);
    g_test_add_func("/qmp/fake-peer/event_queue_byte_budget", test_event_queue_byte_budget);
    g_test_add_func("/qmp/fake-peer/event_queue_wait_at_bound", test_event_queue_wait_at_bound);
    g_test_add_func("/qmp/fake-peer/timeout_then_late_reply", test_timeout_then_late_reply);
    g_test_add_func("/qmp/fake-peer/went_away", test_went_away);
    g_test_add_func("/qmp/fake-peer/split_messages", test_split_messages);
    g_test_add_func("/qmp/fake-peer/wait_event_predicate", test_wait_event_predicate);
    g_test_add_func("/qmp/fake-peer/event_callback_and_source", test_event_callback_and_source);
    return g_test_run();
}
