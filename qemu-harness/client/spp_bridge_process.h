/* A spice-power-bridge process for tests and benchmarks: the command line from a spec, a bridge
 * that dies with its parent (a failed test never leaves one behind), and a start that returns
 * only once the bridge listens. */
#ifndef SPP_BRIDGE_PROCESS_H
#define SPP_BRIDGE_PROCESS_H

#include <glib.h>

G_BEGIN_DECLS

#define SPP_BRIDGE_PROCESS_ERROR (spp_bridge_process_error_quark())
GQuark spp_bridge_process_error_quark(void);

typedef enum {
    SPP_BRIDGE_PROCESS_ERROR_START,   /* no free port, the password file or the spawn failed */
    SPP_BRIDGE_PROCESS_ERROR_EXITED,  /* the bridge exited before it listened */
    SPP_BRIDGE_PROCESS_ERROR_TIMEOUT, /* the bridge did not listen in time */
} SppBridgeProcessError;

typedef struct {
    const char *path;              /* the spice-power-bridge binary */
    const char *qmp_socket;        /* QEMU's QMP socket (a path; --qmp unix:PATH) */
    int port;                      /* --listen 127.0.0.1:PORT; 0: a free port */
    const char *password;          /* the ticket clients need; NULL: --disable-ticketing */
    const char *actions;           /* --actions; NULL: the bridge's default (all three) */
    gboolean multiple_clients;     /* --multiple-clients */
    const char *const *extra_args; /* appended as they are (TLS options); NULL-terminated */
    const char *log_file;          /* the bridge's stdout and stderr; NULL: inherited */
    int start_timeout_ms;          /* how long to wait until it listens; 0: 10 s */
} SppBridgeProcessSpec;

typedef struct SppBridgeProcess SppBridgeProcess;

SppBridgeProcess *spp_bridge_process_start(const SppBridgeProcessSpec *spec, GError **error);
/* The port it listens on (spec->port, or the one chosen). */
int spp_bridge_process_port(const SppBridgeProcess *bridge);
/* Its process id, for reading its resources from /proc (the soak benchmark). */
GPid spp_bridge_process_pid(const SppBridgeProcess *bridge);
/* Whether the bridge is still running; when it is not, error says how it ended (an exit status, or
 * the signal that killed it). */
gboolean spp_bridge_process_running(SppBridgeProcess *bridge, GError **error);
/* SIGTERM, then waits for the bridge to exit. */
void spp_bridge_process_stop(SppBridgeProcess *bridge);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SppBridgeProcess, spp_bridge_process_stop)

G_END_DECLS

#endif /* SPP_BRIDGE_PROCESS_H */
