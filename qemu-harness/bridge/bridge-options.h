/* spice-power-bridge's command line. */
#ifndef SPP_BRIDGE_OPTIONS_H
#define SPP_BRIDGE_OPTIONS_H

#include <glib.h>

typedef struct {
    char *qmp_socket;    /* from --qmp unix:PATH */
    char *listen_addr;   /* from --listen ADDR:PORT */
    int listen_port;
    char *password;      /* from --password-file, or NULL with --disable-ticketing */
    gboolean reset, poweroff, poweron; /* --actions */
    int tls_port;        /* 0: no TLS */
    char *tls_ca, *tls_cert, *tls_key;
    char **tls_channels; /* --tls-channel NAME, repeatable */
    gboolean multiple_clients; /* --multiple-clients */
} SppBridgeOptions;

/* Parses argv. On bad input returns FALSE with a one-line message in *error_line. */
gboolean spp_bridge_options_parse(int argc, char **argv, SppBridgeOptions *opts, char **error_line);
void spp_bridge_options_clear(SppBridgeOptions *opts);

#endif /* SPP_BRIDGE_OPTIONS_H */
