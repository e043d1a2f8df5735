#include "bridge-options.h"

#include <stdlib.h>
#include <string.h>

#include <spicepower/protocol.h>

static gboolean parse_port(const char *text, int *port)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > 65535)
        return FALSE;
    *port = (int)v;
    return TRUE;
}

static gboolean parse_actions(const char *list, SppBridgeOptions *opts, char **error_line)
{
    opts->reset = opts->poweroff = opts->poweron = FALSE;
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    for (char **n = names; *n; n++) {
        if (strcmp(*n, "reset") == 0)
            opts->reset = TRUE;
        else if (strcmp(*n, "poweroff") == 0)
            opts->poweroff = TRUE;
        else if (strcmp(*n, "poweron") == 0)
            opts->poweron = TRUE;
        else {
            *error_line = g_strdup_printf("--actions: unknown action '%s' (known: reset, poweroff, poweron)", *n);
            return FALSE;
        }
    }
    if (!opts->reset && !opts->poweroff && !opts->poweron) {
        *error_line = g_strdup("--actions: name at least one action (reset, poweroff, poweron)");
        return FALSE;
    }
    return TRUE;
}

static gboolean read_password(const char *path, char **password, char **error_line)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &text, NULL, &err)) {
        *error_line = g_strdup_printf("--password-file: %s", err->message);
        return FALSE;
    }
    /* The first line is the password; a trailing newline is not part of it. */
    text[strcspn(text, "\r\n")] = '\0';
    if (strlen(text) > SPP_TICKET_PASSWORD_MAX) {
        *error_line = g_strdup_printf("--password-file: the password is longer than SPICE's %d bytes",
                                      SPP_TICKET_PASSWORD_MAX);
        return FALSE;
    }
    *password = g_steal_pointer(&text);
    return TRUE;
}

gboolean spp_bridge_options_parse(int argc, char **argv, SppBridgeOptions *opts, char **error_line)
{
    char *qmp = NULL, *listen = NULL, *password_file = NULL, *actions = NULL, *tls_port = NULL;
    gboolean disable_ticketing = FALSE;
    GOptionEntry entries[] = {
        {"qmp", 0, 0, G_OPTION_ARG_STRING, &qmp, "QEMU's QMP socket", "unix:PATH"},
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address and port SPICE clients connect to", "ADDR:PORT"},
        {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "SPICE ticket (first line of FILE)", "FILE"},
        {"disable-ticketing", 0, 0, G_OPTION_ARG_NONE, &disable_ticketing, "Accept clients without a ticket", NULL},
        {"multiple-clients", 0, 0, G_OPTION_ARG_NONE, &opts->multiple_clients,
         "Let several SPICE clients connect at once (spice-server's multi-client mode)", NULL},
        {"actions", 0, 0, G_OPTION_ARG_STRING, &actions, "Actions to offer (default: reset,poweroff,poweron)", "LIST"},
        {"tls-port", 0, 0, G_OPTION_ARG_STRING, &tls_port, "Also listen for TLS on this port", "PORT"},
        {"x509-cacert-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->tls_ca, "TLS CA certificate", "FILE"},
        {"x509-cert-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->tls_cert, "TLS server certificate", "FILE"},
        {"x509-key-file", 0, 0, G_OPTION_ARG_FILENAME, &opts->tls_key, "TLS server key", "FILE"},
        {"tls-channel", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opts->tls_channels,
         "Require TLS on this channel (e.g. power); repeatable", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- a SPICE server with the power channel, driving QEMU over QMP");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) err = NULL;
    gboolean ok = FALSE;
    char *colon;

    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        *error_line = g_strdup(err->message);
        goto out;
    }
    if (argc > 1) {
        *error_line = g_strdup_printf("unexpected argument '%s'", argv[1]);
        goto out;
    }
    if (!qmp || !g_str_has_prefix(qmp, "unix:") || !qmp[5]) {
        *error_line = g_strdup("--qmp unix:PATH is required");
        goto out;
    }
    opts->qmp_socket = g_strdup(qmp + 5);
    if (!listen || !(colon = strrchr(listen, ':')) || colon == listen || !parse_port(colon + 1, &opts->listen_port)) {
        *error_line = g_strdup_printf("--listen wants ADDR:PORT with a port from 1 to 65535, got '%s'",
                                      listen ? listen : "nothing");
        goto out;
    }
    opts->listen_addr = g_strndup(listen, (gsize)(colon - listen));
    if (!!password_file == !!disable_ticketing) {
        *error_line = g_strdup("give exactly one of --password-file FILE and --disable-ticketing");
        goto out;
    }
    if (password_file && !read_password(password_file, &opts->password, error_line))
        goto out;
    if (!parse_actions(actions ? actions : "reset,poweroff,poweron", opts, error_line))
        goto out;
    if (tls_port) {
        if (!parse_port(tls_port, &opts->tls_port)) {
            *error_line = g_strdup_printf("--tls-port wants a port from 1 to 65535, got '%s'", tls_port);
            goto out;
        }
        if (!opts->tls_ca || !opts->tls_cert || !opts->tls_key) {
            *error_line = g_strdup("--tls-port needs --x509-cacert-file, --x509-cert-file and --x509-key-file");
            goto out;
        }
    } else if (opts->tls_channels || opts->tls_ca || opts->tls_cert || opts->tls_key) {
        *error_line = g_strdup("TLS options need --tls-port");
        goto out;
    }
    ok = TRUE;
out:
    g_free(qmp);
    g_free(listen);
    g_free(password_file);
    g_free(actions);
    g_free(tls_port);
    return ok;
}

void spp_bridge_options_clear(SppBridgeOptions *opts)
{
    g_free(opts->qmp_socket);
    g_free(opts->listen_addr);
    g_free(opts->password);
    g_free(opts->tls_ca);
    g_free(opts->tls_cert);
    g_free(opts->tls_key);
    g_strfreev(opts->tls_channels);
    memset(opts, 0, sizeof *opts);
}
