#include "qmp-client.h"

#include "qmp-stream.h"
#include "spp_io.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

G_DEFINE_QUARK(spp-qmp-error-quark, spp_qmp_error)
G_DEFINE_QUARK(spp-qmp-command-error-quark, spp_qmp_command_error)

/* Waiting forever is expressed as deadline -1 (monotonic microseconds otherwise). */
#define NO_DEADLINE ((gint64)-1)

struct SppQmpClient {
    int fd;
    SppQmpStream *stream;
    GQueue events;          /* of QueuedEvent*, oldest at the head */
    gsize queued_bytes;     /* the sum of their bytes: the byte budget's measure */
    guint64 events_dropped; /* by the queue's bounds, since connecting */
    gboolean drop_reported; /* the one g_warning about dropped events was given */
    gsize message_bytes;    /* the text length of the message read last, for its event's bytes */
    JsonNode *greeting;     /* the "QMP" object */
    guint64 next_id;
    GError *fatal;          /* set once the connection is dead */
    SppQmpEventFunc event_func;
    gpointer event_data;
    GDestroyNotify event_destroy;
};

/* A queued event and what it costs in the queue's byte budget. The public event comes first, so a
 * QueuedEvent is freed by spp_qmp_event_free() like any event once it leaves the queue. */
typedef struct {
    SppQmpEvent event;
    gsize bytes;
} QueuedEvent;

static const char *const command_error_classes[] = {
    [SPP_QMP_COMMAND_ERROR_GENERIC_ERROR] = "GenericError",
    [SPP_QMP_COMMAND_ERROR_COMMAND_NOT_FOUND] = "CommandNotFound",
    [SPP_QMP_COMMAND_ERROR_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [SPP_QMP_COMMAND_ERROR_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [SPP_QMP_COMMAND_ERROR_KVM_MISSING_CAP] = "KVMMissingCap",
};

const char *spp_qmp_command_error_class_name(SppQmpCommandError code)
{
    if ((guint)code < G_N_ELEMENTS(command_error_classes))
        return command_error_classes[code];
    return "Other";
}

void spp_qmp_event_free(SppQmpEvent *event)
{
    if (event == NULL)
        return;
    g_free(event->name);
    if (event->data != NULL)
        json_node_unref(event->data);
    g_free(event);
}

static gint64 deadline_after(gint64 timeout_ms)
{
    if (timeout_ms < 0)
        return NO_DEADLINE;
    return g_get_monotonic_time() + timeout_ms * 1000;
}

/* Whether the deadline has passed: checked in every loop that reads, because a peer that keeps
 * sending would otherwise never let poll() time out. */
static gboolean deadline_passed(gint64 deadline, GError **error)
{
    if (deadline == NO_DEADLINE || g_get_monotonic_time() < deadline)
        return FALSE;
    g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT, "timed out waiting for QMP");
    return TRUE;
}

/* The deadline on spp_io's clock: g_get_monotonic_time() is CLOCK_MONOTONIC too, in microseconds;
 * rounded up, so that a wait never ends before the deadline. */
static int64_t io_deadline(gint64 deadline)
{
    return deadline == NO_DEADLINE ? -1 : (deadline + 999) / 1000;
}

/* Marks the connection dead with this error and also reports it to the caller. */
static void set_fatal(SppQmpClient *client, GError **error, GError *cause)
{
    if (client->fatal == NULL)
        client->fatal = g_error_copy(cause);
    g_propagate_error(error, cause);
}

static gboolean check_alive(SppQmpClient *client, GError **error)
{
    if (client->fatal != NULL) {
        g_propagate_error(error, g_error_copy(client->fatal));
        return FALSE;
    }
    return TRUE;
}

static void set_went_away(SppQmpClient *client, GError **error, const char *how)
{
    set_fatal(client, error, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED, "QEMU went away (%s)", how));
}

/* Waits until fd is ready for events or the deadline passes. */
static gboolean wait_fd(SppQmpClient *client, short events, gint64 deadline, GError **error)
{
    int ready = spp_io_wait_fd(client->fd, events, io_deadline(deadline));
    if (ready > 0)
        return TRUE;
    if (ready == 0)
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT, "timed out waiting for QMP");
    else
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_IO, "poll on QMP socket: %s", g_strerror(errno)));
    return FALSE;
}

/* Reads once from the socket into the stream. Returns FALSE with error on
 * EOF or a socket error; *got_bytes = FALSE when nothing was available. */
static gboolean read_some(SppQmpClient *client, gboolean *got_bytes, GError **error)
{
    guint8 buffer[65536];
    *got_bytes = FALSE;
    for (;;) {
        ssize_t n = recv(client->fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            spp_qmp_stream_feed(client->stream, buffer, (gsize)n);
            *got_bytes = TRUE;
            return TRUE;
        }
        if (n == 0) {
            set_went_away(client, error, "connection closed");
            return FALSE;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return TRUE;
        if (errno == ECONNRESET || errno == EPIPE) {
            set_went_away(client, error, g_strerror(errno));
            return FALSE;
        }
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_IO, "read from QMP socket: %s", g_strerror(errno)));
        return FALSE;
    }
}

/* Parses one complete message text into a JSON object node. */
static JsonNode *parse_message(SppQmpClient *client, const char *text, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) parse_error = NULL;
    if (!json_parser_load_from_data(parser, text, -1, &parse_error)) {
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "garbage from QMP peer: %s",
                              parse_error->message));
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "garbage from QMP peer: not a JSON object"));
        return NULL;
    }
    return json_node_ref(root);
}

/* Returns the next message (new reference), reading until the deadline. */
static JsonNode *read_message(SppQmpClient *client, gint64 deadline, GError **error)
{
    if (!check_alive(client, error))
        return NULL;
    /* Past the deadline, one read without waiting still takes what is there (pump() relies on
     * it); after that, a peer whose bytes keep coming without completing a message gets no more. */
    gboolean last_read = FALSE;
    for (;;) {
        g_autofree char *text = NULL;
        GError *stream_error = NULL;
        if (spp_qmp_stream_next(client->stream, &text, &stream_error)) {
            client->message_bytes = strlen(text);
            return parse_message(client, text, error);
        }
        if (stream_error != NULL) {
            set_fatal(client, error, stream_error);
            return NULL;
        }
        if (last_read && deadline_passed(deadline, error))
            return NULL;
        last_read = deadline != NO_DEADLINE && g_get_monotonic_time() >= deadline;
        if (!wait_fd(client, POLLIN, deadline, error))
            return NULL;
        gboolean got_bytes;
        if (!read_some(client, &got_bytes, error))
            return NULL;
    }
}

static QueuedEvent *event_from_message(JsonObject *message, gsize bytes)
{
    QueuedEvent *queued = g_new0(QueuedEvent, 1);
    queued->bytes = bytes;
    SppQmpEvent *event = &queued->event;
    event->name = g_strdup(json_object_get_string_member_with_default(message, "event", ""));
    JsonNode *data = json_object_get_member(message, "data");
    event->data = data != NULL ? json_node_copy(data) : NULL;
    JsonObject *timestamp = json_object_get_object_member(message, "timestamp");
    if (timestamp != NULL) {
        event->timestamp_us = json_object_get_int_member_with_default(timestamp, "seconds", 0) * G_USEC_PER_SEC +
                              json_object_get_int_member_with_default(timestamp, "microseconds", 0);
    }
    event->received_us = g_get_monotonic_time();
    return queued;
}

/* Takes a queued event out of the queue (and out of its byte budget). */
static SppQmpEvent *unlink_event(SppQmpClient *client, GList *link)
{
    QueuedEvent *queued = link->data;
    client->queued_bytes -= queued->bytes;
    g_queue_delete_link(&client->events, link);
    return &queued->event;
}

/* Appends an event, then drops the oldest ones while the queue is over a bound; the newest stays. */
static void queue_event(SppQmpClient *client, QueuedEvent *queued)
{
    g_queue_push_tail(&client->events, queued);
    client->queued_bytes += queued->bytes;
    guint dropped = 0;
    while (client->events.length > 1 && (client->events.length > SPP_QMP_EVENT_QUEUE_MAX_EVENTS ||
                                         client->queued_bytes > SPP_QMP_EVENT_QUEUE_MAX_BYTES)) {
        spp_qmp_event_free(unlink_event(client, client->events.head));
        dropped++;
    }
    client->events_dropped += dropped;
    /* Once per client: a peer that floods would otherwise flood the log too. */
    if (dropped > 0 && !client->drop_reported) {
        client->drop_reported = TRUE;
        g_warning("QMP: %u events or %u bytes of events wait unread; dropping the oldest "
                  "(spp_qmp_client_get_dropped_events() counts them)",
                  SPP_QMP_EVENT_QUEUE_MAX_EVENTS, SPP_QMP_EVENT_QUEUE_MAX_BYTES);
    }
}

typedef enum { MESSAGE_EVENT, MESSAGE_REPLY, MESSAGE_GREETING } MessageKind;

/* Classifies a message; events go to the callback or the queue right here. */
static gboolean classify(SppQmpClient *client, JsonNode *node, MessageKind *kind, GError **error)
{
    JsonObject *message = json_node_get_object(node);
    if (json_object_has_member(message, "event")) {
        *kind = MESSAGE_EVENT;
        QueuedEvent *queued = event_from_message(message, client->message_bytes);
        if (client->event_func != NULL && client->event_func(&queued->event, client->event_data))
            spp_qmp_event_free(&queued->event);
        else
            queue_event(client, queued);
        return TRUE;
    }
    if (json_object_has_member(message, "return") || json_object_has_member(message, "error")) {
        *kind = MESSAGE_REPLY;
        return TRUE;
    }
    if (json_object_has_member(message, "QMP")) {
        *kind = MESSAGE_GREETING;
        return TRUE;
    }
    set_fatal(client, error,
              g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL,
                          "garbage from QMP peer: object is neither event, reply nor greeting"));
    return FALSE;
}

/* Turns a reply object into its "return" node or a SPP_QMP_COMMAND_ERROR. */
static JsonNode *reply_result(SppQmpClient *client, JsonObject *reply, GError **error)
{
    JsonNode *result = json_object_get_member(reply, "return");
    if (result != NULL)
        return json_node_copy(result);

    JsonObject *qmp_error = json_object_get_object_member(reply, "error");
    if (qmp_error == NULL) {
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "garbage from QMP peer: \"error\" is not an object"));
        return NULL;
    }
    const char *class_name = json_object_get_string_member_with_default(qmp_error, "class", "");
    const char *desc = json_object_get_string_member_with_default(qmp_error, "desc", "");
    for (guint code = 0; code < G_N_ELEMENTS(command_error_classes); code++) {
        if (g_strcmp0(class_name, command_error_classes[code]) == 0) {
            g_set_error_literal(error, SPP_QMP_COMMAND_ERROR, (int)code, desc);
            return NULL;
        }
    }
    g_set_error(error, SPP_QMP_COMMAND_ERROR, SPP_QMP_COMMAND_ERROR_OTHER, "%s: %s", class_name, desc);
    return NULL;
}

static gboolean send_all(SppQmpClient *client, const void *bytes, gsize length, gint64 deadline, GError **error)
{
    if (!check_alive(client, error))
        return FALSE;
    switch (spp_io_write_all(client->fd, bytes, length, io_deadline(deadline), NULL, NULL)) {
    case SPP_IO_OK:
        return TRUE;
    case SPP_IO_TIMEOUT:
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT, "timed out waiting for QMP");
        return FALSE;
    case SPP_IO_CLOSED:
        set_went_away(client, error, g_strerror(errno));
        return FALSE;
    default:
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_IO, "write to QMP socket: %s", g_strerror(errno)));
        return FALSE;
    }
}

/* Waits for the reply carrying this id, queueing events; replies to earlier,
 * timed-out commands are dropped. */
static JsonNode *wait_reply(SppQmpClient *client, const char *id, gint64 deadline, GError **error)
{
    for (;;) {
        g_autoptr(JsonNode) node = read_message(client, deadline, error);
        if (node == NULL)
            return NULL;
        MessageKind kind;
        if (!classify(client, node, &kind, error))
            return NULL;
        if (kind == MESSAGE_EVENT) {
            if (deadline_passed(deadline, error))
                return NULL;
            continue;
        }
        if (kind == MESSAGE_GREETING) {
            set_fatal(client, error,
                      g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "garbage from QMP peer: unexpected greeting"));
            return NULL;
        }
        JsonObject *reply = json_node_get_object(node);
        JsonNode *reply_id = json_object_get_member(reply, "id");
        if (reply_id != NULL && JSON_NODE_HOLDS_VALUE(reply_id) && json_node_get_value_type(reply_id) == G_TYPE_STRING &&
            g_strcmp0(json_node_get_string(reply_id), id) == 0)
            return g_steal_pointer(&node);
        g_debug("QMP: dropping a reply that is not for %s", id);
    }
}

JsonNode *spp_qmp_client_execute(SppQmpClient *client, const char *command, JsonNode *arguments, gint64 timeout_ms,
                                 GError **error)
{
    g_return_val_if_fail(client != NULL && command != NULL, NULL);
    if (arguments != NULL && !JSON_NODE_HOLDS_OBJECT(arguments)) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_INVALID, "arguments of %s must be a JSON object", command);
        return NULL;
    }
    gint64 deadline = deadline_after(timeout_ms);
    g_autofree char *id = g_strdup_printf("spp-%" G_GUINT64_FORMAT, ++client->next_id);

    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "execute");
    json_builder_add_string_value(builder, command);
    if (arguments != NULL) {
        json_builder_set_member_name(builder, "arguments");
        json_builder_add_value(builder, json_node_copy(arguments));
    }
    json_builder_set_member_name(builder, "id");
    json_builder_add_string_value(builder, id);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) request = json_builder_get_root(builder);
    g_autofree char *text = json_to_string(request, FALSE);
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    if (!send_all(client, line, strlen(line), deadline, error))
        return NULL;
    g_autoptr(JsonNode) reply = wait_reply(client, id, deadline, error);
    if (reply == NULL) {
        if (error != NULL && *error != NULL && (*error)->domain == SPP_QMP_ERROR)
            g_prefix_error(error, "%s: ", command);
        return NULL;
    }
    return reply_result(client, json_node_get_object(reply), error);
}

JsonNode *spp_qmp_client_execute_json(SppQmpClient *client, const char *command, const char *arguments_json,
                                      gint64 timeout_ms, GError **error)
{
    if (arguments_json == NULL)
        return spp_qmp_client_execute(client, command, NULL, timeout_ms, error);
    g_autoptr(GError) parse_error = NULL;
    g_autoptr(JsonNode) arguments = json_from_string(arguments_json, &parse_error);
    if (arguments == NULL) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_INVALID, "arguments of %s are not JSON: %s", command,
                    parse_error != NULL ? parse_error->message : "empty");
        return NULL;
    }
    return spp_qmp_client_execute(client, command, arguments, timeout_ms, error);
}

SppQmpEvent *spp_qmp_client_wait_event(SppQmpClient *client, const char *name, SppQmpEventMatch match,
                                       gpointer user_data, gint64 timeout_ms, GError **error)
{
    gint64 deadline = deadline_after(timeout_ms);
    guint examined = 0; /* queue entries before this index were already rejected */
    for (;;) {
        for (GList *link = g_queue_peek_nth_link(&client->events, examined); link != NULL; link = link->next) {
            const SppQmpEvent *event = &((QueuedEvent *)link->data)->event;
            examined++;
            if (name != NULL && g_strcmp0(event->name, name) != 0)
                continue;
            if (match != NULL && !match(event, user_data))
                continue;
            return unlink_event(client, link);
        }
        guint64 dropped_before = client->events_dropped;
        g_autoptr(JsonNode) node = read_message(client, deadline, error);
        if (node == NULL) {
            if (error != NULL && *error != NULL && (*error)->code == SPP_QMP_ERROR_TIMEOUT)
                g_prefix_error(error, "waiting for event %s: ", name != NULL ? name : "(any)");
            return NULL;
        }
        MessageKind kind;
        if (!classify(client, node, &kind, error))
            return NULL;
        /* Drops take the oldest entries, which are the ones already examined. */
        guint64 lost = client->events_dropped - dropped_before;
        examined = lost < examined ? examined - (guint)lost : 0;
        if (kind != MESSAGE_EVENT)
            g_debug("QMP: dropping a reply nobody waits for");
        if (deadline_passed(deadline, error)) {
            g_prefix_error(error, "waiting for event %s: ", name != NULL ? name : "(any)");
            return NULL;
        }
    }
}

int spp_qmp_client_pump(SppQmpClient *client, gint64 timeout_ms, GError **error)
{
    gint64 deadline = deadline_after(timeout_ms);
    int messages = 0;
    if (!check_alive(client, error))
        return -1;
    while (messages < SPP_QMP_PUMP_MAX_MESSAGES) {
        /* Block only until the first message; after that, take only what is there. */
        gint64 wait_until = messages == 0 ? deadline : g_get_monotonic_time();
        GError *read_error = NULL;
        g_autoptr(JsonNode) node = read_message(client, wait_until, &read_error);
        if (node == NULL) {
            if (read_error->domain == SPP_QMP_ERROR && read_error->code == SPP_QMP_ERROR_TIMEOUT) {
                g_error_free(read_error);
                return messages;
            }
            g_propagate_error(error, read_error);
            return -1;
        }
        MessageKind kind;
        if (!classify(client, node, &kind, error))
            return -1;
        if (kind != MESSAGE_EVENT)
            g_debug("QMP: dropping a reply nobody waits for");
        messages++;
    }
    return messages;
}

const SppQmpEvent *spp_qmp_client_peek_event(SppQmpClient *client)
{
    QueuedEvent *queued = g_queue_peek_head(&client->events);
    return queued != NULL ? &queued->event : NULL;
}

SppQmpEvent *spp_qmp_client_pop_event(SppQmpClient *client)
{
    return client->events.head != NULL ? unlink_event(client, client->events.head) : NULL;
}

GPtrArray *spp_qmp_client_drain_events(SppQmpClient *client)
{
    GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify)spp_qmp_event_free);
    while (client->events.head != NULL)
        g_ptr_array_add(events, unlink_event(client, client->events.head));
    return events;
}

guint64 spp_qmp_client_get_dropped_events(SppQmpClient *client)
{
    return client->events_dropped;
}

guint spp_qmp_client_count_events(SppQmpClient *client)
{
    return g_queue_get_length(&client->events);
}

void spp_qmp_client_set_event_callback(SppQmpClient *client, SppQmpEventFunc func, gpointer user_data,
                                       GDestroyNotify destroy)
{
    if (client->event_destroy != NULL)
        client->event_destroy(client->event_data);
    client->event_func = func;
    client->event_data = user_data;
    client->event_destroy = destroy;
}

int spp_qmp_client_get_fd(SppQmpClient *client)
{
    return client->fd;
}

gboolean spp_qmp_client_is_connected(SppQmpClient *client)
{
    return client->fatal == NULL;
}

JsonNode *spp_qmp_client_get_greeting(SppQmpClient *client)
{
    return client->greeting;
}

void spp_qmp_client_get_version(SppQmpClient *client, int *major, int *minor, int *micro)
{
    JsonObject *qemu = NULL;
    if (client->greeting != NULL && JSON_NODE_HOLDS_OBJECT(client->greeting)) {
        JsonObject *version = json_object_get_object_member(json_node_get_object(client->greeting), "version");
        if (version != NULL)
            qemu = json_object_get_object_member(version, "qemu");
    }
    if (major != NULL)
        *major = qemu != NULL ? (int)json_object_get_int_member_with_default(qemu, "major", -1) : -1;
    if (minor != NULL)
        *minor = qemu != NULL ? (int)json_object_get_int_member_with_default(qemu, "minor", -1) : -1;
    if (micro != NULL)
        *micro = qemu != NULL ? (int)json_object_get_int_member_with_default(qemu, "micro", -1) : -1;
}

void spp_qmp_client_free(SppQmpClient *client)
{
    if (client == NULL)
        return;
    spp_qmp_client_set_event_callback(client, NULL, NULL, NULL);
    if (client->fd >= 0)
        close(client->fd);
    spp_qmp_stream_free(client->stream);
    g_queue_clear_full(&client->events, (GDestroyNotify)spp_qmp_event_free);
    if (client->greeting != NULL)
        json_node_unref(client->greeting);
    g_clear_error(&client->fatal);
    g_free(client);
}

/* The handshake: greeting first, then capabilities negotiation. */
static gboolean negotiate(SppQmpClient *client, gint64 deadline, GError **error)
{
    g_autoptr(JsonNode) node = read_message(client, deadline, error);
    if (node == NULL) {
        g_prefix_error(error, "reading the QMP greeting: ");
        return FALSE;
    }
    JsonObject *greeting = json_node_get_object(node);
    JsonNode *qmp = json_object_get_member(greeting, "QMP");
    if (qmp == NULL || !JSON_NODE_HOLDS_OBJECT(qmp)) {
        set_fatal(client, error,
                  g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "garbage from QMP peer: first message is not a greeting"));
        return FALSE;
    }
    client->greeting = json_node_copy(qmp);

    gint64 timeout_ms = deadline == NO_DEADLINE ? -1 : MAX(0, (deadline - g_get_monotonic_time()) / 1000);
    g_autoptr(JsonNode) result = spp_qmp_client_execute(client, "qmp_capabilities", NULL, timeout_ms, error);
    return result != NULL;
}

SppQmpClient *spp_qmp_client_new_from_fd(int fd, gint64 timeout_ms, GError **error)
{
    gint64 deadline = deadline_after(timeout_ms);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_IO, "QMP socket: %s", g_strerror(errno));
        close(fd);
        return NULL;
    }
    SppQmpClient *client = g_new0(SppQmpClient, 1);
    client->fd = fd;
    client->stream = spp_qmp_stream_new();
    g_queue_init(&client->events);
    if (!negotiate(client, deadline, error)) {
        spp_qmp_client_free(client);
        return NULL;
    }
    return client;
}

SppQmpClient *spp_qmp_client_connect(const char *socket_path, gint64 timeout_ms, GError **error)
{
    gint64 deadline = deadline_after(timeout_ms);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof address.sun_path) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "QMP socket path too long: %s", socket_path);
        return NULL;
    }
    strcpy(address.sun_path, socket_path);

    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "socket: %s", g_strerror(errno));
            return NULL;
        }
        if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
            gint64 left_ms = deadline == NO_DEADLINE ? -1 : MAX(0, (deadline - g_get_monotonic_time()) / 1000);
            return spp_qmp_client_new_from_fd(fd, left_ms, error);
        }
        int saved = errno;
        close(fd);
        /* QEMU creates the socket while it starts; until then, keep trying. */
        gboolean worth_retrying = saved == ENOENT || saved == ECONNREFUSED || saved == EINTR;
        if (!worth_retrying || (deadline != NO_DEADLINE && g_get_monotonic_time() >= deadline)) {
            g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "connect to QMP socket %s: %s", socket_path,
                        g_strerror(saved));
            return NULL;
        }
        g_usleep(5 * 1000);
    }
}

typedef struct {
    SppQmpClient *client;
    SppQmpClosedFunc closed;
    gpointer user_data;
    GDestroyNotify destroy;
} SourceClosure;

static void source_closure_free(gpointer data)
{
    SourceClosure *closure = data;
    if (closure->destroy != NULL)
        closure->destroy(closure->user_data);
    g_free(closure);
}

static gboolean on_socket_ready(gint fd, GIOCondition condition, gpointer data)
{
    (void)fd;
    (void)condition;
    SourceClosure *closure = data;
    g_autoptr(GError) error = NULL;
    if (spp_qmp_client_pump(closure->client, 0, &error) >= 0)
        return G_SOURCE_CONTINUE;
    if (closure->closed != NULL)
        closure->closed(error, closure->user_data);
    return G_SOURCE_REMOVE;
}

GSource *spp_qmp_client_create_source(SppQmpClient *client, SppQmpClosedFunc closed, gpointer user_data,
                                      GDestroyNotify destroy)
{
    GSource *source = g_unix_fd_source_new(client->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    SourceClosure *closure = g_new0(SourceClosure, 1);
    closure->client = client;
    closure->closed = closed;
    closure->user_data = user_data;
    closure->destroy = destroy;
    g_source_set_callback(source, G_SOURCE_FUNC(on_socket_ready), closure, source_closure_free);
    g_source_set_name(source, "spp-qmp-client");
    return source;
}
