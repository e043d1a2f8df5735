/* The spec test: reads docs/power-channel.md and holds include/spicepower/protocol.h to it.
 *
 * - Every constant row of the spec's tables (`| `SPICE_NAME` | number | ... |`) must map to a
 *   header constant with the same value, and every header constant must appear in the spec.
 * - Every "Layout: Name (N bytes)" section must match the packed struct: total size, and each
 *   field's offset and size.
 * - Every heading is numbered, ids are unique, and every §x.y the text cites exists.
 *
 * Exit status 0 when the two agree; 1 with one line per disagreement otherwise; 2 on bad usage. */
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spicepower/protocol.h"

typedef struct {
    const char *spec_name;
    long long value;
    gboolean seen;
} SpecConstant;

#define C(name, value) {name, (long long)(value), FALSE}
static SpecConstant constants[] = {
    C("SPICE_CHANNEL_MAIN", SPP_CHANNEL_MAIN),
    C("SPICE_CHANNEL_INPUTS", SPP_CHANNEL_INPUTS),
    C("SPICE_CHANNEL_WEBDAV", SPP_CHANNEL_WEBDAV),
    C("SPICE_CHANNEL_POWER", SPP_CHANNEL_POWER),
    C("SPICE_POWER_CHANNEL_ID", SPP_POWER_CHANNEL_ID),
    C("SPICE_MAGIC", SPP_LINK_MAGIC_U32),
    C("SPICE_VERSION_MAJOR", SPP_VERSION_MAJOR),
    C("SPICE_VERSION_MINOR", SPP_VERSION_MINOR),
    C("SPICE_LINK_MESS_MIN_SIZE", SPP_LINK_MESS_MIN_SIZE),
    C("SPICE_LINK_MESS_MAX_SIZE", SPP_LINK_MESS_MAX_SIZE),
    C("SPICE_LINK_MAX_CAP_WORDS", SPP_LINK_MAX_CAP_WORDS),
    C("SPICE_LINK_ERR_OK", SPP_LINK_ERR_OK),
    C("SPICE_LINK_ERR_ERROR", SPP_LINK_ERR_ERROR),
    C("SPICE_LINK_ERR_INVALID_MAGIC", SPP_LINK_ERR_INVALID_MAGIC),
    C("SPICE_LINK_ERR_INVALID_DATA", SPP_LINK_ERR_INVALID_DATA),
    C("SPICE_LINK_ERR_VERSION_MISMATCH", SPP_LINK_ERR_VERSION_MISMATCH),
    C("SPICE_LINK_ERR_NEED_SECURED", SPP_LINK_ERR_NEED_SECURED),
    C("SPICE_LINK_ERR_NEED_UNSECURED", SPP_LINK_ERR_NEED_UNSECURED),
    C("SPICE_LINK_ERR_PERMISSION_DENIED", SPP_LINK_ERR_PERMISSION_DENIED),
    C("SPICE_LINK_ERR_BAD_CONNECTION_ID", SPP_LINK_ERR_BAD_CONNECTION_ID),
    C("SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE", SPP_LINK_ERR_CHANNEL_NOT_AVAILABLE),
    C("SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION", SPP_COMMON_CAP_AUTH_SELECTION),
    C("SPICE_COMMON_CAP_AUTH_SPICE", SPP_COMMON_CAP_AUTH_SPICE),
    C("SPICE_COMMON_CAP_AUTH_SASL", SPP_COMMON_CAP_AUTH_SASL),
    C("SPICE_COMMON_CAP_MINI_HEADER", SPP_COMMON_CAP_MINI_HEADER),
    C("SPICE_AUTH_MECHANISM_SPICE", SPP_AUTH_MECHANISM_SPICE),
    C("SPICE_AUTH_MECHANISM_SASL", SPP_AUTH_MECHANISM_SASL),
    C("SPICE_TICKET_PUBKEY_BYTES", SPP_TICKET_PUBKEY_BYTES),
    C("SPICE_TICKET_ENCRYPTED_BYTES", SPP_TICKET_ENCRYPTED_BYTES),
    C("SPICE_TICKET_PASSWORD_MAX", SPP_TICKET_PASSWORD_MAX),
    C("SPICE_MSG_MIGRATE", SPP_MSG_MIGRATE),
    C("SPICE_MSG_MIGRATE_DATA", SPP_MSG_MIGRATE_DATA),
    C("SPICE_MSG_SET_ACK", SPP_MSG_SET_ACK),
    C("SPICE_MSG_PING", SPP_MSG_PING),
    C("SPICE_MSG_WAIT_FOR_CHANNELS", SPP_MSG_WAIT_FOR_CHANNELS),
    C("SPICE_MSG_DISCONNECTING", SPP_MSG_DISCONNECTING),
    C("SPICE_MSG_NOTIFY", SPP_MSG_NOTIFY),
    C("SPICE_MSG_LIST", SPP_MSG_LIST),
    C("SPICE_MSGC_ACK_SYNC", SPP_MSGC_ACK_SYNC),
    C("SPICE_MSGC_ACK", SPP_MSGC_ACK),
    C("SPICE_MSGC_PONG", SPP_MSGC_PONG),
    C("SPICE_MSGC_MIGRATE_FLUSH_MARK", SPP_MSGC_MIGRATE_FLUSH_MARK),
    C("SPICE_MSGC_MIGRATE_DATA", SPP_MSGC_MIGRATE_DATA),
    C("SPICE_MSGC_DISCONNECTING", SPP_MSGC_DISCONNECTING),
    C("SPICE_MSG_MAIN_INIT", SPP_MSG_MAIN_INIT),
    C("SPICE_MSGC_MAIN_ATTACH_CHANNELS", SPP_MSGC_MAIN_ATTACH_CHANNELS),
    C("SPICE_POWER_CAP_RESERVED", SPP_POWER_CAP_RESERVED),
    C("SPICE_POWER_CAP_RESET", SPP_POWER_CAP_RESET),
    C("SPICE_POWER_CAP_POWEROFF", SPP_POWER_CAP_POWEROFF),
    C("SPICE_POWER_CAP_POWERON", SPP_POWER_CAP_POWERON),
    C("SPICE_POWER_CAP_STATE", SPP_POWER_CAP_STATE),
    C("SPICE_POWER_CAP_RESULT", SPP_POWER_CAP_RESULT),
    C("SPICE_MSGC_POWER_RESET", SPP_MSGC_POWER_RESET),
    C("SPICE_MSGC_POWER_POWEROFF", SPP_MSGC_POWER_POWEROFF),
    C("SPICE_MSGC_POWER_POWERON", SPP_MSGC_POWER_POWERON),
    C("SPICE_MSG_POWER_STATE", SPP_MSG_POWER_STATE),
    C("SPICE_MSG_POWER_RESULT", SPP_MSG_POWER_RESULT),
    C("SPICE_POWER_STATE_UNKNOWN", SPP_POWER_STATE_UNKNOWN),
    C("SPICE_POWER_STATE_ON", SPP_POWER_STATE_ON),
    C("SPICE_POWER_STATE_OFF", SPP_POWER_STATE_OFF),
    C("SPICE_POWER_STATE_PAUSED", SPP_POWER_STATE_PAUSED),
    C("SPICE_POWER_RESULT_OK", SPP_POWER_RESULT_OK),
    C("SPICE_POWER_RESULT_UNSUPPORTED", SPP_POWER_RESULT_UNSUPPORTED),
    C("SPICE_POWER_RESULT_FAILED", SPP_POWER_RESULT_FAILED),
    C("SPICE_POWER_RESULT_DENIED", SPP_POWER_RESULT_DENIED),
    C("SPICE_POWER_RESULT_INVALID_STATE", SPP_POWER_RESULT_INVALID_STATE),
    C("SPICE_NOTIFY_SEVERITY_INFO", SPP_NOTIFY_SEVERITY_INFO),
    C("SPICE_NOTIFY_SEVERITY_WARN", SPP_NOTIFY_SEVERITY_WARN),
    C("SPICE_NOTIFY_SEVERITY_ERROR", SPP_NOTIFY_SEVERITY_ERROR),
    C("SPICE_NOTIFY_VISIBILITY_LOW", SPP_NOTIFY_VISIBILITY_LOW),
    C("SPICE_NOTIFY_VISIBILITY_MEDIUM", SPP_NOTIFY_VISIBILITY_MEDIUM),
    C("SPICE_NOTIFY_VISIBILITY_HIGH", SPP_NOTIFY_VISIBILITY_HIGH),
};
#undef C

typedef struct {
    const char *name;
    size_t offset;
    size_t size;
} LayoutField;

typedef struct {
    const char *spec_name;
    size_t size;
    const LayoutField *fields;
    gboolean seen;
} Layout;

#define F(type, field) {#field, offsetof(type, field), sizeof(((type *)0)->field)}
static const LayoutField link_header_fields[] = {
    F(SppLinkHeader, magic), F(SppLinkHeader, major_version), F(SppLinkHeader, minor_version),
    F(SppLinkHeader, size), {NULL, 0, 0}};
static const LayoutField link_mess_fields[] = {
    F(SppLinkMess, connection_id), F(SppLinkMess, channel_type), F(SppLinkMess, channel_id),
    F(SppLinkMess, num_common_caps), F(SppLinkMess, num_channel_caps), F(SppLinkMess, caps_offset),
    {NULL, 0, 0}};
static const LayoutField link_reply_fields[] = {
    F(SppLinkReply, error), F(SppLinkReply, pub_key), F(SppLinkReply, num_common_caps),
    F(SppLinkReply, num_channel_caps), F(SppLinkReply, caps_offset), {NULL, 0, 0}};
static const LayoutField data_header_fields[] = {
    F(SppDataHeader, serial), F(SppDataHeader, type), F(SppDataHeader, size),
    F(SppDataHeader, sub_list), {NULL, 0, 0}};
static const LayoutField mini_header_fields[] = {
    F(SppMiniDataHeader, type), F(SppMiniDataHeader, size), {NULL, 0, 0}};
static const LayoutField state_fields[] = {F(SppMsgPowerState, state), {NULL, 0, 0}};
static const LayoutField result_fields[] = {
    F(SppMsgPowerResult, request), F(SppMsgPowerResult, code), {NULL, 0, 0}};
static const LayoutField notify_fields[] = {
    F(SppMsgNotify, time_stamp), F(SppMsgNotify, severity), F(SppMsgNotify, visibility),
    F(SppMsgNotify, what), F(SppMsgNotify, message_len), {NULL, 0, 0}};
static const LayoutField set_ack_fields[] = {
    F(SppMsgSetAck, generation), F(SppMsgSetAck, window), {NULL, 0, 0}};
static const LayoutField ping_fields[] = {F(SppMsgPing, id), F(SppMsgPing, timestamp), {NULL, 0, 0}};
#undef F

static Layout layouts[] = {
    {"SpiceLinkHeader", sizeof(SppLinkHeader), link_header_fields, FALSE},
    {"SpiceLinkMess", sizeof(SppLinkMess), link_mess_fields, FALSE},
    {"SpiceLinkReply", sizeof(SppLinkReply), link_reply_fields, FALSE},
    {"SpiceDataHeader", sizeof(SppDataHeader), data_header_fields, FALSE},
    {"SpiceMiniDataHeader", sizeof(SppMiniDataHeader), mini_header_fields, FALSE},
    {"SpiceMsgPowerState", sizeof(SppMsgPowerState), state_fields, FALSE},
    {"SpiceMsgPowerResult", sizeof(SppMsgPowerResult), result_fields, FALSE},
    {"SpiceMsgNotify", sizeof(SppMsgNotify), notify_fields, FALSE},
    {"SpiceMsgSetAck", sizeof(SppMsgSetAck), set_ack_fields, FALSE},
    {"SpiceMsgPing", sizeof(SppMsgPing), ping_fields, FALSE},
};

static int failures;

static void fail(unsigned line, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void fail(unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (line)
        fprintf(stderr, "power-channel.md:%u: ", line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failures++;
}

/* Splits "| a | b | c |" into trimmed cells; returns NULL for a line that is not a table row. */
static char **table_cells(const char *line, guint *n)
{
    if (line[0] != '|')
        return NULL;
    char **raw = g_strsplit(line + 1, "|", -1);
    guint len = g_strv_length(raw);
    if (len > 0 && g_strstrip(raw[len - 1])[0] == '\0') {
        g_free(raw[len - 1]);
        raw[--len] = NULL;
    }
    for (guint i = 0; i < len; i++)
        g_strstrip(raw[i]);
    *n = len;
    return raw;
}

static gboolean parse_number(const char *text, long long *out)
{
    char *end;
    if (!g_ascii_isdigit(text[0]))
        return FALSE;
    *out = g_ascii_strtoll(text, &end, 0);
    return *end == '\0';
}

static char *unquote(const char *cell)
{
    size_t len = strlen(cell);
    if (len >= 2 && cell[0] == '`' && cell[len - 1] == '`')
        return g_strndup(cell + 1, len - 2);
    return g_strdup(cell);
}

static void check_constant_row(unsigned line, char **cells, guint n)
{
    long long value;
    if (n < 2 || !g_str_has_prefix(cells[0], "`SPICE_") || !parse_number(cells[1], &value))
        return;
    g_autofree char *name = unquote(cells[0]);
    for (size_t i = 0; i < G_N_ELEMENTS(constants); i++) {
        if (strcmp(constants[i].spec_name, name) != 0)
            continue;
        if (constants[i].seen)
            fail(line, "%s is defined twice", name);
        constants[i].seen = TRUE;
        if (constants[i].value != value)
            fail(line, "%s is %lld in the spec but %lld in protocol.h", name, value, constants[i].value);
        return;
    }
    fail(line, "%s = %lld has no counterpart in protocol.h", name, value);
}

typedef struct {
    Layout *layout;
    size_t declared_size;
    size_t next_offset;
    guint field_index;
    unsigned line;
} LayoutCursor;

static void finish_layout(LayoutCursor *cur)
{
    if (!cur->layout)
        return;
    Layout *l = cur->layout;
    if (cur->declared_size != l->size)
        fail(cur->line, "%s: spec says %zu bytes, protocol.h has %zu", l->spec_name, cur->declared_size, l->size);
    if (cur->next_offset != cur->declared_size)
        fail(cur->line, "%s: fields add up to %zu bytes, heading says %zu", l->spec_name, cur->next_offset,
             cur->declared_size);
    if (l->fields[cur->field_index].name)
        fail(cur->line, "%s: field %s of protocol.h is missing from the spec", l->spec_name,
             l->fields[cur->field_index].name);
    cur->layout = NULL;
}

static void check_layout_row(LayoutCursor *cur, unsigned line, char **cells, guint n)
{
    long long offset, size;
    if (n < 3 || !parse_number(cells[0], &offset) || !parse_number(cells[1], &size))
        return;
    Layout *l = cur->layout;
    g_autofree char *field = unquote(cells[2]);
    const LayoutField *want = &l->fields[cur->field_index];
    if ((size_t)offset != cur->next_offset)
        fail(line, "%s.%s: offset %lld leaves a gap or overlap (expected %zu)", l->spec_name, field, offset,
             cur->next_offset);
    if (!want->name) {
        fail(line, "%s.%s: not in protocol.h", l->spec_name, field);
    } else if (strcmp(want->name, field) != 0) {
        fail(line, "%s: spec has field %s where protocol.h has %s", l->spec_name, field, want->name);
    } else if (want->offset != (size_t)offset || want->size != (size_t)size) {
        fail(line, "%s.%s: spec offset %lld size %lld, protocol.h offset %zu size %zu", l->spec_name, field,
             offset, size, want->offset, want->size);
    }
    if (want->name)
        cur->field_index++;
    cur->next_offset = (size_t)offset + (size_t)size;
}

/* "### 11.7 Layout: SpiceMsgPowerState (1 byte)" starts a layout section. */
static void maybe_start_layout(LayoutCursor *cur, unsigned line, const char *heading)
{
    static GRegex *re;
    if (!re)
        re = g_regex_new("Layout: (\\w+) \\((\\d+) bytes?\\)", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    if (!g_regex_match(re, heading, 0, &m))
        return;
    g_autofree char *name = g_match_info_fetch(m, 1);
    g_autofree char *bytes = g_match_info_fetch(m, 2);
    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++) {
        if (strcmp(layouts[i].spec_name, name) == 0) {
            if (layouts[i].seen)
                fail(line, "layout %s is drawn twice", name);
            layouts[i].seen = TRUE;
            *cur = (LayoutCursor){&layouts[i], strtoul(bytes, NULL, 10), 0, 0, line};
            return;
        }
    }
    fail(line, "layout %s has no struct in protocol.h", name);
}

/* Section ids: "## 4. Capabilities" is 4, "### 4.2 Server announcement" is 4.2. */
static void record_section(GHashTable *sections, unsigned line, const char *heading)
{
    static GRegex *re;
    if (!re)
        re = g_regex_new("^#{2,4} (\\d+(?:\\.\\d+)*)\\.? ", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    if (g_regex_match(re, heading, 0, &m)) {
        char *id = g_match_info_fetch(m, 1);
        if (g_hash_table_contains(sections, id))
            fail(line, "section id §%s is used twice", id);
        g_hash_table_add(sections, id);
    } else if (!g_str_has_prefix(heading, "## Appendix")) {
        fail(line, "heading is not numbered: %s", heading);
    }
}

static void check_citations(GHashTable *sections, char **lines)
{
    g_autoptr(GRegex) re = g_regex_new("§(\\d+(?:\\.\\d+)*)", 0, 0, NULL);
    for (unsigned i = 0; lines[i]; i++) {
        g_autoptr(GMatchInfo) m = NULL;
        g_regex_match(re, lines[i], 0, &m);
        while (g_match_info_matches(m)) {
            g_autofree char *id = g_match_info_fetch(m, 1);
            if (!g_hash_table_contains(sections, id))
                fail(i + 1, "cites §%s, which does not exist", id);
            g_match_info_next(m, NULL);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s docs/power-channel.md\n", argv[0]);
        return 2;
    }
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(argv[1], &text, NULL, &err)) {
        fprintf(stderr, "check-spec-tables: %s\n", err->message);
        return 2;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(GHashTable) sections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    LayoutCursor cur = {0};
    gboolean in_code = FALSE;
    unsigned rows = 0;

    for (unsigned i = 0; lines[i]; i++) {
        const char *line = lines[i];
        if (g_str_has_prefix(line, "```")) {
            in_code = !in_code;
            continue;
        }
        if (in_code)
            continue;
        if (g_str_has_prefix(line, "## ") || g_str_has_prefix(line, "### ") || g_str_has_prefix(line, "#### ")) {
            finish_layout(&cur);
            record_section(sections, i + 1, line);
            maybe_start_layout(&cur, i + 1, line);
            continue;
        }
        guint n;
        g_auto(GStrv) cells = table_cells(line, &n);
        if (!cells)
            continue;
        rows++;
        if (cur.layout)
            check_layout_row(&cur, i + 1, cells, n);
        else
            check_constant_row(i + 1, cells, n);
    }
    finish_layout(&cur);
    check_citations(sections, lines);

    for (size_t i = 0; i < G_N_ELEMENTS(constants); i++)
        if (!constants[i].seen)
            fail(0, "protocol.h's %s is in no table of the spec", constants[i].spec_name);
    for (size_t i = 0; i < G_N_ELEMENTS(layouts); i++)
        if (!layouts[i].seen)
            fail(0, "struct for %s has no layout section in the spec", layouts[i].spec_name);

    if (failures) {
        fprintf(stderr, "check-spec-tables: %d disagreement(s) between the spec and protocol.h\n", failures);
        return 1;
    }
    printf("check-spec-tables: %zu constants, %zu layouts, %u sections agree (%u table rows read)\n",
           G_N_ELEMENTS(constants), G_N_ELEMENTS(layouts), g_hash_table_size(sections), rows);
    return 0;
}
