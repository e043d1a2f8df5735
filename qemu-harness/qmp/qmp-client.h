/* A QMP (QEMU Machine Protocol) client on GLib + json-glib.
 *
 * Synchronous by design: every call that may wait takes a timeout in
 * milliseconds (negative = wait forever) and polls the socket itself.
 * Whatever arrives while waiting for something else (QEMU sends job, STOP and
 * RESET events *before* the command's return) is appended to a FIFO queue that
 * the caller inspects with the event functions below. The queue is bounded
 * (SPP_QMP_EVENT_QUEUE_MAX_EVENTS / _MAX_BYTES): events are lost only when
 * that many wait unread, and then the loss is counted and reported.
 *
 * For a GMainLoop, either watch the fd from
 * spp_qmp_client_get_fd() and call spp_qmp_client_pump() with timeout 0, or
 * attach spp_qmp_client_create_source(); an event callback then sees events
 * as they are read.
 *
 * Errors: transport problems use the SPP_QMP_ERROR domain with distinct codes
 * (went away, timeout, garbage, ...); a QMP {"error": {class, desc}} reply uses
 * the SPP_QMP_COMMAND_ERROR domain, the code is the class and the message is
 * exactly QEMU's desc. After SPP_QMP_ERROR_DISCONNECTED or _PROTOCOL the
 * client is dead: later calls fail with the same error, but events already
 * queued can still be read. A timeout is not fatal; a late reply to a timed-out
 * command is recognised by its id and dropped.
 *
 * Not thread-safe: use one client from one thread.
 */
#ifndef SPP_QMP_CLIENT_H
#define SPP_QMP_CLIENT_H

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SPP_QMP_ERROR (spp_qmp_error_quark())
GQuark spp_qmp_error_quark(void);

/* Transport and protocol failures (domain SPP_QMP_ERROR). */
typedef enum {
    SPP_QMP_ERROR_CONNECT,      /* could not connect to the socket */
    SPP_QMP_ERROR_DISCONNECTED, /* QEMU went away: EOF, ECONNRESET, EPIPE */
    SPP_QMP_ERROR_TIMEOUT,      /* the deadline passed; the client stays usable */
    SPP_QMP_ERROR_PROTOCOL,     /* garbage: not JSON, not an object, unknown message */
    SPP_QMP_ERROR_IO,           /* any other socket error */
    SPP_QMP_ERROR_INVALID,      /* bad arguments from the caller (e.g. bad JSON text) */
} SppQmpError;

#define SPP_QMP_COMMAND_ERROR (spp_qmp_command_error_quark())
GQuark spp_qmp_command_error_quark(void);

/* QEMU's error classes (qapi/error.json) in domain SPP_QMP_COMMAND_ERROR; the
 * GError message is QEMU's "desc" verbatim. */
typedef enum {
    SPP_QMP_COMMAND_ERROR_GENERIC_ERROR,       /* "GenericError" */
    SPP_QMP_COMMAND_ERROR_COMMAND_NOT_FOUND,   /* "CommandNotFound" */
    SPP_QMP_COMMAND_ERROR_DEVICE_NOT_ACTIVE,   /* "DeviceNotActive" */
    SPP_QMP_COMMAND_ERROR_DEVICE_NOT_FOUND,    /* "DeviceNotFound" */
    SPP_QMP_COMMAND_ERROR_KVM_MISSING_CAP,     /* "KVMMissingCap" */
    SPP_QMP_COMMAND_ERROR_OTHER,               /* unknown class; message "<class>: <desc>" */
} SppQmpCommandError;

/* The QMP class name of a SPP_QMP_COMMAND_ERROR code ("GenericError", ...). */
const char *spp_qmp_command_error_class_name(SppQmpCommandError code);

/* One asynchronous event. Owned by whoever popped it; free with spp_qmp_event_free(). */
typedef struct {
    char *name;              /* "STOP", "RESET", "JOB_STATUS_CHANGE", ... */
    JsonNode *data;          /* the "data" member, or NULL when absent */
    gint64 timestamp_us;     /* QEMU's timestamp (seconds*1e6 + microseconds) */
    gint64 received_us;      /* g_get_monotonic_time() when read from the socket */
} SppQmpEvent;

void spp_qmp_event_free(SppQmpEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppQmpEvent, spp_qmp_event_free)

/* Data predicate for spp_qmp_client_wait_event(): TRUE when the event matches. */
typedef gboolean (*SppQmpEventMatch)(const SppQmpEvent *event, gpointer user_data);

/* Event callback: called for each event as it is read, before queueing.
 * Return TRUE to consume it (it is then not queued), FALSE to queue it. It
 * runs inside whichever client call is reading, so it must not call the
 * client's reading functions (execute, wait, pump) itself. */
typedef gboolean (*SppQmpEventFunc)(const SppQmpEvent *event, gpointer user_data);

/* Called once by the GSource of spp_qmp_client_create_source() when the
 * connection dies (QEMU went away or sent garbage). */
typedef void (*SppQmpClosedFunc)(const GError *error, gpointer user_data);

typedef struct SppQmpClient SppQmpClient;

/* Connect to QEMU's QMP unix socket, read the greeting, send qmp_capabilities.
 * Retries while the socket does not exist yet or refuses, until the timeout. */
SppQmpClient *spp_qmp_client_connect(const char *socket_path, gint64 timeout_ms, GError **error);

/* Same handshake on an already connected stream socket; takes ownership of fd. */
SppQmpClient *spp_qmp_client_new_from_fd(int fd, gint64 timeout_ms, GError **error);

/* Close the socket and free everything, including queued events. NULL is fine. */
void spp_qmp_client_free(SppQmpClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppQmpClient, spp_qmp_client_free)

/* The greeting's "QMP" object ({"version": ..., "capabilities": [...]}); borrowed. */
JsonNode *spp_qmp_client_get_greeting(SppQmpClient *client);

/* QEMU's version from the greeting (e.g. 7, 2, 22). */
void spp_qmp_client_get_version(SppQmpClient *client, int *major, int *minor, int *micro);

/* Run a command and wait for its reply. arguments may be NULL (borrowed; must
 * be a JSON object). Returns the "return" member (new reference; free with
 * json_node_unref) or NULL with error set. Events read meanwhile are queued.
 * For "quit", QEMU 7.2 sends SHUTDOWN, then the return, then closes; a
 * caller that does not care about the order may also accept DISCONNECTED. */
JsonNode *spp_qmp_client_execute(SppQmpClient *client, const char *command, JsonNode *arguments,
                                 gint64 timeout_ms, GError **error);

/* Same, with the arguments as JSON text (NULL or e.g. "{\"flat\": true}"). */
JsonNode *spp_qmp_client_execute_json(SppQmpClient *client, const char *command,
                                      const char *arguments_json, gint64 timeout_ms, GError **error);

/* Wait for an event called name (NULL = any name) for which match (may be
 * NULL) returns TRUE. Looks at the queue first, oldest first, then reads.
 * The matching event is removed from the queue and returned; others stay
 * queued in order. Fails with SPP_QMP_ERROR_TIMEOUT, or with the connection's
 * error once QEMU went away and no queued event matches. */
SppQmpEvent *spp_qmp_client_wait_event(SppQmpClient *client, const char *name, SppQmpEventMatch match,
                                       gpointer user_data, gint64 timeout_ms, GError **error);

/* Read whatever is available, up to timeout_ms (0 = do not block), queueing
 * events and dropping stale replies, but at most SPP_QMP_PUMP_MAX_MESSAGES, so that
 * a peer that never stops sending cannot hold a main loop (a watch on the fd calls
 * again while bytes remain). Returns the number of messages read, or -1 with error
 * set when the connection failed. */
#define SPP_QMP_PUMP_MAX_MESSAGES 256
int spp_qmp_client_pump(SppQmpClient *client, gint64 timeout_ms, GError **error);

/* The oldest queued event (borrowed) or NULL; it stays queued. */
const SppQmpEvent *spp_qmp_client_peek_event(SppQmpClient *client);

/* The bounds of the event queue. A peer that sends events nobody reads (a hostile QMP peer, or
 * QEMU during a long soak whose caller never drains) must not grow the client's memory without
 * limit: beyond either bound the oldest queued events are dropped, counted, and reported by one
 * g_warning per client. QEMU sends a handful of events per command, so 1024 is far more than a
 * caller leaves unread between two looks; the byte budget (the events' JSON text) caps large
 * events. The newest event is always kept, whatever its size (at most SPP_QMP_STREAM_MAX_MESSAGE).
 * Events consumed by the event callback never enter the queue. */
#define SPP_QMP_EVENT_QUEUE_MAX_EVENTS 1024u
#define SPP_QMP_EVENT_QUEUE_MAX_BYTES (4u * 1024u * 1024u)

/* How many events the queue dropped since the client connected (see above). */
guint64 spp_qmp_client_get_dropped_events(SppQmpClient *client);

/* Remove and return the oldest queued event, or NULL. */
SppQmpEvent *spp_qmp_client_pop_event(SppQmpClient *client);

/* Remove and return all queued events, oldest first (array frees its elements). */
GPtrArray *spp_qmp_client_drain_events(SppQmpClient *client);

/* Number of queued events. */
guint spp_qmp_client_count_events(SppQmpClient *client);

/* See SppQmpEventFunc. Replaces any previous callback (destroying its data). */
void spp_qmp_client_set_event_callback(SppQmpClient *client, SppQmpEventFunc func, gpointer user_data,
                                       GDestroyNotify destroy);

/* The socket, for poll() or g_unix_fd_add(); owned by the client. */
int spp_qmp_client_get_fd(SppQmpClient *client);

/* FALSE once QEMU went away or the stream was garbage. */
gboolean spp_qmp_client_is_connected(SppQmpClient *client);

/* A GSource that pumps the client whenever the socket is readable. When the
 * connection dies it calls closed (may be NULL) once and removes itself.
 * Attach it with g_source_attach(); unref it yourself. The client must outlive
 * the source (destroy the source first). */
GSource *spp_qmp_client_create_source(SppQmpClient *client, SppQmpClosedFunc closed, gpointer user_data,
                                      GDestroyNotify destroy);

G_END_DECLS

#endif /* SPP_QMP_CLIENT_H */
