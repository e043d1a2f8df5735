/* A scripted fake QMP peer on a socketpair, for spp_qmp's unit tests: it plays a script of
 * steps in a thread of its own (send text, answer the next request with its id, close, ...),
 * standing in for QEMU where real QEMU will not misbehave on demand. */
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
    STEP_SLEEP_MS,       /* pause */
    STEP_FLOOD_MS,       /* send text again and again for ms milliseconds, or until the client is gone */
    STEP_CLOSE,          /* close the socket */
    STEP_END,
} StepKind;

typedef struct {
    StepKind kind;
    const char *text;
    int ms;
} Step;

typedef struct {
    int fd;
    int listen_fd;       /* peer_listen() only */
    const Step *script;
    GPtrArray *requests; /* every request line the peer read */
    GThread *thread;
} FakePeer;

/* Starts the peer; *client_fd receives the other end of the socketpair. */
FakePeer *peer_start(const Step *script, int *client_fd);

/* Starts a peer that listens on a unix socket at path (replacing a file there), takes the first
 * connection (within 10 s) and plays the script on it: a stand-in QEMU for a program that connects
 * by itself, such as spice-power-bridge. Later connections wait in the listen backlog, unanswered. */
FakePeer *peer_listen(const char *path, const Step *script);

/* Waits for the script to end and frees the peer. */
void peer_finish(FakePeer *peer);

/* Connects a client to a peer whose script starts with greeting + capabilities. */
SppQmpClient *connect_client(const Step *script, FakePeer **peer);

#endif /* SPP_FAKE_QMP_PEER_H */
