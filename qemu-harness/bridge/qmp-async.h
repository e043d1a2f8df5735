/* One QMP connection driven entirely by the GLib main loop (the default context): a non-blocking
 * connect, the greeting and qmp_capabilities, commands with a timeout each, and events. Nothing
 * here waits: spice-server runs on the same loop, and a SPICE client must be answered whatever the
 * QMP peer does. The peer is not trusted; what it can make the bridge hold is bounded by the
 * limits below.
 *
 * A connection is used once: when it fails (connect refused, no greeting in time, a command not
 * answered in time, EOF, garbage, a limit passed) it closes, fails the commands still waiting, and
 * reports `closed`. Reconnecting is the owner's business (qemu-monitor.c). Errors use spp_qmp's
 * domains: SPP_QMP_ERROR for the transport, SPP_QMP_COMMAND_ERROR for QMP error replies. */
#ifndef SPP_BRIDGE_QMP_ASYNC_H
#define SPP_BRIDGE_QMP_ASYNC_H

#include <glib.h>
#include <json-glib/json-glib.h>

/* QMP's replies and events for the commands the bridge sends are under 1 KiB; anything this big is
 * a peer trying to make the bridge buffer it. */
#define SPP_QMP_ASYNC_MAX_MESSAGE (256u * 1024u)
/* The connection waits this long for the greeting: QEMU 7.2 accepts a connect into its listen
 * backlog while another client holds the monitor, and then says nothing. */
#define SPP_QMP_ASYNC_GREETING_TIMEOUT_MS 3000
/* Each command, qmp_capabilities included, must be answered within this. */
#define SPP_QMP_ASYNC_COMMAND_TIMEOUT_MS 5000
/* Commands sent and not yet answered; execute() refuses more. */
#define SPP_QMP_ASYNC_MAX_OUTSTANDING 16

typedef struct SppQmpAsync SppQmpAsync;

typedef struct {
    /* The handshake is done: commands may be sent. */
    void (*ready)(gpointer user_data);
    /* An event arrived (after the handshake); name is borrowed for the call. */
    void (*event)(const char *name, gpointer user_data);
    /* The connection is over, once, from the main loop and never from inside a call into this
     * module, after every waiting command has had its reply callback. The owner may free the
     * connection here; error belongs to the connection. */
    void (*closed)(const GError *error, gpointer user_data);
} SppQmpAsyncCallbacks;

/* A command's outcome: the "return" member (borrowed for the call), or NULL and error. Called once
 * per command accepted by execute(), from the main loop. It may send further commands; only
 * `closed` may free the connection. */
typedef void (*SppQmpAsyncReplyFunc)(JsonNode *result, const GError *error, gpointer user_data);

/* Starts connecting to the QMP unix socket; every outcome, including an immediate refusal, comes
 * through the callbacks. */
SppQmpAsync *spp_qmp_async_new(const char *socket_path, const SppQmpAsyncCallbacks *callbacks, gpointer user_data);

/* Closes without calling any callback: commands still waiting are dropped unanswered. */
void spp_qmp_async_free(SppQmpAsync *qmp);

/* Sends a command without arguments. FALSE with error (SPP_QMP_ERROR_DISCONNECTED) when the
 * handshake is not done or the connection is over, or with SPP_QMP_ERROR_IO when fewer than
 * keep_free + 1 of the SPP_QMP_ASYNC_MAX_OUTSTANDING slots are free (an owner keeps slots for
 * commands of its own this way); func is then never called. */
gboolean spp_qmp_async_execute(SppQmpAsync *qmp, const char *command, guint keep_free, SppQmpAsyncReplyFunc func,
                               gpointer user_data, GError **error);

#endif /* SPP_BRIDGE_QMP_ASYNC_H */
