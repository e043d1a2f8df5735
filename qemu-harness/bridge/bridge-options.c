#include "bridge-options.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spicepower/protocol.h>

/* Read from a password file: the first line is the password, so a longer file is not read whole. */
#define PASSWORD_FILE_READ_MAX 4096

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

/* The file's bytes, at most PASSWORD_FILE_READ_MAX, if it is a regular file that only its owner may
 * read: the ticket is all that stands between a client and the VM's power. */
static char *read_private_file(const char *path, char **error_line)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        *error_line = g_strdup_printf("--password-file %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *text = NULL;
    if (!S_ISREG(st.st_mode))
        *error_line = g_strdup_printf("--password-file %s: not a regular file", path);
    else if (st.st_mode & (S_IRGRP | S_IROTH))
        *error_line = g_strdup_printf("--password-file %s: readable by group or others (mode %04o); chmod 600 it",
                                      path, (unsigned)(st.st_mode & 07777));
    else {
        text = g_malloc0(PASSWORD_FILE_READ_MAX + 1);
        ssize_t n = read(fd, text, PASSWORD_FILE_READ_MAX);
        if (n < 0) {
            *error_line = g_strdup_printf("--password-file %s: %s", path, g_strerror(errno));
            g_clear_pointer(&text, g_free);
        }
    }
    close(fd);
    return text;
}

static gboolean read_password(const char *path, char **password, char **error_line)
{
    g_autofree char *text = read_private_file(path, error_line);
    if (!text)
        return FALSE;
    /* The first line is the password; a trailing newline is not part of it. */
    text[strcspn(text, "\r\n")] = '\0';
    if (strlen(text) > SPP_TICKET_PASSWORD_MAX) {
        *error_line = g_strdup_printf("--password-file %s: the password is longer than SPICE's %d bytes", path,
                                      SPP_TICKET_PASSWORD_MAX);
        return FALSE;
    }
    if (!*text) {
        *error_line = g_strdup_printf("--password-file %s: the password (its first line) is empty", path);
        return FALSE;
    }
    *password = g_steal_pointer(&text);
    return TRUE;
}

/* Whether every address the name stands for is a loopback address, resolved as spice-server
 * resolves the address it listens on. A name that does not resolve is not. */
static gboolean is_loopback(const char *address)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *list = NULL;
    if (getaddrinfo(address, NULL, &hints, &list) != 0)
        return FALSE;
    gboolean all = list != NULL;
    for (struct addrinfo *ai = list; ai && all; ai = ai->ai_next) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)ai->ai_addr;
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ai->ai_addr;
        if (ai->ai_family == AF_INET)
            all = ntohl(v4->sin_addr.s_addr) >> 24 == IN_LOOPBACKNET;
        else
            all = ai->ai_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    }
    freeaddrinfo(list);
    return all;
}

/* The policy on who may reach the power of the VM without a ticket. */
static gboolean check_ticket_policy(const SppBridgeOptions *opts, gboolean allow_remote, char **error_line)
{
    if (opts->password || allow_remote || is_loopback(opts->listen_addr))
        return TRUE;
    *error_line = g_strdup_printf("--disable-ticketing on %s, not a loopback address, lets anyone who reaches it "
                                  "reset the VM; give --password-file, or --allow-remote-without-password",
                                  opts->listen_addr);
    return FALSE;
}

static gboolean parse_qmp(const char *qmp, SppBridgeOptions *opts, char **error_line)
{
    struct sockaddr_un address;
    if (!qmp || !g_str_has_prefix(qmp, "unix:") || !qmp[5]) {
        *error_line = g_strdup("--qmp unix:PATH is required");
        return FALSE;
    }
    if (strlen(qmp + 5) >= sizeof address.sun_path) {
        *error_line = g_strdup_printf("--qmp: the socket path is longer than a unix socket allows (%zu bytes)",
                                      sizeof address.sun_path - 1);
        return FALSE;
    }
    opts->qmp_socket = g_strdup(qmp + 5);
    return TRUE;
}

gboolean spp_bridge_options_parse(int argc, char **argv, SppBridgeOptions *opts, char **error_line)
{
    char *qmp = NULL, *listen = NULL, *password_file = NULL, *actions = NULL, *tls_port = NULL;
    gboolean disable_ticketing = FALSE, allow_remote = FALSE;
    GOptionEntry entries[] = {
        {"qmp", 0, 0, G_OPTION_ARG_STRING, &qmp, "QEMU's QMP socket", "unix:PATH"},
        {"listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address and port SPICE clients connect to", "ADDR:PORT"},
        {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "SPICE ticket (first line of FILE)", "FILE"},
        {"disable-ticketing", 0, 0, G_OPTION_ARG_NONE, &disable_ticketing,
         "Accept clients without a ticket (on a loopback address only, unless...)", NULL},
        {"allow-remote-without-password", 0, 0, G_OPTION_ARG_NONE, &allow_remote,
         "...this: --disable-ticketing on any address", NULL},
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
    if (!parse_qmp(qmp, opts, error_line))
        goto out;
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
    if (!check_ticket_policy(opts, allow_remote, error_line))
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
