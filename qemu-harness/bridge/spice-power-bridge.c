/* spice-power-bridge: a SPICE server with the main and power channels, attached to a running
 * QEMU over QMP. Clients' power actions become QMP commands; QEMU's run state becomes STATE. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spice.h>

#include "bridge-options.h"
#include "spice-glib-core.h"
#include "power-actions.h"
#include "qemu-monitor.h"
#include "spp_names.h"

/* How long the bridge waits for its first view of QEMU before it listens, so that a client that
 * links at once gets the real power state rather than UNKNOWN; a QEMU that takes longer (its monitor
 * held by another client) is reached later, while clients are served. */
#define FIRST_CONTACT_MS 1000

static SpiceServer *listening_server; /* set once clients can be told of the state */

static void push_state(int state, gpointer unused)
{
    (void)unused;
    g_printerr("spice-power-bridge: power state %s\n", spp_power_state_name(state));
    if (listening_server)
        spice_server_power_set_state(listening_server, state);
}

static gboolean first_contact_over(gpointer flag)
{
    *(gboolean *)flag = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main loop until the monitor has settled or FIRST_CONTACT_MS have passed. */
static void await_first_contact(SppQemuMonitor *monitor)
{
    gboolean over = FALSE;
    guint timer = g_timeout_add(FIRST_CONTACT_MS, first_contact_over, &over);
    while (!over && !spp_qemu_monitor_settled(monitor))
        g_main_context_iteration(NULL, TRUE);
    if (!over)
        g_source_remove(timer);
}

static gboolean quit_on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static G_NORETURN void die(const char *what)
{
    fprintf(stderr, "spice-power-bridge: %s\n", what);
    exit(1);
}

static SpiceServer *configure_server(const SppBridgeOptions *opts)
{
    if (opts->multiple_clients)
        g_setenv(SPP_SPICE_MULTI_CLIENT_VARIABLE, "1", TRUE);
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, opts->listen_addr, 0);
    spice_server_set_port(server, opts->listen_port);
    if (opts->password)
        spice_server_set_ticket(server, opts->password, 0, 0, 0);
    else
        spice_server_set_noauth(server);
    if (opts->tls_port) {
        if (spice_server_set_tls(server, opts->tls_port, opts->tls_ca, opts->tls_cert, opts->tls_key, NULL, NULL,
                                 NULL) != 0)
            die("cannot set up TLS with the given certificate files");
        /* "default", as QEMU's tls-channel has it, is every channel not named otherwise. */
        for (char **c = opts->tls_channels; c && *c; c++)
            if (spice_server_set_channel_security(server, strcmp(*c, "default") == 0 ? NULL : *c,
                                                  SPICE_CHANNEL_SECURITY_SSL) != 0)
                die("--tls-channel names an unknown channel");
    }
    return server;
}

int main(int argc, char **argv)
{
    SppBridgeOptions opts = {0};
    g_autofree char *error_line = NULL;
    if (!spp_bridge_options_parse(argc, argv, &opts, &error_line)) {
        fprintf(stderr, "spice-power-bridge: %s\n", error_line);
        spp_bridge_options_clear(&opts);
        return 2;
    }

    /* spice-server writes to clients with plain write(): a client that goes away while a reply is
     * being written would raise SIGPIPE and end every session. As in QEMU, its usual host, the
     * write fails with EPIPE instead and spice-server drops that client. */
    signal(SIGPIPE, SIG_IGN);

    SppQemuMonitor *monitor = spp_qemu_monitor_new(opts.qmp_socket, push_state, NULL);
    await_first_contact(monitor);

    SpiceServer *server = configure_server(&opts);
    SpiceCoreInterface *core = spp_spice_glib_core_new(NULL);
    if (spice_server_init(server, core) != 0)
        die("spice-server failed to start (is the address or port in use?)");
    SpicePowerInstance *power = spp_power_actions_new(monitor, opts.reset, opts.poweroff, opts.poweron);
    if (spice_server_add_interface(server, &power->base) != 0)
        die("spice-server refused the power interface (is it the patched spice-server, API v2?)");
    listening_server = server;
    spice_server_power_set_state(server, spp_qemu_monitor_power_state(monitor));
    g_printerr("spice-power-bridge: listening on %s:%d, actions:%s%s%s\n", opts.listen_addr, opts.listen_port,
               opts.reset ? " reset" : "", opts.poweroff ? " poweroff" : "", opts.poweron ? " poweron" : "");

    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGINT, quit_on_signal, loop);
    g_unix_signal_add(SIGTERM, quit_on_signal, loop);
    g_main_loop_run(loop);

    spp_power_actions_stop(power);
    listening_server = NULL;
    spice_server_destroy(server);
    spp_spice_glib_core_free(core);
    spp_power_actions_free(power);
    spp_qemu_monitor_free(monitor);
    g_main_loop_unref(loop);
    spp_bridge_options_clear(&opts);
    return 0;
}
