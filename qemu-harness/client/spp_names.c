/* Names of link errors and library status codes, for messages. */
#include "spp_client.h"

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

const char *spp_status_name(int status)
{
    switch (status) {
    case SPP_OK: return "ok";
    case SPP_ERR_IO: return "I/O error";
    case SPP_ERR_TIMEOUT: return "timeout";
    case SPP_ERR_CLOSED: return "closed by the server";
    case SPP_ERR_PROTOCOL: return "protocol error";
    case SPP_ERR_LINK: return "link refused";
    case SPP_ERR_AUTH: return "authentication error";
    case SPP_ERR_USAGE: return "usage error";
    }
    return "unknown status";
}
