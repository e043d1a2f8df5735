/* What a conformance case sees: the run's options and the verdict calls; and VcCase, a case's entry
 * in the registry (case-list.h).
 *
 * Every case runs in a child process of its own with a deadline, so a verdict call simply ends
 * that process: vc_fail(), vc_skip() and vc_broken() do not return. A case that returns from its
 * function has passed. Whatever the case launched (QEMU, the bridge) is torn down by the
 * launcher's exit handlers and, failing that, by the runner killing the case's process group. */
#ifndef VMCONFORM_CASE_H
#define VMCONFORM_CASE_H

#include <glib.h>

typedef struct VcContext VcContext;

typedef struct {
    const char *suite;   /* "power", "snapshot", "qmp-power" */
    const char *name;    /* the scenario, e.g. "load_rewinds_ram_and_disk" */
    const char *doc;     /* the spec the case holds the target to, e.g. "snapshot-jobs.md" */
    const char *section; /* the requirement's id in that spec, e.g. "5.2" */
    const char *summary; /* one line: what must hold */
    unsigned flags;
    void (*run)(VcContext *ctx);
} VcCase;

enum {
    VC_SMOKE = 1 << 0, /* part of the short subset ctest runs */
};

typedef struct {
    const char *qemu;          /* QEMU binary (--qemu) */
    const char *bridge;        /* spice-power-bridge binary */
    const char *guest_image;   /* our boot sector */
    const char *spice_target;  /* --spice HOST:PORT, or NULL to start the bridge */
    const char *password_file; /* --password-file, with --spice */
    double timeout_s;          /* per-case deadline (--timeout) */
} VcOptions;

const VcOptions *vc_options(VcContext *ctx);

/* Milliseconds of the case's deadline still left; cases size their waits with it. */
gint64 vc_remaining_ms(VcContext *ctx);

/* A line on stderr, prefixed with the case's id: progress while QEMU boots. */
void vc_progress(VcContext *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A key: value pair for the case's YAML diagnostics, in the order added. */
void vc_diag(VcContext *ctx, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* The target contradicts the spec: say what the spec requires and what happened. */
G_NORETURN void vc_fail(VcContext *ctx, const char *required, const char *got_fmt, ...) G_GNUC_PRINTF(3, 4);

/* The case cannot run here (no OVMF, no SPICE target...). */
G_NORETURN void vc_skip(VcContext *ctx, const char *reason_fmt, ...) G_GNUC_PRINTF(2, 3);

/* A failure of the environment rather than the target (QEMU would not start, for example). */
G_NORETURN void vc_broken(VcContext *ctx, const char *what_fmt, ...) G_GNUC_PRINTF(2, 3);

/* Fail unless cond holds. */
#define VC_REQUIRE(ctx, cond, required, ...)                                                           \
    do {                                                                                               \
        if (!(cond))                                                                                   \
            vc_fail((ctx), (required), __VA_ARGS__);                                                   \
    } while (0)

/* Fail with the GError's message when expr is NULL/FALSE. */
#define VC_REQUIRE_OK(ctx, ok, err, required)                                                          \
    do {                                                                                               \
        if (!(ok))                                                                                     \
            vc_fail((ctx), (required), "%s", (err) ? (err)->message : "unknown error");               \
    } while (0)

#endif /* VMCONFORM_CASE_H */
