/* Session bring-up: the main channel (MAIN_INIT gives the session id, then
 * ATTACH_CHANNELS) and linking further channels of that session. */
#include <string.h>

#include "spp_conn_private.h"

int spp_main_connect(SppConn *conn, const char *host, int port, const char *password,
                     int timeout_ms, uint32_t *session_id)
{
    if (timeout_ms == 0)
        timeout_ms = SPP_DEFAULT_TIMEOUT_MS;
    int st = spp_conn_connect(conn, host, port, timeout_ms);
    if (st != SPP_OK)
        return st;
    SppLinkParams params;
    spp_link_params_init(&params, SPP_CHANNEL_MAIN, 0);
    params.password = password;
    params.timeout_ms = timeout_ms;
    st = spp_link(conn, &params, NULL);
    if (st != SPP_OK)
        return spp_fail(conn, st, "main channel: %s", conn->error);

    SppMessage init;
    st = spp_recv_type(conn, SPP_MSG_MAIN_INIT, &init, timeout_ms);
    if (st != SPP_OK)
        return spp_fail(conn, st, "main channel: waiting for MAIN_INIT: %s", conn->error);
    if (init.size < 4) {
        spp_message_clear(&init);
        return spp_fail(conn, SPP_ERR_PROTOCOL, "main channel: MAIN_INIT of %u bytes", init.size);
    }
    if (session_id)
        *session_id = spp_le32(init.data);
    spp_message_clear(&init);

    st = spp_send(conn, SPP_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    if (st != SPP_OK)
        return spp_fail(conn, st, "main channel: ATTACH_CHANNELS: %s", conn->error);
    return SPP_OK;
}

int spp_main_channels_list(SppConn *conn, int timeout_ms, uint8_t *channels, uint32_t max, uint32_t *count)
{
    if (timeout_ms == 0)
        timeout_ms = SPP_DEFAULT_TIMEOUT_MS;
    SppMessage list;
    int st = spp_recv_type(conn, SPP_MSG_MAIN_CHANNELS_LIST, &list, timeout_ms);
    if (st != SPP_OK)
        return spp_fail(conn, st, "main channel: waiting for CHANNELS_LIST: %s", conn->error);
    uint32_t n = list.size >= 4 ? spp_le32(list.data) : 0;
    if (list.size < 4 || (uint64_t)n * 2 > list.size - 4) {
        spp_message_clear(&list);
        return spp_fail(conn, SPP_ERR_PROTOCOL, "main channel: CHANNELS_LIST of %u bytes lists %u channels",
                        list.size, n);
    }
    for (uint32_t i = 0; i < n && i < max; i++) {
        channels[2 * i] = list.data[4 + 2 * i];
        channels[2 * i + 1] = list.data[5 + 2 * i];
    }
    *count = n;
    spp_message_clear(&list);
    return SPP_OK;
}

int spp_channel_connect(SppConn *conn, const char *host, int port, uint32_t session_id,
                        uint8_t channel_type, uint8_t channel_id, const uint32_t *channel_caps,
                        uint32_t num_channel_caps, const char *password, int timeout_ms,
                        SppLinkInfo *info)
{
    if (timeout_ms == 0)
        timeout_ms = SPP_DEFAULT_TIMEOUT_MS;
    int st = spp_conn_connect(conn, host, port, timeout_ms);
    if (st != SPP_OK)
        return st;
    SppLinkParams params;
    spp_link_params_init(&params, channel_type, channel_id);
    params.connection_id = session_id;
    params.channel_caps = channel_caps;
    params.num_channel_caps = num_channel_caps;
    params.password = password;
    params.timeout_ms = timeout_ms;
    return spp_link(conn, &params, info);
}
