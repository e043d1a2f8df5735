#include "qmp-stream.h"

#include "qmp-client.h"

#include <string.h>

struct SppQmpStream {
    GByteArray *buffer;
    gsize scanned;      /* bytes of buffer already examined */
    gsize start;        /* offset of the current message's '{' (valid when depth > 0) */
    guint depth;        /* nesting of {} and [] outside strings */
    gboolean in_string;
    gboolean escaped;   /* previous byte inside a string was a backslash */
    gsize max_message;
};

SppQmpStream *spp_qmp_stream_new(void)
{
    SppQmpStream *stream = g_new0(SppQmpStream, 1);
    stream->buffer = g_byte_array_new();
    stream->max_message = SPP_QMP_STREAM_MAX_MESSAGE;
    return stream;
}

void spp_qmp_stream_free(SppQmpStream *stream)
{
    if (stream == NULL)
        return;
    g_byte_array_unref(stream->buffer);
    g_free(stream);
}

void spp_qmp_stream_set_max_message(SppQmpStream *stream, gsize max_message)
{
    stream->max_message = MIN(max_message, SPP_QMP_STREAM_MAX_MESSAGE);
}

void spp_qmp_stream_feed(SppQmpStream *stream, const void *bytes, gsize length)
{
    g_byte_array_append(stream->buffer, bytes, length);
}

static gboolean is_json_whitespace(guint8 byte)
{
    return byte == ' ' || byte == '\t' || byte == '\r' || byte == '\n';
}

/* A short printable excerpt of the offending bytes for the error message. */
static char *excerpt(const guint8 *bytes, gsize length)
{
    gsize shown = MIN(length, 40);
    GString *text = g_string_new(NULL);
    for (gsize i = 0; i < shown; i++)
        g_string_append_c(text, g_ascii_isprint(bytes[i]) ? (char)bytes[i] : '.');
    if (shown < length)
        g_string_append(text, "...");
    return g_string_free(text, FALSE);
}

gboolean spp_qmp_stream_next(SppQmpStream *stream, char **message, GError **error)
{
    guint8 *data = stream->buffer->data;
    gsize length = stream->buffer->len;

    for (gsize i = stream->scanned; i < length; i++) {
        guint8 byte = data[i];
        if (stream->depth == 0) {
            if (is_json_whitespace(byte))
                continue;
            if (byte != '{') {
                g_autofree char *shown = excerpt(data + i, length - i);
                g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL,
                            "garbage from QMP peer: expected a JSON object, got \"%s\"", shown);
                return FALSE;
            }
            stream->start = i;
            stream->depth = 1;
            continue;
        }
        if (stream->in_string) {
            if (stream->escaped)
                stream->escaped = FALSE;
            else if (byte == '\\')
                stream->escaped = TRUE;
            else if (byte == '"')
                stream->in_string = FALSE;
            continue;
        }
        switch (byte) {
        case '"':
            stream->in_string = TRUE;
            break;
        case '{':
        case '[':
            if (++stream->depth > SPP_QMP_STREAM_MAX_DEPTH) {
                g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL,
                            "garbage from QMP peer: a message nested deeper than %u levels", SPP_QMP_STREAM_MAX_DEPTH);
                return FALSE;
            }
            break;
        case '}':
        case ']':
            if (--stream->depth == 0) {
                *message = g_strndup((const char *)data + stream->start, i + 1 - stream->start);
                g_byte_array_remove_range(stream->buffer, 0, (guint)(i + 1));
                stream->scanned = 0;
                return TRUE;
            }
            break;
        default:
            break;
        }
    }

    /* Nothing complete. Drop leading whitespace so the buffer cannot grow on it. */
    if (stream->depth == 0) {
        g_byte_array_set_size(stream->buffer, 0);
        stream->scanned = 0;
        return FALSE;
    }
    stream->scanned = length;
    if (length - stream->start > stream->max_message) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL,
                    "garbage from QMP peer: unterminated message longer than %" G_GSIZE_FORMAT " bytes",
                    stream->max_message);
        return FALSE;
    }
    return FALSE;
}
