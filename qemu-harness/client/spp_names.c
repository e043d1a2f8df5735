/* Names of protocol values, for messages and logs (see spp_names.h). */
#include "spp_names.h"

const char *spp_link_error_name(uint32_t error)
{
    switch (error) {
    case SPP_LINK_ERR_OK: return "OK";
    case SPP_LINK_ERR_ERROR: return "ERROR";
    case SPP_LINK_ERR_INVALID_MAGIC: return "INVALID_MAGIC";
    case SPP_LINK_ERR_INVALID_DATA: return "INVALID_DATA";
    case SPP_LINK_ERR_VERSION_MISMATCH: return "VERSION_MISMATCH";
    case SPP_LINK_ERR_NEED_SECURED: return "NEED_SECURED";
    case SPP_LINK_ERR_NEED_UNSECURED: return "NEED_UNSECURED";
    case SPP_LINK_ERR_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case SPP_LINK_ERR_BAD_CONNECTION_ID: return "BAD_CONNECTION_ID";
    case SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE: return "CHANNEL_NOT_AVAILABLE";
    }
    return "unknown link error";
}

const char *spp_power_state_name(int state)
{
    switch (state) {
    case SPP_POWER_STATE_UNKNOWN: return "UNKNOWN";
    case SPP_POWER_STATE_ON: return "ON";
    case SPP_POWER_STATE_OFF: return "OFF";
    case SPP_POWER_STATE_PAUSED: return "PAUSED";
    }
    return "?";
}

const char *spp_power_result_name(uint32_t code)
{
    switch (code) {
    case SPP_POWER_RESULT_OK: return "OK";
    case SPP_POWER_RESULT_UNSUPPORTED: return "UNSUPPORTED";
    case SPP_POWER_RESULT_FAILED: return "FAILED";
    case SPP_POWER_RESULT_DENIED: return "DENIED";
    case SPP_POWER_RESULT_INVALID_STATE: return "INVALID_STATE";
    }
    return "?";
}

const char *spp_power_action_name(uint16_t type)
{
    switch (type) {
    case SPP_MSGC_POWER_RESET: return "RESET";
    case SPP_MSGC_POWER_POWEROFF: return "POWEROFF";
    case SPP_MSGC_POWER_POWERON: return "POWERON";
    }
    return "?";
}

const char *spp_channel_type_name(uint8_t type)
{
    switch (type) {
    case SPP_CHANNEL_MAIN: return "main";
    case SPP_CHANNEL_DISPLAY: return "display";
    case SPP_CHANNEL_INPUTS: return "inputs";
    case SPP_CHANNEL_CURSOR: return "cursor";
    case SPP_CHANNEL_PLAYBACK: return "playback";
    case SPP_CHANNEL_RECORD: return "record";
    case SPP_CHANNEL_TUNNEL: return "tunnel";
    case SPP_CHANNEL_SMARTCARD: return "smartcard";
    case SPP_CHANNEL_USBREDIR: return "usbredir";
    case SPP_CHANNEL_PORT: return "port";
    case SPP_CHANNEL_WEBDAV: return "webdav";
    case SPP_CHANNEL_POWER: return "power";
    }
    return "?";
}
