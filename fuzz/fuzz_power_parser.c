/* libFuzzer target: spice-common's generated demarshallers for the power channel (type 12).
 *
 * Both directions:
 *   - client -> server: spice_get_client_channel_parser(SPICE_CHANNEL_POWER), the parser that
 *     spice-server runs on every message a client sends (linked from the fuzz flavour of
 *     libspice-server.a, i.e. the object the server itself uses);
 *   - server -> client: spice_get_server_channel_parser(SPICE_CHANNEL_POWER) from
 *     generated_client_demarshallers.c, which spice-server does not contain, so the harness
 *     compiles it from the same spice_codegen.py run (STATE, RESULT and the base messages).
 *
 * Input: byte 0 bit 0 = direction (0 client->server, 1 server->client); bit 1 = wide type.
 * Byte 1 is the message type (0..255), or with the wide bit bytes 1-2 are a little-endian u16
 * type, so the out-of-range checks of the dispatch (types above 255) are reachable too. The rest
 * is the message body, handed over exactly as spice-server hands over a received body.
 *
 * Every parsed message is consumed into a volatile checksum (all bytes of the parsed structure
 * plus anything it points to), so the compiler cannot drop the parse as dead code, and freed with
 * the destructor the parser returned, so leaks and mismatched frees show under ASan. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>
#include <common/demarshallers.h>
#include <common/messages.h>

/* generated_client_demarshallers.c: the server->client parser, not declared in any header */
spice_parse_channel_func_t spice_get_server_channel_parser(uint32_t channel, unsigned int *max_message_type);

static volatile uint64_t sink;

static uint64_t mix(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Fields that live outside the parsed allocation (pointers into the input) are read as well. */
static uint64_t consume(int to_client, uint16_t type, const uint8_t *parsed, size_t size)
{
    uint64_t h = mix(0xcbf29ce484222325ull, parsed, size);
    if (to_client && type == SPICE_MSG_PING && size >= sizeof(SpiceMsgPing)) {
        const SpiceMsgPing *ping = (const SpiceMsgPing *)parsed;
        h = mix(h, ping->data, ping->data_len);
    }
    if (to_client && type == SPICE_MSG_POWER_RESULT) {
        const SpiceMsgPowerResult *r = (const SpiceMsgPowerResult *)parsed;
        h += r->request * 31u + r->code;
    }
    if (to_client && type == SPICE_MSG_POWER_STATE)
        h += ((const SpiceMsgPowerState *)parsed)->state;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int to_client = data[0] & 1;
    uint16_t type = data[1];
    size_t off = 2;
    if (data[0] & 2) {
        if (size < 3)
            return 0;
        type = (uint16_t)(data[1] | data[2] << 8);
        off = 3;
    }
    unsigned int max_type = 0;
    spice_parse_channel_func_t parse = to_client
        ? spice_get_server_channel_parser(SPICE_CHANNEL_POWER, &max_type)
        : spice_get_client_channel_parser(SPICE_CHANNEL_POWER, &max_type);
    if (parse == NULL)
        abort(); /* the power channel must have a parser in both directions */

    /* The body is the tail of libFuzzer's own exact-size copy of the input, so ASan flags any
     * read past the message end without a second copy. An empty body is NULL, as
     * RedChannelClient::handle_incoming() passes it. */
    size_t body_len = size - off;
    uint8_t *body = body_len ? (uint8_t *)data + off : NULL;
    uint8_t *end = body ? body + body_len : NULL;

    size_t parsed_size = 0;
    message_destructor_t free_parsed = NULL;
    uint8_t *parsed = parse(body, end, type, SPICE_VERSION_MINOR, &parsed_size, &free_parsed);
    if (parsed != NULL) {
        /* max_type is part of what the getter returns: consumed like the message */
        sink += consume(to_client, type, parsed, parsed_size) + (type > max_type);
        if (free_parsed == NULL)
            abort(); /* every parsed message comes with a destructor */
        free_parsed(parsed);
    }
    return 0;
}
