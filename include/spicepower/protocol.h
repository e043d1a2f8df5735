/* Wire constants of the SPICE power channel and the slice of base SPICE it rides on.
 *
 * docs/power-channel.md is normative; this header is its C transcription for the
 * conformance runner, the bridge, the client library and the fuzzers. The spec test
 * (docs/check) parses the spec's tables and compares them with every value here, so
 * a change to one without the other fails ctest.
 *
 * All multi-byte fields are little-endian on the wire. The packed structs describe
 * layout only: read fields through the spp_le* helpers, never by casting a buffer on
 * a big-endian host. */
#ifndef SPICEPOWER_PROTOCOL_H
#define SPICEPOWER_PROTOCOL_H

#include <stdint.h>
#include <string.h>

/* §2.1 Channel types, §2.2 channel id */
enum {
    SPP_CHANNEL_MAIN = 1,
    SPP_CHANNEL_DISPLAY = 2,
    SPP_CHANNEL_INPUTS = 3,
    SPP_CHANNEL_CURSOR = 4,
    SPP_CHANNEL_PLAYBACK = 5,
    SPP_CHANNEL_RECORD = 6,
    SPP_CHANNEL_TUNNEL = 7,
    SPP_CHANNEL_SMARTCARD = 8,
    SPP_CHANNEL_USBREDIR = 9,
    SPP_CHANNEL_PORT = 10,
    SPP_CHANNEL_WEBDAV = 11,
    SPP_CHANNEL_POWER = 12,
};
#define SPP_POWER_CHANNEL_ID 0

/* §3.1 Link header */
#define SPP_LINK_MAGIC "REDQ"
#define SPP_LINK_MAGIC_U32 0x51444552u /* "REDQ" read as a little-endian u32 */
#define SPP_VERSION_MAJOR 2
#define SPP_VERSION_MINOR 2

/* §3.3 Common capabilities (bit indices) */
enum {
    SPP_COMMON_CAP_AUTH_SELECTION = 0,
    SPP_COMMON_CAP_AUTH_SPICE = 1,
    SPP_COMMON_CAP_AUTH_SASL = 2,
    SPP_COMMON_CAP_MINI_HEADER = 3,
};

/* §4.1 Power channel capabilities (bit indices in the channel caps words) */
enum {
    SPP_POWER_CAP_RESERVED = 0,
    SPP_POWER_CAP_RESET = 1,
    SPP_POWER_CAP_POWEROFF = 2,
    SPP_POWER_CAP_POWERON = 3,
    SPP_POWER_CAP_STATE = 4,
    SPP_POWER_CAP_RESULT = 5,
};
#define SPP_CAP_MASK(bit) (UINT32_C(1) << (bit))

/* §3.4 Authentication */
enum {
    SPP_AUTH_MECHANISM_SPICE = 1,
    SPP_AUTH_MECHANISM_SASL = 2,
};
#define SPP_TICKET_PUBKEY_BYTES 162
#define SPP_TICKET_ENCRYPTED_BYTES 128
#define SPP_TICKET_PASSWORD_MAX 60

/* §3.2 Link errors (SpiceLinkReply.error and the u32 link result) */
enum {
    SPP_LINK_ERR_OK = 0,
    SPP_LINK_ERR_ERROR = 1,
    SPP_LINK_ERR_INVALID_MAGIC = 2,
    SPP_LINK_ERR_INVALID_DATA = 3,
    SPP_LINK_ERR_VERSION_MISMATCH = 4,
    SPP_LINK_ERR_NEED_SECURED = 5,
    SPP_LINK_ERR_NEED_UNSECURED = 6,
    SPP_LINK_ERR_PERMISSION_DENIED = 7,
    SPP_LINK_ERR_BAD_CONNECTION_ID = 8,
    SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE = 9,
};

/* §3.6 Base messages, server to client */
enum {
    SPP_MSG_MIGRATE = 1,
    SPP_MSG_MIGRATE_DATA = 2,
    SPP_MSG_SET_ACK = 3,
    SPP_MSG_PING = 4,
    SPP_MSG_WAIT_FOR_CHANNELS = 5,
    SPP_MSG_DISCONNECTING = 6,
    SPP_MSG_NOTIFY = 7,
    SPP_MSG_LIST = 8,
};

/* §3.6 Base messages, client to server */
enum {
    SPP_MSGC_ACK_SYNC = 1,
    SPP_MSGC_ACK = 2,
    SPP_MSGC_PONG = 3,
    SPP_MSGC_MIGRATE_FLUSH_MARK = 4,
    SPP_MSGC_MIGRATE_DATA = 5,
    SPP_MSGC_DISCONNECTING = 6,
};

/* Main channel: the first u32 of MAIN_INIT is the session id non-main channels link with. */
#define SPP_MSG_MAIN_INIT 103
#define SPP_MSGC_MAIN_ATTACH_CHANNELS 104
/* The answer to ATTACH_CHANNELS: u32 count, then count x {u8 type, u8 id}: what the server offers. */
#define SPP_MSG_MAIN_CHANNELS_LIST 104

/* §5.1 Power channel, client to server */
enum {
    SPP_MSGC_POWER_RESET = 101,
    SPP_MSGC_POWER_POWEROFF = 102,
    SPP_MSGC_POWER_POWERON = 103,
};

/* §5.2 Power channel, server to client */
enum {
    SPP_MSG_POWER_STATE = 101,
    SPP_MSG_POWER_RESULT = 102,
};

/* §5.3 Power states */
enum {
    SPP_POWER_STATE_UNKNOWN = 0,
    SPP_POWER_STATE_ON = 1,
    SPP_POWER_STATE_OFF = 2,
    SPP_POWER_STATE_PAUSED = 3,
};

/* §5.4 Result codes (RESULT.code, and NOTIFY.what without the RESULT cap) */
enum {
    SPP_POWER_RESULT_OK = 0,
    SPP_POWER_RESULT_UNSUPPORTED = 1,
    SPP_POWER_RESULT_FAILED = 2,
    SPP_POWER_RESULT_DENIED = 3,
    SPP_POWER_RESULT_INVALID_STATE = 4,
};

/* §6.4 NOTIFY severity and visibility */
enum {
    SPP_NOTIFY_SEVERITY_INFO = 0,
    SPP_NOTIFY_SEVERITY_WARN = 1,
    SPP_NOTIFY_SEVERITY_ERROR = 2,
};
enum {
    SPP_NOTIFY_VISIBILITY_LOW = 0,
    SPP_NOTIFY_VISIBILITY_MEDIUM = 1,
    SPP_NOTIFY_VISIBILITY_HIGH = 2,
};

/* Layouts. Sizes are checked below and, by the spec test, against the spec's diagrams. */
#pragma pack(push, 1)
typedef struct {
    uint8_t magic[4];
    uint32_t major_version;
    uint32_t minor_version;
    uint32_t size; /* bytes that follow this header */
} SppLinkHeader;

typedef struct {
    uint32_t connection_id;
    uint8_t channel_type;
    uint8_t channel_id;
    uint32_t num_common_caps;
    uint32_t num_channel_caps;
    uint32_t caps_offset; /* from the start of this struct */
} SppLinkMess;

typedef struct {
    uint32_t error;
    uint8_t pub_key[SPP_TICKET_PUBKEY_BYTES];
    uint32_t num_common_caps;
    uint32_t num_channel_caps;
    uint32_t caps_offset;
} SppLinkReply;

typedef struct {
    uint64_t serial;
    uint16_t type;
    uint32_t size;
    uint32_t sub_list;
} SppDataHeader;

typedef struct {
    uint16_t type;
    uint32_t size;
} SppMiniDataHeader;

typedef struct {
    uint32_t generation;
    uint32_t window;
} SppMsgSetAck;

typedef struct {
    uint32_t id;
    uint64_t timestamp;
} SppMsgPing; /* optional payload follows */

typedef struct {
    uint64_t time_stamp;
    uint32_t severity;
    uint32_t visibility;
    uint32_t what;
    uint32_t message_len;
} SppMsgNotify; /* message_len bytes of text follow, then a NUL */

typedef struct {
    uint8_t state;
} SppMsgPowerState;

typedef struct {
    uint16_t request;
    uint32_t code;
} SppMsgPowerResult;
#pragma pack(pop)

#define SPP_LINK_HEADER_SIZE 16
#define SPP_LINK_MESS_SIZE 18
#define SPP_LINK_REPLY_SIZE 178
#define SPP_DATA_HEADER_SIZE 18
#define SPP_MINI_DATA_HEADER_SIZE 6
#define SPP_MSG_SET_ACK_SIZE 8
#define SPP_MSG_PING_SIZE 12
#define SPP_MSG_NOTIFY_SIZE 24
#define SPP_MSG_POWER_STATE_SIZE 1
#define SPP_MSG_POWER_RESULT_SIZE 6

/* §3.1 link message limits */
#define SPP_LINK_MESS_MIN_SIZE 18
#define SPP_LINK_MESS_MAX_SIZE 4096
#define SPP_LINK_MAX_CAP_WORDS 1024

_Static_assert(sizeof(SppLinkHeader) == SPP_LINK_HEADER_SIZE, "SpiceLinkHeader is 16 bytes");
_Static_assert(sizeof(SppLinkMess) == SPP_LINK_MESS_SIZE, "SpiceLinkMess is 18 bytes");
_Static_assert(sizeof(SppLinkReply) == SPP_LINK_REPLY_SIZE, "SpiceLinkReply is 178 bytes");
_Static_assert(sizeof(SppDataHeader) == SPP_DATA_HEADER_SIZE, "full data header is 18 bytes");
_Static_assert(sizeof(SppMiniDataHeader) == SPP_MINI_DATA_HEADER_SIZE, "mini header is 6 bytes");
_Static_assert(sizeof(SppMsgSetAck) == SPP_MSG_SET_ACK_SIZE, "SET_ACK body is 8 bytes");
_Static_assert(sizeof(SppMsgPing) == SPP_MSG_PING_SIZE, "PING fixed body is 12 bytes");
_Static_assert(sizeof(SppMsgNotify) == SPP_MSG_NOTIFY_SIZE, "NOTIFY fixed body is 24 bytes");
_Static_assert(sizeof(SppMsgPowerState) == SPP_MSG_POWER_STATE_SIZE, "STATE body is 1 byte");
_Static_assert(sizeof(SppMsgPowerResult) == SPP_MSG_POWER_RESULT_SIZE, "RESULT body is 6 bytes");

/* Little-endian accessors: the only way our code reads or writes wire integers. */
static inline uint16_t spp_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t spp_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t spp_le64(const uint8_t *p)
{
    return (uint64_t)spp_le32(p) | (uint64_t)spp_le32(p + 4) << 32;
}
static inline void spp_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void spp_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void spp_put_le64(uint8_t *p, uint64_t v)
{
    spp_put_le32(p, (uint32_t)v);
    spp_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Capability words: bit n lives in word n/32, mask 1 << (n%32). */
static inline int spp_caps_test(const uint32_t *words, uint32_t num_words, unsigned bit)
{
    return bit / 32 < num_words && (words[bit / 32] >> (bit % 32)) & 1u;
}

#endif /* SPICEPOWER_PROTOCOL_H */
