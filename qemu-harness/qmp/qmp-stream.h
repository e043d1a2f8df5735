/* Splits a QMP byte stream into complete JSON objects (internal to spp_qmp).
 *
 * QEMU ends every message with a newline, but a peer is not obliged to, and a
 * message may arrive in pieces; so messages are delimited by brace depth,
 * honouring strings and escapes, the way QEMU's own JSON lexer does. */
#ifndef SPP_QMP_STREAM_H
#define SPP_QMP_STREAM_H

#include <glib.h>

/* A message larger than this is treated as garbage rather than buffered forever. */
#define SPP_QMP_STREAM_MAX_MESSAGE (64u * 1024u * 1024u)

/* Nesting deeper than this is garbage too: QMP's deepest replies (query-named-block-nodes, with
 * backing chains) stay within a few dozen levels, and json-glib parses recursively, so a peer
 * sending 100,000 '[' would otherwise overflow the stack of whoever parses it. QEMU's own JSON
 * parser stops at 1024. */
#define SPP_QMP_STREAM_MAX_DEPTH 1024u

typedef struct SppQmpStream SppQmpStream;

SppQmpStream *spp_qmp_stream_new(void);
void spp_qmp_stream_free(SppQmpStream *stream);

/* A smaller limit than SPP_QMP_STREAM_MAX_MESSAGE, for a reader that knows its peer's messages are
 * small (spice-power-bridge buffers no more than it needs from a peer it does not trust). */
void spp_qmp_stream_set_max_message(SppQmpStream *stream, gsize max_message);

/* Append bytes read from the socket. */
void spp_qmp_stream_feed(SppQmpStream *stream, const void *bytes, gsize length);

/* TRUE and *message (NUL-terminated, caller frees) when a complete top-level
 * object is buffered. FALSE with no error when more bytes are needed. FALSE
 * with error (SPP_QMP_ERROR_PROTOCOL) when the stream is not a sequence of
 * JSON objects; the stream is then unusable. */
gboolean spp_qmp_stream_next(SppQmpStream *stream, char **message, GError **error);

#endif /* SPP_QMP_STREAM_H */
