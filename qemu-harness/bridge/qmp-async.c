#include "qmp-async.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp-client.h" /* the error domains */
#include "qmp-stream.h"

/* Bytes read and messages handled per wake-up of the main loop: a peer that never stops sending
 * gets its turn like every SPICE client, and no more. */
#define READ_CHUNK 65536
#define MESSAGES_PER_WAKEUP 64

typedef enum { STATE_CONNECTING, STATE_GREETING, STATE_CAPABILITIES, STATE_READY, STATE_CLOSED } State;

typedef struct {
    SppQmpAsync *owner;
    char *id;
    char *command;
    SppQmpAsyncReplyFunc func;
    gpointer user_data;
    guint timeout_source;
} Command;

struct SppQmpAsync {
    int fd;
    State state;
    SppQmpStream *stream;
    GByteArray *out;       /* request bytes the socket has not taken yet */
    GQueue commands;       /* of Command*, oldest first */
    guint64 next_id;
    guint io_source;
    GIOCondition io_condition;
    guint greeting_source; /* the greeting's timeout */
    guint backlog_source;  /* complete messages left after a wake-up's budget; no reading meanwhile */
    guint close_source;
    GError *error;         /* why the connection is over */
    SppQmpAsyncCallbacks callbacks;
    gpointer user_data;
};

static void update_watch(SppQmpAsync *qmp);

static void command_free(Command *command)
{
    g_clear_handle_id(&command->timeout_source, g_source_remove);
    g_free(command->id);
    g_free(command->command);
    g_free(command);
}

/* The reply callbacks and `closed` run from here, an idle of their own, so that no caller of this
 * module is re-entered and the owner may free the connection in `closed`. */
static gboolean finish_close(gpointer data)
{
    SppQmpAsync *qmp = data;
    qmp->close_source = 0;
    Command *command;
    while ((command = g_queue_pop_head(&qmp->commands)) != NULL) {
        g_clear_handle_id(&command->timeout_source, g_source_remove);
        command->func(NULL, qmp->error, command->user_data);
        command_free(command);
    }
    qmp->callbacks.closed(qmp->error, qmp->user_data); /* may free qmp */
    return G_SOURCE_REMOVE;
}

static void close_fd(SppQmpAsync *qmp)
{
    g_clear_handle_id(&qmp->io_source, g_source_remove);
    g_clear_handle_id(&qmp->greeting_source, g_source_remove);
    g_clear_handle_id(&qmp->backlog_source, g_source_remove);
    if (qmp->fd >= 0)
        close(qmp->fd);
    qmp->fd = -1;
}

/* Ends the connection with error (taken); the callbacks follow from the main loop. */
static void fail(SppQmpAsync *qmp, GError *error)
{
    if (qmp->state == STATE_CLOSED) {
        g_error_free(error);
        return;
    }
    qmp->state = STATE_CLOSED;
    qmp->error = error;
    close_fd(qmp);
    for (GList *l = qmp->commands.head; l; l = l->next)
        g_clear_handle_id(&((Command *)l->data)->timeout_source, g_source_remove);
    qmp->close_source = g_idle_add(finish_close, qmp);
}

static void fail_went_away(SppQmpAsync *qmp, const char *how)
{
    fail(qmp, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED, "QEMU went away (%s)", how));
}

static GError *protocol_error(const char *what)
{
    return g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "garbage from QMP peer: %s", what);
}

static void fail_protocol(SppQmpAsync *qmp, const char *what)
{
    fail(qmp, protocol_error(what));
}

/* Writes what the socket takes now; the rest waits for G_IO_OUT. */
static void flush(SppQmpAsync *qmp)
{
    while (qmp->out->len > 0) {
        ssize_t n = send(qmp->fd, qmp->out->data, qmp->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            g_byte_array_remove_range(qmp->out, 0, (guint)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        fail_went_away(qmp, n < 0 ? g_strerror(errno) : "write returned 0");
        return;
    }
    update_watch(qmp);
}

/* A member that is a string, or NULL: json-glib's getters complain about members of another type,
 * and what the peer sends is not trusted. */
static const char *string_member(JsonObject *object, const char *name)
{
    JsonNode *node = json_object_get_member(object, name);
    if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static JsonObject *object_member(JsonObject *object, const char *name)
{
    JsonNode *node = json_object_get_member(object, name);
    return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* A QMP {"error": {"class", "desc"}} as a GError in SPP_QMP_COMMAND_ERROR, classes named by spp_qmp. */
static GError *command_error(const char *command, JsonObject *qmp_error)
{
    const char *class_name = string_member(qmp_error, "class");
    const char *desc = string_member(qmp_error, "desc");
    int code = SPP_QMP_COMMAND_ERROR_OTHER;
    for (int c = 0; c < SPP_QMP_COMMAND_ERROR_OTHER; c++)
        if (g_strcmp0(class_name, spp_qmp_command_error_class_name(c)) == 0)
            code = c;
    return g_error_new(SPP_QMP_COMMAND_ERROR, code, "%s: %s", command, desc ? desc : "(no description)");
}

static void handle_reply(SppQmpAsync *qmp, JsonObject *reply)
{
    const char *id = string_member(reply, "id");
    GList *link = qmp->commands.head;
    while (link && g_strcmp0(((Command *)link->data)->id, id) != 0)
        link = link->next;
    if (!link) {
        g_debug("QMP: dropping a reply to no command of ours");
        return;
    }
    Command *command = link->data;
    g_queue_delete_link(&qmp->commands, link);
    g_clear_handle_id(&command->timeout_source, g_source_remove);
    JsonNode *result = json_object_get_member(reply, "return");
    JsonObject *qmp_error = object_member(reply, "error");
    GError *error = NULL;
    if (!result && qmp_error)
        error = command_error(command->command, qmp_error);
    else if (!result)
        error = protocol_error("an \"error\" that is not an object");
    command->func(result, error, command->user_data);
    command_free(command);
    if (error && error->domain == SPP_QMP_ERROR)
        fail(qmp, error);
    else
        g_clear_error(&error);
}

static gboolean send_command(SppQmpAsync *qmp, const char *name, SppQmpAsyncReplyFunc func, gpointer user_data);

static void on_capabilities(JsonNode *result, const GError *error, gpointer data)
{
    SppQmpAsync *qmp = data;
    if (qmp->state == STATE_CLOSED)
        return;
    if (!result) {
        fail(qmp, g_error_copy(error));
        return;
    }
    qmp->state = STATE_READY;
    qmp->callbacks.ready(qmp->user_data);
}

static void handle_greeting(SppQmpAsync *qmp, JsonObject *message)
{
    if (!object_member(message, "QMP")) {
        fail_protocol(qmp, "the first message is not a greeting");
        return;
    }
    g_clear_handle_id(&qmp->greeting_source, g_source_remove);
    qmp->state = STATE_CAPABILITIES;
    send_command(qmp, "qmp_capabilities", on_capabilities, qmp);
}

static void handle_message(SppQmpAsync *qmp, const char *text)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) parse_error = NULL;
    if (!json_parser_load_from_data(parser, text, -1, &parse_error)) {
        fail_protocol(qmp, parse_error->message);
        return;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        fail_protocol(qmp, "not a JSON object");
        return;
    }
    JsonObject *message = json_node_get_object(root);
    const char *event = string_member(message, "event");
    if (qmp->state == STATE_GREETING)
        handle_greeting(qmp, message);
    else if (event && qmp->state == STATE_READY)
        qmp->callbacks.event(event, qmp->user_data);
    else if (event)
        g_debug("QMP: dropping event %s that came before the handshake ended", event);
    else if (json_object_has_member(message, "return") || json_object_has_member(message, "error"))
        handle_reply(qmp, message);
    else
        fail_protocol(qmp, "an object that is neither event nor reply");
}

/* Handles complete messages, at most a wake-up's budget. TRUE when the budget ran out (more may be
 * buffered). */
static gboolean handle_messages(SppQmpAsync *qmp)
{
    for (int handled = 0; handled < MESSAGES_PER_WAKEUP; handled++) {
        g_autofree char *text = NULL;
        GError *error = NULL;
        if (!spp_qmp_stream_next(qmp->stream, &text, &error)) {
            if (error)
                fail(qmp, error);
            return FALSE;
        }
        handle_message(qmp, text);
        if (qmp->state == STATE_CLOSED)
            return FALSE;
    }
    return TRUE;
}

static gboolean on_backlog(gpointer data)
{
    SppQmpAsync *qmp = data;
    if (handle_messages(qmp))
        return G_SOURCE_CONTINUE;
    if (qmp->state != STATE_CLOSED) {
        qmp->backlog_source = 0;
        update_watch(qmp);
    }
    return G_SOURCE_REMOVE;
}

static void read_input(SppQmpAsync *qmp)
{
    guint8 buffer[READ_CHUNK];
    ssize_t n = recv(qmp->fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) {
        fail_went_away(qmp, "connection closed");
        return;
    }
    if (n < 0) {
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            fail_went_away(qmp, g_strerror(errno));
        return;
    }
    spp_qmp_stream_feed(qmp->stream, buffer, (gsize)n);
    if (handle_messages(qmp) && qmp->state != STATE_CLOSED) {
        qmp->backlog_source = g_idle_add(on_backlog, qmp);
        update_watch(qmp);
    }
}

/* A non-blocking connect that did not complete at once has completed: did it succeed? */
static void finish_connect(SppQmpAsync *qmp)
{
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(qmp->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
        error = errno;
    if (error) {
        fail(qmp, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "connect to QMP socket: %s", g_strerror(error)));
        return;
    }
    qmp->state = STATE_GREETING;
    update_watch(qmp);
}

static gboolean on_io(gint fd, GIOCondition condition, gpointer data)
{
    (void)fd;
    SppQmpAsync *qmp = data;
    if (qmp->state == STATE_CONNECTING) {
        finish_connect(qmp);
        return G_SOURCE_CONTINUE; /* finish_connect replaced or removed this watch */
    }
    if (condition & G_IO_OUT)
        flush(qmp);
    if (qmp->state != STATE_CLOSED && !qmp->backlog_source && (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        read_input(qmp);
    return G_SOURCE_CONTINUE;
}

/* Watches the socket for what the connection waits for now. While a backlog of complete messages
 * is being handled nothing is read, so that the buffer never holds more than one message being
 * received and one read's worth. */
static void update_watch(SppQmpAsync *qmp)
{
    if (qmp->state == STATE_CLOSED)
        return;
    GIOCondition want = 0;
    if (qmp->state == STATE_CONNECTING)
        want = G_IO_OUT | G_IO_HUP | G_IO_ERR;
    else if (!qmp->backlog_source)
        want = G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (qmp->state != STATE_CONNECTING && qmp->out->len > 0)
        want |= G_IO_OUT | G_IO_ERR;
    if (qmp->io_source && want == qmp->io_condition)
        return;
    g_clear_handle_id(&qmp->io_source, g_source_remove);
    qmp->io_condition = want;
    if (want)
        qmp->io_source = g_unix_fd_add(qmp->fd, want, on_io, qmp);
}

static gboolean on_command_timeout(gpointer data)
{
    Command *command = data;
    command->timeout_source = 0;
    /* QEMU answers in order, so a command not answered means one that hangs or a QEMU that does not
     * run (stopped, swapping): treat it as gone rather than pile commands up behind it. */
    fail(command->owner, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT, "QEMU did not answer %s within %d ms",
                                     command->command, SPP_QMP_ASYNC_COMMAND_TIMEOUT_MS));
    return G_SOURCE_REMOVE;
}

static char *request_line(const char *name, const char *id)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "execute");
    json_builder_add_string_value(builder, name);
    json_builder_set_member_name(builder, "id");
    json_builder_add_string_value(builder, id);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) request = json_builder_get_root(builder);
    g_autofree char *text = json_to_string(request, FALSE);
    return g_strconcat(text, "\n", NULL);
}

static gboolean send_command(SppQmpAsync *qmp, const char *name, SppQmpAsyncReplyFunc func, gpointer user_data)
{
    Command *command = g_new0(Command, 1);
    command->owner = qmp;
    command->id = g_strdup_printf("bridge-%" G_GUINT64_FORMAT, ++qmp->next_id);
    command->command = g_strdup(name);
    command->func = func;
    command->user_data = user_data;
    command->timeout_source = g_timeout_add(SPP_QMP_ASYNC_COMMAND_TIMEOUT_MS, on_command_timeout, command);
    g_queue_push_tail(&qmp->commands, command);
    g_autofree char *line = request_line(name, command->id);
    g_byte_array_append(qmp->out, (const guint8 *)line, (guint)strlen(line));
    flush(qmp); /* a failure here reaches func from the main loop, like any other */
    return TRUE;
}

gboolean spp_qmp_async_execute(SppQmpAsync *qmp, const char *command, guint keep_free, SppQmpAsyncReplyFunc func,
                               gpointer user_data, GError **error)
{
    if (!qmp || qmp->state != STATE_READY) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_DISCONNECTED, "QEMU is not connected");
        return FALSE;
    }
    if (qmp->commands.length + keep_free >= SPP_QMP_ASYNC_MAX_OUTSTANDING) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_IO, "%u QMP commands wait for QEMU already",
                    qmp->commands.length);
        return FALSE;
    }
    return send_command(qmp, command, func, user_data);
}

static gboolean on_greeting_timeout(gpointer data)
{
    SppQmpAsync *qmp = data;
    qmp->greeting_source = 0;
    fail(qmp, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT,
                          "no QMP greeting within %d ms (is another client using this monitor?)",
                          SPP_QMP_ASYNC_GREETING_TIMEOUT_MS));
    return G_SOURCE_REMOVE;
}

static void start_connect(SppQmpAsync *qmp, const char *socket_path)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof address.sun_path) {
        fail(qmp, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "QMP socket path too long: %s", socket_path));
        return;
    }
    strcpy(address.sun_path, socket_path);
    qmp->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (qmp->fd < 0) {
        fail(qmp, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "socket: %s", g_strerror(errno)));
        return;
    }
    /* EAGAIN on a unix socket is a full listen backlog, not a connect in progress. */
    if (connect(qmp->fd, (struct sockaddr *)&address, sizeof address) == 0)
        qmp->state = STATE_GREETING;
    else if (errno != EINPROGRESS) {
        fail(qmp, g_error_new(SPP_QMP_ERROR, SPP_QMP_ERROR_CONNECT, "connect to QMP socket %s: %s", socket_path,
                              g_strerror(errno)));
        return;
    }
    qmp->greeting_source = g_timeout_add(SPP_QMP_ASYNC_GREETING_TIMEOUT_MS, on_greeting_timeout, qmp);
    update_watch(qmp);
}

SppQmpAsync *spp_qmp_async_new(const char *socket_path, const SppQmpAsyncCallbacks *callbacks, gpointer user_data)
{
    SppQmpAsync *qmp = g_new0(SppQmpAsync, 1);
    qmp->fd = -1;
    qmp->state = STATE_CONNECTING;
    qmp->stream = spp_qmp_stream_new();
    spp_qmp_stream_set_max_message(qmp->stream, SPP_QMP_ASYNC_MAX_MESSAGE);
    qmp->out = g_byte_array_new();
    g_queue_init(&qmp->commands);
    qmp->callbacks = *callbacks;
    qmp->user_data = user_data;
    start_connect(qmp, socket_path);
    return qmp;
}

void spp_qmp_async_free(SppQmpAsync *qmp)
{
    if (!qmp)
        return;
    close_fd(qmp);
    g_clear_handle_id(&qmp->close_source, g_source_remove);
    g_queue_clear_full(&qmp->commands, (GDestroyNotify)command_free);
    spp_qmp_stream_free(qmp->stream);
    g_byte_array_unref(qmp->out);
    g_clear_error(&qmp->error);
    g_free(qmp);
}
