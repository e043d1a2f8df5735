/* fuzz_power_channel's bridge into spice-server's internal C++ API.
 *
 * A real link costs a fresh RSA-1024 key pair on the server (reds.cpp generates one per link,
 * skip_auth or not), which caps a link-per-input harness at a few hundred exec/s. Everything
 * after the link, however, is what reds.cpp itself does in reds_channel_do_link(): it builds the
 * client's RedChannelCapabilities from the link message and calls RedChannel::connect() with the
 * RedClient of the session and a RedStream on the socket. This file does exactly that, so each
 * input gets a brand-new PowerChannelClient (fresh receive buffer, serial, pipe) of the session
 * the harness linked for real once, over a socket whose client end the harness drives. */
#include <config.h>

#include "reds.h"
#include "reds-private.h"
#include "red-channel.h"
#include "red-channel-client.h"
#include "red-client.h"
#include "red-stream.h"

extern "C" {
int spp_power_channel_connect(SpiceServer *reds, int fd, uint32_t *common_caps, int num_common_caps,
                              uint32_t *caps, int num_caps);
}

int spp_power_channel_connect(SpiceServer *reds, int fd, uint32_t *common_caps, int num_common_caps,
                              uint32_t *caps, int num_caps)
{
    RedChannel *power = reds_find_channel(reds, SPICE_CHANNEL_POWER, 0);
    // the main channel is not in reds' channel list, only in RedsState::main_channel
    RedChannel *main_channel = reds->main_channel.get();
    if (power == nullptr) {
        return -1;
    }
    if (main_channel == nullptr) {
        return -2;
    }
    if (main_channel->get_clients() == nullptr) {
        return -3;
    }
    // the session the harness linked in LLVMFuzzerInitialize (its only client)
    auto mcc = static_cast<RedChannelClient *>(main_channel->get_clients()->data);
    RedClient *client = mcc->get_client();

    RedStream *stream = red_stream_new(reds, fd);
    // the client's caps as reds_channel_do_link() passes them; the channel client copies them
    RedChannelCapabilities rcaps = {num_common_caps, common_caps, num_caps, caps};
    power->connect(client, stream, client->during_migrate_at_target(), &rcaps);
    return 0;
}
