/* A power-channel session: the main channel, retried while the server starts, and the power
 * channels linked into it. */
#include "spp_power.h"

#define RETRY_PAUSE_US 50000

G_DEFINE_QUARK(spp-power-error-quark, spp_power_error)

SppPowerSession *spp_power_session_open(const char *host, int port, const char *password, int retry_ms,
                                        int step_ms, GError **error)
{
    SppPowerSession *session = g_new0(SppPowerSession, 1);
    session->host = g_strdup(host);
    session->port = port;
    gint64 deadline = g_get_monotonic_time() + (gint64)retry_ms * 1000;
    for (;;) {
        session->main_conn = spp_conn_new();
        int st = spp_main_connect(session->main_conn, host, port, password, step_ms, &session->id);
        if (st == SPP_OK)
            return session;
        /* Only a refused connection means "not listening yet"; anything else is the answer. */
        if (st != SPP_ERR_IO || g_get_monotonic_time() > deadline) {
            g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_MAIN_CHANNEL, "main channel of %s:%d: %s", host,
                        port, spp_conn_error(session->main_conn));
            spp_power_session_free(session);
            return NULL;
        }
        spp_conn_free(session->main_conn);
        g_usleep(RETRY_PAUSE_US);
    }
}

void spp_power_session_free(SppPowerSession *session)
{
    if (!session)
        return;
    spp_conn_free(session->main_conn);
    g_free(session->host);
    g_free(session);
}

SppPowerChannel *spp_power_channel_new(void)
{
    SppPowerChannel *channel = g_new0(SppPowerChannel, 1);
    channel->conn = spp_conn_new();
    channel->link_status = SPP_ERR_USAGE; /* not linked yet */
    return channel;
}

void spp_power_channel_free(SppPowerChannel *channel)
{
    if (!channel)
        return;
    spp_conn_free(channel->conn);
    g_free(channel);
}

gboolean spp_power_channel_link(SppPowerChannel *channel, const SppPowerSession *session, uint8_t channel_id,
                                uint32_t caps, const char *password, int timeout_ms, GError **error)
{
    channel->caps = caps;
    channel->link_status = spp_channel_connect(channel->conn, session->host, session->port, session->id,
                                               SPP_CHANNEL_POWER, channel_id, &caps, 1, password, timeout_ms,
                                               &channel->link);
    if (channel->link_status == SPP_OK)
        return TRUE;
    g_set_error(error, SPP_POWER_ERROR, SPP_POWER_ERROR_LINK, "power link: %s", spp_conn_error(channel->conn));
    return FALSE;
}
