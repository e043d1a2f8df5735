/* A scripted fake QMP peer, for spp_qmp's unit tests and the hostile tests of the bridge: it plays
 * a script of steps in a thread of its own (send text, answer the next request with its id,
 * close, ...), standing in for QEMU where real QEMU will not misbehave on demand. It plays on a
 * socketpair (peer_start), or on a Unix socket that it listens on, to every client in turn
 * (peer_serve). A script ends early once the client is gone. */
#ifndef SPP_FAKE_QMP_PEER_H
#define SPP_FAKE_QMP_PEER_H

#include "qmp-client.h"

#define GREETING                                                                                                     \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, "            \
    "\"capabilities\": [\"oob\"]}}\r\n"
#define OK_REPLY "{\"return\": {}, \"id\": %ID%}\r\n"

typedef enum {
    STEP_SEND,           /* send text */
    STEP_REPLY,          /* read one request line, send text with %ID% replaced by its id */
    STEP_RECV,           /* read one request line and remember its id for %LAST%  */
    STEP_SEND_LAST,      /* send text with %LAST% replaced by the remembered id */
    STEP_SEND_BYTEWISE,  /* send text one byte at a time, slowly, until the client is gone */
    STEP_SLEEP_MS,       /* pause (less once the client is gone) */
    STEP_FLOOD_MS,       /* send text again and again for ms milliseconds, or until the client is gone */
    STEP_SERVE_SLOWLY,   /* until the client is gone: read each request one byte per ms milliseconds
                            and answer it with text (%ID% replaced) */
    STEP_CLOSE,          /* close the socket */
    STEP_END,
} StepKind;

typedef struct {
    StepKind kind;
    const char *text;
    int ms;
} Step;

typedef struct {
    int fd;              /* the client's connection; -1 between clients */
    int listen_fd;       /* peer_listen, peer_serve: the listening socket; else -1 */
    int wake[2];         /* peer_serve: a pipe that tells the thread to stop */
    GMutex lock;         /* guards fd and stopping against peer_serve_stop */
    gboolean stopping;
    guint clients;       /* peer_serve: clients served so far */
    const Step *script;
    GPtrArray *requests; /* every request line the peer read */
    GThread *thread;
} FakePeer;

/* Starts the peer; *client_fd receives the other end of the socketpair. */
FakePeer *peer_start(const Step *script, int *client_fd);

/* Waits for the script to end and frees the peer. */
void peer_finish(FakePeer *peer);

/* Starts a peer that listens on a unix socket at path (replacing a file there), takes the first
 * connection (within 10 s) and plays the script on it: a stand-in QEMU for a program that connects
 * by itself, such as spice-power-bridge. Later connections wait in the listen backlog, unanswered.
 * peer_finish() ends it. */
FakePeer *peer_listen(const char *path, const Step *script);

/* Listens on a Unix socket at path and plays the script to each client that connects, one after
 * the other, until peer_serve_stop(): a QEMU that misbehaves the same way every time a program
 * such as spice-power-bridge reconnects. */
FakePeer *peer_serve(const char *path, const Step *script);

/* Ends the current client's script (its connection is shut down), stops listening and frees the
 * peer; the socket file is left to the caller. */
void peer_serve_stop(FakePeer *peer);

/* Connects a client to a peer whose script starts with greeting + capabilities. */
SppQmpClient *connect_client(const Step *script, FakePeer **peer);

#endif /* SPP_FAKE_QMP_PEER_H */
