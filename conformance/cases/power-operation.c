/* power-channel.md §6.7, §6.8, §9 and §12.5: actions before the link, many actions at once,
 * actions during a migration, and a management plane that goes away and comes back. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "case-list.h"
#include "power.h"

#define PIPELINED_ACTIONS 50
#define CLOSE_MS 3000

/* n RESET messages back to back, as a client would put them on the wire (mini header). */
static GByteArray *resets(guint n)
{
    GByteArray *bytes = g_byte_array_sized_new(n * SPP_MINI_DATA_HEADER_SIZE);
    for (guint i = 0; i < n; i++) {
        guint8 reset[SPP_MINI_DATA_HEADER_SIZE] = {0};
        spp_put_le16(reset, SPP_MSGC_POWER_RESET);
        g_byte_array_append(bytes, reset, sizeof reset);
    }
    return bytes;
}

/* A power link header and message for the session, with the default common caps and none of the
 * channel's, as SPICE frames it (§11.1, §11.2). */
static GByteArray *power_link_message(uint32_t session_id)
{
    guint8 bytes[SPP_LINK_HEADER_SIZE + SPP_LINK_MESS_SIZE + 4] = {0};
    memcpy(bytes, SPP_LINK_MAGIC, 4);
    spp_put_le32(bytes + 4, SPP_VERSION_MAJOR);
    spp_put_le32(bytes + 8, SPP_VERSION_MINOR);
    spp_put_le32(bytes + 12, SPP_LINK_MESS_SIZE + 4);
    guint8 *mess = bytes + SPP_LINK_HEADER_SIZE;
    spp_put_le32(mess, session_id);
    mess[4] = SPP_CHANNEL_POWER;
    spp_put_le32(mess + 6, 1);
    spp_put_le32(mess + 14, SPP_LINK_MESS_SIZE);
    spp_put_le32(mess + SPP_LINK_MESS_SIZE, SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SELECTION) |
                                                SPP_CAP_MASK(SPP_COMMON_CAP_AUTH_SPICE) |
                                                SPP_CAP_MASK(SPP_COMMON_CAP_MINI_HEADER));
    GByteArray *out = g_byte_array_new();
    return g_byte_array_append(out, bytes, sizeof bytes);
}

static void require_closed_without_action(VcPowerTarget *t, const GByteArray *bytes, const char *what)
{
    g_autoptr(SppConn) conn = vc_power_raw_connect(t);
    spp_send_raw(conn, bytes->data, bytes->len, CLOSE_MS);
    VC_REQUIRE(t->ctx, vc_raw_closed_within(t->ctx, conn, CLOSE_MS, NULL),
               VC_REQ(PC, "6.7", "bytes sent before the link completes are a malformed link: the server closes"),
               "%s: the connection stayed open", what);
}

VC_CASE_FN(power, action_before_link_is_not_performed)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_client_session(t);
    if (t->vm)
        g_ptr_array_unref(spp_qmp_client_drain_events(t->vm->qmp));
    /* RESETs where the link header belongs, and RESETs where the ticket belongs. */
    g_autoptr(GByteArray) first = resets(3);
    require_closed_without_action(t, first, "3 RESETs as the first bytes");
    g_autoptr(GByteArray) after_link = power_link_message(c->session->id);
    g_autoptr(GByteArray) more = resets(30);
    g_byte_array_append(after_link, more->data, more->len);
    require_closed_without_action(t, after_link, "a power link message followed by 30 RESETs");
    vc_power_require_vm_untouched(ctx, t->vm, VC_REQ(PC, "6.7", "no action is performed before the link"));
}

/* The i-th pipelined action: RESET and POWERON by turns, so that their answers, OK and
 * INVALID_STATE (§7.4: the machine stays ON), show the order. */
static uint16_t pipelined_action(guint i)
{
    return i % 2 ? SPP_MSGC_POWER_POWERON : SPP_MSGC_POWER_RESET;
}

VC_CASE_FN(power, pipelined_actions_answered_in_order)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, SPP_CAP_MASK(SPP_POWER_CAP_RESULT));
    g_autoptr(GByteArray) burst = g_byte_array_new();
    for (guint i = 0; i < PIPELINED_ACTIONS; i++) {
        guint8 message[SPP_MINI_DATA_HEADER_SIZE] = {0};
        spp_put_le16(message, pipelined_action(i));
        g_byte_array_append(burst, message, sizeof message);
    }
    /* All of them before reading a single reply. */
    vc_power_send_raw(c, burst->data, burst->len);
    const VcCitation *required = VC_REQ(PC, "6.8", "actions are processed one at a time, reports in request order");
    for (guint i = 0; i < PIPELINED_ACTIONS; i++) {
        SppMessage msg = {0};
        int st = vc_power_next(c, &msg, 10000);
        uint16_t request = 0;
        uint32_t code = 0;
        gboolean is_result = st == SPP_OK && spp_power_read_result(&msg, &request, &code, NULL);
        spp_message_clear(&msg);
        VC_REQUIRE(ctx, st == SPP_OK, VC_REQ(PC, "6.8", "a client that sends quickly is not disconnected"),
                   "after %u of %d RESULTs: %s", i, PIPELINED_ACTIONS, vc_power_error(c));
        uint16_t want = pipelined_action(i);
        uint32_t want_code = want == SPP_MSGC_POWER_RESET ? SPP_POWER_RESULT_OK : SPP_POWER_RESULT_INVALID_STATE;
        VC_REQUIRE(ctx, is_result && request == want && code == want_code, required,
                   "reply %u: %s %u -> %s, expected RESULT %u -> %s", i + 1, is_result ? "RESULT" : "message",
                   request, spp_power_result_name(code), want, spp_power_result_name(want_code));
    }
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_RESET, VC_REQ(PC, "6.8", "the channel stays open"));
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, VC_REQ(PC, "6.8", "the channel keeps serving after a burst"),
               "RESET after the burst: %s", spp_power_result_name(code));
}

/* A unix socket that accepts QEMU's migration stream and never reads it: the migration stays
 * active once the socket's buffers are full. Returns the listening fd. */
static int stalled_migration_socket(VcContext *ctx, const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        vc_broken(ctx, "socket path too long: %s", path);
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0)
        vc_broken(ctx, "cannot listen on %s: %s", path, g_strerror(errno));
    return fd;
}

/* query-migrate's status once it has left "setup" (or after 2 s). */
static char *migration_status(VcVm *vm)
{
    for (int tries = 0;; tries++) {
        g_autoptr(JsonNode) ret = vc_qmp_ok(vm, "query-migrate", NULL, VC_STEP("query-migrate answers"));
        const char *status = json_object_get_string_member_with_default(json_node_get_object(ret), "status", "none");
        if (strcmp(status, "setup") != 0 || tries == 100)
            return g_strdup(status);
        g_usleep(20000);
    }
}

VC_CASE_FN(power, action_during_migration_is_failed)
{
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = vc_power_target_vm(t);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    g_autofree char *path = g_build_filename(spp_launcher_get_tmpdir(vm->launcher), "migration.sock", NULL);
    int listener = stalled_migration_socket(ctx, path);
    g_autofree char *args = g_strdup_printf("{\"uri\": \"unix:%s\"}", path);
    vc_qmp_do(vm, "migrate", args, VC_STEP("migrate starts"));
    g_autofree char *status = migration_status(vm);
    if (strcmp(status, "active") != 0)
        vc_broken(ctx, "the migration is '%s', not active", status);
    g_autoptr(GError) err = NULL;
    uint32_t code = 0;
    gboolean answered = spp_power_channel_act(c->power, SPP_MSGC_POWER_RESET, 5000, &code, &err);
    vc_qmp_attempt(vm, "migrate_cancel", NULL);
    close(listener);
    if (!answered) {
        /* The server may close the channel during migration; the client links again afterwards. */
        VC_REQUIRE(ctx, vc_power_closed_within(c, 1000),
                   VC_REQ(PC, "9", "an action during migration is answered, unless the channel is closed"), "%s",
                   err->message);
        vc_diag(ctx, "migration", "the server closed the power channel during the migration");
        return;
    }
    vc_diag(ctx, "migration", "RESET while the migration was %s: %s", status, spp_power_result_name(code));
    /* §9 is a SHOULD: a server may have its reasons, so a server that performs the action is not a
     * failure, but the report says the recommendation is not followed. */
    if (code == SPP_POWER_RESULT_OK)
        vc_skip(ctx, "power-channel.md §9 (SHOULD) not followed: RESET during an active migration was performed (OK)");
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_FAILED,
               VC_REQ(PC, "9", "an action received during migration SHOULD be answered FAILED"), "RESET: %s",
               spp_power_result_name(code));
}

/* Every action is FAILED while QEMU is gone (§12.5, §7.4 UNKNOWN). */
static void require_all_failed(VcPowerClient *c)
{
    static const uint16_t actions[] = {SPP_MSGC_POWER_RESET, SPP_MSGC_POWER_POWEROFF, SPP_MSGC_POWER_POWERON};
    const VcCitation *required = VC_REQ(PC, "12.5", "every action is answered FAILED while QMP is lost");
    for (size_t i = 0; i < G_N_ELEMENTS(actions); i++) {
        uint32_t code = vc_power_act(c, actions[i], required);
        VC_REQUIRE(c->ctx, code == SPP_POWER_RESULT_FAILED, required, "%s without QEMU: %s",
                   spp_power_action_name(actions[i]), spp_power_result_name(code));
    }
}

VC_CASE_FN(power, qemu_going_away_reports_unknown_and_recovers)
{
    if (vc_options(ctx)->builtin_power)
        vc_skip(ctx, "QEMU is the server here: when QEMU goes away, so does the channel (§12.5 is about a server "
                     "beside QEMU)");
    g_autoptr(VcPowerTarget) t = vc_power_target_start(ctx, &vc_bridge_all_actions);
    VcVm *vm = vc_power_target_vm(t);
    g_autoptr(VcPowerClient) c = vc_power_linked_client(t, VC_STATE_AND_RESULT);
    /* The bridge's QMP socket path, kept: the second QEMU is put behind it. */
    g_autofree char *socket_path = g_strdup(spp_launcher_get_monitor_socket_path(vm->launcher));
    spp_launcher_stop(vm->launcher, 2000);
    int state = vc_power_expect_state(c, 5000, VC_REQ(PC, "12.5", "losing QMP is reported as a STATE change"));
    VC_REQUIRE(ctx, state == SPP_POWER_STATE_UNKNOWN, VC_REQ(PC, "12.5", "without QMP the state is UNKNOWN"),
               "STATE %s after QEMU exited", spp_power_state_name(state));
    require_all_failed(c);
    const VcVmSpec spec = {.wait_boot = TRUE, .second_monitor = TRUE};
    g_autoptr(VcVm) again = vc_vm_start(ctx, &spec);
    unlink(socket_path);
    if (symlink(spp_launcher_get_monitor_socket_path(again->launcher), socket_path) != 0)
        vc_broken(ctx, "cannot link %s: %s", socket_path, g_strerror(errno));
    const VcCitation *reconnects = VC_REQ(PC, "12.5", "the server reconnects when the QMP socket comes back");
    state = vc_power_expect_state(c, 10000, reconnects);
    VC_REQUIRE(ctx, state == SPP_POWER_STATE_ON, reconnects, "STATE %s once QEMU is back", spp_power_state_name(state));
    uint32_t code = vc_power_act(c, SPP_MSGC_POWER_RESET, reconnects);
    VC_REQUIRE(ctx, code == SPP_POWER_RESULT_OK, reconnects, "RESET once QEMU is back: %s",
               spp_power_result_name(code));
    guint32 boot = vc_vm_wait_line(again, SPP_GUEST_BOOT_LINE, 5000, VC_REQ(PC, "7.1", "RESET restarts the guest"));
    VC_REQUIRE(ctx, boot == 2, VC_REQ(PC, "7.1", "RESET restarts the guest once"), "BOOT %u", boot);
}
