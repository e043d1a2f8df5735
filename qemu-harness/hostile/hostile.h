/* spp-hostile: the project's adversarial tests against a SPICE endpoint with a power channel
 * (spice-power-bridge today, QEMU's built-in channel later).
 *
 * An attack misbehaves towards the endpoint in one named way. Around every attack the same
 * checks run: the server process is alive, its memory (VmRSS) grew by no more than a bound,
 * and a legitimate client still links and gets RESULT OK for RESET within a deadline. The
 * checks are also what the ctests that attack the management plane (tests/) assert. */
#ifndef SPP_HOSTILE_H
#define SPP_HOSTILE_H

#include <glib.h>

#include "spp_power.h"

G_BEGIN_DECLS

#define HOSTILE_ERROR (hostile_error_quark())
GQuark hostile_error_quark(void);

typedef enum {
    HOSTILE_ERROR_DEAD,      /* the server process is gone (or a zombie) */
    HOSTILE_ERROR_MEMORY,    /* its RSS grew past the bound */
    HOSTILE_ERROR_CLIENT,    /* a legitimate client was not served as expected */
    HOSTILE_ERROR_BEHAVIOUR, /* the server answered an attack in a way the spec forbids */
    HOSTILE_ERROR_SETUP,     /* the attack could not be mounted (connect failed, ...) */
} HostileError;

/* Defaults of the checks (docs/hostile.md). */
#define HOSTILE_RSS_LIMIT_MIB 32
#define HOSTILE_DEADLINE_MS 2000
/* The channel caps every client of these tests announces: it wants STATE and RESULT. */
#define HOSTILE_POWER_CAPS (SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT))
/* How long a refused or malformed exchange may take the server to answer or close. */
#define HOSTILE_ANSWER_MS 2000

typedef struct {
    char *host;
    int port;
    char *password; /* NULL: the empty ticket (a server with ticketing disabled) */
    int pid;        /* the server process; 0: unknown, so liveness and memory go unchecked */
    int rss_limit_mib;
    int deadline_ms; /* link + RESET -> RESULT OK, for the legitimate client */
} HostileTarget;

/* One attack's run: its target and what was measured. */
typedef struct {
    const HostileTarget *target;
    gint64 rss_base_kib; /* before the attack; -1: unknown */
    gint64 rss_peak_kib;
    GString *notes; /* what the attack did, for the report line */
} HostileRun;

typedef gboolean (*HostileAttackFn)(HostileRun *run, GError **error);

typedef struct {
    const char *name;
    const char *summary;
    HostileAttackFn fn;
} HostileAttack;

/* What a legitimate client must get (hostile_legit_reset). */
typedef struct {
    int link_ms;         /* each of the main and the power link */
    int state_on_ms;     /* > 0: first wait up to this long for STATE ON (a plane coming back) */
    int result_ms;       /* from RESET sent to its RESULT */
    int total_ms;        /* the whole exchange after STATE ON; 0: no bound beyond the others */
    gboolean require_ok; /* RESULT OK; else any RESULT */
} HostileExpect;

/* hostile-check.c */
gboolean hostile_process_alive(int pid, GError **error);
/* VmRSS of pid in KiB, or -1. */
gint64 hostile_process_rss_kib(int pid);
void hostile_run_init(HostileRun *run, const HostileTarget *target);
void hostile_run_clear(HostileRun *run);
void hostile_run_note(HostileRun *run, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Samples the RSS; fails once it grew past the target's bound since the run began. */
gboolean hostile_run_sample_rss(HostileRun *run, GError **error);
/* The default expectation: links and RESULT OK within the target's deadline. */
HostileExpect hostile_expect_default(const HostileTarget *target);
/* A legitimate client: links main and power, sends RESET, checks its RESULT against expect. */
gboolean hostile_legit_reset(const HostileTarget *target, const HostileExpect *expect, GError **error);
/* Links main and power again and again for window_ms; each link must be answered within link_ms. */
gboolean hostile_links_answered(const HostileTarget *target, int window_ms, int link_ms, GError **error);
/* The checks after an attack: alive, memory bounded, a legitimate client served, still alive. */
gboolean hostile_server_ok(HostileRun *run, GError **error);

/* hostile-wire.c: raw bytes towards the endpoint */
#define HOSTILE_LINK_MAX 64
/* A valid link header + message for channel (type, id) of session connection_id, one common caps
 * word (auth selection, SPICE ticket, mini header) and one channel caps word; returns its length. */
gsize hostile_link_bytes(guint8 buf[HOSTILE_LINK_MAX], guint32 connection_id, guint8 type, guint8 id,
                         guint32 channel_caps);
/* A data message with the mini header: type, size as announced, then `body_len` zero bytes. */
GByteArray *hostile_mini_message(guint16 type, guint32 size, gsize body_len);
/* A TCP connection to the target (non-blocking, like every SppConn), or NULL with error. */
SppConn *hostile_connect(const HostileTarget *target, GError **error);
gboolean hostile_send(SppConn *conn, const void *bytes, gsize length, GError **error);
/* Reads until the server closes the connection or timeout_ms passes; TRUE if it closed. *got
 * (may be NULL) receives the number of bytes read. */
gboolean hostile_wait_closed(SppConn *conn, int timeout_ms, gsize *got);
/* Reads until `want` bytes arrived, the server closed, or timeout_ms passed; returns bytes read. */
gsize hostile_read_bytes(SppConn *conn, guint8 *buf, gsize want, int timeout_ms);
/* Closes with an RST instead of a FIN (SO_LINGER 0) and frees the connection. */
void hostile_close_with_reset(SppConn *conn);
/* A session with its power channel linked (STATE and RESULT announced) and the first STATE read. */
gboolean hostile_power_session(const HostileTarget *target, SppPowerSession **session, SppPowerChannel **power,
                               GError **error);

/* The attacks, in --list order (hostile-attacks.c). */
extern const HostileAttack hostile_attacks[];
extern const gsize hostile_n_attacks;
const HostileAttack *hostile_find_attack(const char *name);

/* hostile-links.c */
gboolean hostile_attack_link_close(HostileRun *run, GError **error);
gboolean hostile_attack_link_reset(HostileRun *run, GError **error);
gboolean hostile_attack_vanish_queued(HostileRun *run, GError **error);
gboolean hostile_attack_half_open(HostileRun *run, GError **error);
gboolean hostile_attack_garbage_link(HostileRun *run, GError **error);
/* hostile-flood.c */
gboolean hostile_attack_unread_flood(HostileRun *run, GError **error);
/* hostile-malformed.c */
gboolean hostile_attack_malformed_power(HostileRun *run, GError **error);
gboolean hostile_attack_malformed_main(HostileRun *run, GError **error);

G_END_DECLS

#endif /* SPP_HOSTILE_H */
