/* spice-power-bridge end to end: real QEMU (launcher, our guest), the real bridge process, and a
 * real SPICE client handshake over loopback (spp_power). Each test path starts its own QEMU and
 * bridge. Outcomes are checked where they happen: on the guest's serial, on a second QMP monitor,
 * and in the power channel's STATE and RESULT messages (spp_power checks their layout). */
#include <arpa/inet.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge-rig.h"
#include "guest.h"

static gboolean is_host_reset(const SppQmpEvent *ev, gpointer unused)
{
    (void)unused;
    JsonObject *d = json_node_get_object(ev->data);
    return g_strcmp0(json_object_get_string_member_with_default(d, "reason", ""), "host-qmp-system-reset") == 0;
}

static void test_caps_and_initial_state(void)
{
    Rig *rig = rig_new(ALL_ACTIONS);
    for (unsigned cap = SPP_POWER_CAP_RESET; cap <= SPP_POWER_CAP_RESULT; cap++)
        g_assert_true(spp_link_info_has_channel_cap(&rig->power->link, cap));
    g_assert_false(spp_link_info_has_channel_cap(&rig->power->link, SPP_POWER_CAP_RESERVED));
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    rig_free(rig);
}

static void test_reset_reboots_guest(void)
{
    Rig *rig = rig_new(ALL_ACTIONS);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) ev = spp_qmp_client_wait_event(rig->monitor, "RESET", is_host_reset, NULL, 5000, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ev);
    g_autofree char *boot = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_BOOT_LINE, 5000, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(boot, ==, "BOOT 2");
    rig_free(rig);
}

static void test_poweroff_then_poweron(void)
{
    Rig *rig = rig_new(ALL_ACTIONS);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_OK);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_OFF);
    /* Off: no guest output for a second. Lines already buffered are consumed first (by waiting
     * for a prefix no line has). */
    g_autoptr(GError) err = NULL;
    g_free(spp_launcher_serial_wait_line(rig->qemu, "\001", 200, NULL));
    g_autofree char *tick = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_TICK_LINE, 1000, &err);
    g_assert_null(tick);
    g_assert_error(err, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_TIMEOUT);
    g_clear_error(&err);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_INVALID_STATE);

    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWERON), ==, SPP_POWER_RESULT_OK);
    g_autofree char *boot = spp_launcher_serial_wait_line(rig->qemu, SPP_GUEST_BOOT_LINE, 5000, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(boot, ==, "BOOT 2");
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    rig_free(rig);
}

static void test_unannounced_action_sends_no_qmp(void)
{
    Rig *rig = rig_new("reset");
    g_assert_false(spp_link_info_has_channel_cap(&rig->power->link, SPP_POWER_CAP_POWEROFF));
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_UNSUPPORTED);
    /* A POWEROFF would have stopped the VM: the second monitor must see no STOP. */
    g_autoptr(GError) err = NULL;
    g_autoptr(SppQmpEvent) stop = spp_qmp_client_wait_event(rig->monitor, "STOP", NULL, NULL, 500, &err);
    g_assert_null(stop);
    g_autoptr(JsonNode) status = spp_qmp_client_execute(rig->monitor, "query-status", NULL, 5000, NULL);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(status), "status"), ==, "running");
    rig_free(rig);
}

/* A main-channel link message from a client that is gone before the reply: spice-server writes
 * its reply in several write()s, and the second used to raise SIGPIPE and end the bridge. */
static void link_and_close(int port)
{
    static const guint8 link[] = {
        'R', 'E', 'D', 'Q', 2, 0, 0, 0, 2, 0, 0, 0, 22, 0, 0, 0, /* header: version 2.2, 22 bytes */
        0, 0, 0, 0, SPP_CHANNEL_MAIN, 0,                            /* new session, main channel 0 */
        1, 0, 0, 0, 0, 0, 0, 0, 18, 0, 0, 0,                        /* 1 common cap word at 18 */
        0x0b, 0, 0, 0,                                              /* auth selection, SPICE, mini */
    };
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
    g_assert_cmpint(send(fd, link, sizeof link, MSG_NOSIGNAL), ==, (gssize)sizeof link);
    close(fd);
}

static void test_client_gone_before_link_reply(void)
{
    Rig *rig = rig_new_with(ALL_ACTIONS, NULL, FALSE);
    for (int i = 0; i <= 20; i++) {
        g_usleep(20000);
        g_autoptr(GError) err = NULL;
        spp_bridge_process_running(rig->bridge, &err);
        g_assert_no_error(err); /* not "killed by signal 13" */
        if (i < 20)
            link_and_close(spp_bridge_process_port(rig->bridge));
    }
    rig_connect_client(rig);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    rig_free(rig);
}

static void test_qemu_gone_then_back(void)
{
    Rig *rig = rig_new(ALL_ACTIONS);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    spp_qmp_client_free(rig->monitor);
    rig->monitor = NULL;
    spp_launcher_free(rig->qemu);
    rig->qemu = NULL;
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_UNKNOWN);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_FAILED);

    rig->qemu = rig_start_qemu();
    rig_attach_monitor(rig);
    rig_point_qmp_symlink_at(rig, spp_launcher_get_qmp_socket_path(rig->qemu));
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    rig_free(rig);
}

/* A throwaway CA and server certificate for the TLS test, made with the openssl tool. */
static char *make_certs(void)
{
    char *dir = g_dir_make_tmp("bridge-tls-XXXXXX", NULL);
    g_autofree char *script = g_strdup_printf(
        "set -e; cd '%s';"
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca-key.pem -out ca-cert.pem;"
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server-key.pem -out server.csr;"
        "openssl x509 -req -days 1 -in server.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem",
        dir);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    int status;
    g_autoptr(GError) err = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, NULL, NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    return dir;
}

static void remove_certs(const char *certs)
{
    const char *files[] = {"ca-cert.pem", "ca-key.pem", "server-cert.pem", "server-key.pem", "server.csr",
                           "ca-cert.srl"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *f = g_build_filename(certs, files[i], NULL);
        g_unlink(f);
    }
    g_rmdir(certs);
}

/* A bridge that also listens for TLS and requires it on the channel named tls_channel; no client. */
static Rig *rig_with_tls(const char *certs, const char *tls_channel)
{
    g_autofree char *ca = g_build_filename(certs, "ca-cert.pem", NULL);
    g_autofree char *cert = g_build_filename(certs, "server-cert.pem", NULL);
    g_autofree char *key = g_build_filename(certs, "server-key.pem", NULL);
    g_autofree char *tls_port = g_strdup_printf("%d", spp_free_loopback_port());
    const char *extra[] = {"--tls-port", tls_port, "--x509-cacert-file", ca, "--x509-cert-file", cert,
                           "--x509-key-file", key, "--tls-channel", tls_channel, NULL};
    return rig_new_with(ALL_ACTIONS, extra, FALSE);
}

/* --tls-channel power: a plain link to the power channel is refused with NEED_SECURED, while the
 * main channel still links in plain text (power-channel.md §8.1). */
static void test_tls_channel_power(void)
{
    g_autofree char *certs = make_certs();
    Rig *rig = rig_with_tls(certs, "power");
    rig_connect_main(rig);
    g_assert_false(rig_connect_power(rig, SPP_CAP_MASK(SPP_POWER_CAP_STATE)));
    g_assert_cmpint(rig->power->link_status, ==, SPP_ERR_LINK);
    g_assert_true(rig->power->link.reply_received);
    g_assert_cmpuint(rig->power->link.error, ==, SPP_LINK_ERR_NEED_SECURED);
    rig_free(rig);
    remove_certs(certs);
}

/* --tls-channel default (as QEMU spells it): every channel, main included, needs TLS, so the ticket
 * never crosses a plaintext link whose public key an attacker could replace (power-channel.md §8.6). */
static void test_tls_channel_default(void)
{
    g_autofree char *certs = make_certs();
    Rig *rig = rig_with_tls(certs, "default");
    SppConn *conn = spp_conn_new();
    g_assert_cmpint(spp_conn_connect(conn, "127.0.0.1", spp_bridge_process_port(rig->bridge), STEP_MS), ==, SPP_OK);
    SppLinkParams params;
    spp_link_params_init(&params, SPP_CHANNEL_MAIN, 0);
    params.timeout_ms = STEP_MS;
    SppLinkInfo info = {0};
    g_assert_cmpint(spp_link(conn, &params, &info), ==, SPP_ERR_LINK);
    g_assert_true(info.reply_received);
    g_assert_cmpuint(info.error, ==, SPP_LINK_ERR_NEED_SECURED);
    spp_conn_free(conn);
    rig_free(rig);
    remove_certs(certs);
}

/* "127.0.0.1:PORT" of the client's end of its power channel, as spice-server names the peer. */
static char *power_channel_peer(Rig *rig)
{
    struct sockaddr_in local;
    socklen_t length = sizeof local;
    g_assert_cmpint(getsockname(spp_conn_fd(rig->power->conn), (struct sockaddr *)&local, &length), ==, 0);
    return g_strdup_printf("127.0.0.1:%u", ntohs(local.sin_port));
}

/* The bridge's log lines about actions ("spice-power-bridge: RESET -> OK (...)"), in order. */
static GPtrArray *action_lines(Rig *rig)
{
    g_autofree char *log = rig_log(rig);
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    for (char **line = lines; *line; line++)
        if (g_str_has_prefix(*line, "spice-power-bridge: ") && strstr(*line, " -> "))
            g_ptr_array_add(found, g_strdup(*line));
    return found;
}

/* Every action of a client is logged on exactly one line naming the client, the action and the
 * result: those spice-server refuses itself (UNSUPPORTED, INVALID_STATE) and those that fail
 * without QEMU, as well as those QEMU carries out. */
static void test_reported_one_line_per_action(void)
{
    Rig *rig = rig_new("reset,poweroff");
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_ON);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWERON), ==, SPP_POWER_RESULT_UNSUPPORTED);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_OK);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_OK);
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_OFF);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_POWEROFF), ==, SPP_POWER_RESULT_INVALID_STATE);
    spp_qmp_client_free(g_steal_pointer(&rig->monitor));
    spp_launcher_free(g_steal_pointer(&rig->qemu));
    g_assert_cmpint(rig_expect_state(rig), ==, SPP_POWER_STATE_UNKNOWN);
    g_assert_cmpuint(rig_act(rig, SPP_MSGC_POWER_RESET), ==, SPP_POWER_RESULT_FAILED);
    /* spice-server sends the RESULT before it reports it: the last line may follow the RESULT. Once
     * the bridge has exited, the log is complete. */
    spp_bridge_process_stop(g_steal_pointer(&rig->bridge));

    g_autofree char *peer = power_channel_peer(rig);
    g_autofree char *who = g_strdup_printf("(client %s, tls no, connection %u", peer, rig->session->id);
    /* The action and result, then who asked, then what the bridge did: nothing for the actions
     * spice-server answered, the QMP commands, their time and the error for the others. */
    const char *const expected[][3] = {
        {"POWERON -> UNSUPPORTED", ")", ")"},
        {"RESET -> OK", "; query-migrate + system_reset, ", " ms)"},
        {"POWEROFF -> OK", "; query-migrate + stop + system_reset, ", " ms)"},
        {"POWEROFF -> INVALID_STATE", ")", ")"},
        {"RESET -> FAILED", "; query-migrate, ", " ms: QEMU is not connected)"},
    };
    g_autoptr(GPtrArray) lines = action_lines(rig);
    g_assert_cmpuint(lines->len, ==, G_N_ELEMENTS(expected));
    for (guint i = 0; i < lines->len; i++) {
        g_autofree char *head = g_strdup_printf("spice-power-bridge: %s %s", expected[i][0], who);
        const char *line = lines->pdata[i];
        if (!g_str_has_prefix(line, head) || !g_str_has_prefix(line + strlen(head), expected[i][1]) ||
            !g_str_has_suffix(line, expected[i][2]))
            g_error("line %u: \"%s\" is not \"%s%s...%s\"", i, line, head, expected[i][1], expected[i][2]);
    }
    rig_free(rig);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bridge/caps-and-initial-state", test_caps_and_initial_state);
    g_test_add_func("/bridge/reset-reboots-guest", test_reset_reboots_guest);
    g_test_add_func("/bridge/poweroff-then-poweron", test_poweroff_then_poweron);
    g_test_add_func("/bridge/unannounced-action-sends-no-qmp", test_unannounced_action_sends_no_qmp);
    g_test_add_func("/bridge/qemu-gone-then-back", test_qemu_gone_then_back);
    g_test_add_func("/bridge/client-gone-before-link-reply", test_client_gone_before_link_reply);
    g_test_add_func("/bridge/tls-channel-power", test_tls_channel_power);
    g_test_add_func("/bridge/tls-channel-default", test_tls_channel_default);
    g_test_add_func("/bridge/reported-one-line-per-action", test_reported_one_line_per_action);
    return g_test_run();
}
