/* Power-channel messages: actions out, STATE and RESULT in, each checked against the layouts of
 * docs/power-channel.md §11. The error texts are what the conformance report shows as "got". */
#include "spp_power.h"

gboolean spp_power_read_state(const SppMessage *msg, int *state, GError **error)
{
    if (msg->size < SPP_MSG_POWER_STATE_SIZE) {
        g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_SHORT, "STATE of %u bytes", msg->size);
        return FALSE;
    }
    *state = msg->data[offsetof(SppMsgPowerState, state)];
    return TRUE;
}

gboolean spp_power_read_result(const SppMessage *msg, uint16_t *request, uint32_t *code, GError **error)
{
    if (msg->size < SPP_MSG_POWER_RESULT_SIZE) {
        g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_SHORT, "RESULT of %u bytes", msg->size);
        return FALSE;
    }
    *request = spp_le16(msg->data + offsetof(SppMsgPowerResult, request));
    *code = spp_le32(msg->data + offsetof(SppMsgPowerResult, code));
    return TRUE;
}

gboolean spp_power_read_notify_what(const SppMessage *msg, uint32_t *what, GError **error)
{
    if (msg->size < SPP_MSG_NOTIFY_SIZE) {
        g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_SHORT, "NOTIFY of %u bytes", msg->size);
        return FALSE;
    }
    *what = spp_le32(msg->data + offsetof(SppMsgNotify, what));
    return TRUE;
}

gboolean spp_power_channel_send(SppPowerChannel *channel, uint16_t type, size_t trailing, GError **error)
{
    g_autofree guint8 *body = g_malloc0(trailing + 1);
    if (spp_send(channel->conn, type, body, (uint32_t)trailing) == SPP_OK)
        return TRUE;
    g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_SEND, "sending message %u: %s", type,
                spp_conn_error(channel->conn));
    return FALSE;
}

int spp_power_channel_expect_state(SppPowerChannel *channel, int timeout_ms, GError **error)
{
    SppMessage msg = {0};
    if (spp_recv_type(channel->conn, SPP_MSG_POWER_STATE, &msg, timeout_ms) != SPP_OK) {
        g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_NO_ANSWER, "no STATE: %s", spp_conn_error(channel->conn));
        return -1;
    }
    int state = -1;
    gboolean ok = spp_power_read_state(&msg, &state, error);
    spp_message_clear(&msg);
    return ok ? state : -1;
}

gboolean spp_power_channel_expect_result(SppPowerChannel *channel, uint16_t action, int timeout_ms, uint32_t *code,
                                         GError **error)
{
    SppMessage msg = {0};
    if (spp_recv_type(channel->conn, SPP_MSG_POWER_RESULT, &msg, timeout_ms) != SPP_OK) {
        g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_NO_ANSWER, "no RESULT for message %u: %s", action,
                    spp_conn_error(channel->conn));
        return FALSE;
    }
    uint16_t request = 0;
    gboolean ok = spp_power_read_result(&msg, &request, code, error);
    spp_message_clear(&msg);
    if (ok && request != action) {
        g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_WRONG_REQUEST, "RESULT for request %u after sending %u",
                    request, action);
        return FALSE;
    }
    return ok;
}

gboolean spp_power_channel_act(SppPowerChannel *channel, uint16_t action, int timeout_ms, uint32_t *code,
                               GError **error)
{
    return spp_power_channel_send(channel, action, 0, error) &&
           spp_power_channel_expect_result(channel, action, timeout_ms, code, error);
}
