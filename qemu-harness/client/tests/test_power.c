/* spp_names and spp_power without a server: every name table is bounded, the STATE, RESULT and
 * NOTIFY readers check the length before they read, and a bridge that ends at once is reported
 * as such instead of being waited for. */
#include <string.h>

#include "spp_bridge_process.h"
#include "spp_power.h"

static void test_names_are_bounded(void)
{
    g_assert_cmpstr(spp_power_state_name(SPP_POWER_STATE_UNKNOWN), ==, "UNKNOWN");
    g_assert_cmpstr(spp_power_state_name(SPP_POWER_STATE_PAUSED), ==, "PAUSED");
    g_assert_cmpstr(spp_power_state_name(4), ==, "?");
    g_assert_cmpstr(spp_power_state_name(-1), ==, "?");
    g_assert_cmpstr(spp_power_result_name(SPP_POWER_RESULT_OK), ==, "OK");
    g_assert_cmpstr(spp_power_result_name(SPP_POWER_RESULT_INVALID_STATE), ==, "INVALID_STATE");
    g_assert_cmpstr(spp_power_result_name(5), ==, "?");
    g_assert_cmpstr(spp_power_result_name(UINT32_MAX), ==, "?");
    g_assert_cmpstr(spp_power_action_name(SPP_MSGC_POWER_RESET), ==, "RESET");
    g_assert_cmpstr(spp_power_action_name(SPP_MSGC_POWER_POWERON), ==, "POWERON");
    g_assert_cmpstr(spp_power_action_name(150), ==, "?");
    g_assert_cmpstr(spp_link_error_name(SPP_LINK_ERR_PERMISSION_DENIED), ==, "PERMISSION_DENIED");
    g_assert_cmpstr(spp_link_error_name(99), ==, "unknown link error");
}

static void test_readers_check_length(void)
{
    uint8_t body[SPP_MSG_NOTIFY_SIZE] = {0};
    spp_put_le16(body, SPP_MSGC_POWER_POWEROFF);
    spp_put_le32(body + 2, SPP_POWER_RESULT_INVALID_STATE);
    SppMessage msg = {.type = SPP_MSG_POWER_RESULT, .size = SPP_MSG_POWER_RESULT_SIZE, .data = body};
    uint16_t request = 0;
    uint32_t code = 0;
    g_autoptr(GError) err = NULL;
    g_assert_true(spp_power_read_result(&msg, &request, &code, &err));
    g_assert_cmpuint(request, ==, SPP_MSGC_POWER_POWEROFF);
    g_assert_cmpuint(code, ==, SPP_POWER_RESULT_INVALID_STATE);

    msg.size = SPP_MSG_POWER_RESULT_SIZE - 1;
    g_assert_false(spp_power_read_result(&msg, &request, &code, &err));
    g_assert_error(err, SPP_POWER_ERROR, SPP_POWER_ERROR_SHORT);
    g_assert_cmpstr(err->message, ==, "RESULT of 5 bytes");
    g_clear_error(&err);

    int state = -1;
    msg.size = 0;
    g_assert_false(spp_power_read_state(&msg, &state, &err));
    g_assert_error(err, SPP_POWER_ERROR, SPP_POWER_ERROR_SHORT);
    g_clear_error(&err);
    body[0] = SPP_POWER_STATE_OFF;
    msg.size = SPP_MSG_POWER_STATE_SIZE;
    g_assert_true(spp_power_read_state(&msg, &state, &err));
    g_assert_cmpint(state, ==, SPP_POWER_STATE_OFF);

    uint32_t what = 0;
    memset(body, 0, sizeof body);
    spp_put_le32(body + offsetof(SppMsgNotify, what), SPP_POWER_RESULT_UNSUPPORTED);
    msg.size = SPP_MSG_NOTIFY_SIZE - 1;
    g_assert_false(spp_power_read_notify_what(&msg, &what, &err));
    g_assert_error(err, SPP_POWER_ERROR, SPP_POWER_ERROR_SHORT);
    g_clear_error(&err);
    msg.size = SPP_MSG_NOTIFY_SIZE;
    g_assert_true(spp_power_read_notify_what(&msg, &what, &err));
    g_assert_cmpuint(what, ==, SPP_POWER_RESULT_UNSUPPORTED);
}

/* /bin/false stands in for a bridge that refuses its command line. */
static void test_bridge_that_exits_is_reported(void)
{
    const SppBridgeProcessSpec spec = {.path = "/bin/false", .qmp_socket = "/nonexistent", .password = "pw"};
    g_autoptr(GError) err = NULL;
    gint64 start = g_get_monotonic_time();
    g_autoptr(SppBridgeProcess) bridge = spp_bridge_process_start(&spec, &err);
    g_assert_null(bridge);
    g_assert_error(err, SPP_BRIDGE_PROCESS_ERROR, SPP_BRIDGE_PROCESS_ERROR_EXITED);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/spp-power/names-are-bounded", test_names_are_bounded);
    g_test_add_func("/spp-power/readers-check-length", test_readers_check_length);
    g_test_add_func("/spp-power/bridge-that-exits-is-reported", test_bridge_that_exits_is_reported);
    return g_test_run();
}
