/* What a conformance case sees: the run's options, the verdict calls and citations; and VcCase, a
 * case's entry in the registry (case-list.h).
 *
 * Every case runs in a child process of its own with a deadline, so a verdict call simply ends
 * that process: vc_fail(), vc_skip() and vc_broken() do not return. A case that returns from its
 * function has passed. Whatever the case launched (QEMU, the bridge) is torn down by the
 * launcher's exit handlers and, failing that, by the runner killing the case's process group.
 *
 * Citations: a failure names the requirement it contradicts as VC_REQ(PC, "11.8", "RESULT carries
 * 6 bytes"), never as free text: every VC_REQ compiled in is listed by `vmconform --list-citations`
 * and resolved against the specs by ctest, so a section that moves breaks the build's tests, not
 * the reader's trust. */
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
    gboolean builtin_power;    /* --power-qemu: QEMU's own power channel instead of the bridge */
    const char *password_file; /* --password-file, with --spice */
    double timeout_s;          /* per-case deadline (--timeout) */
    const char *target_label;  /* "qemu-10.0" when the run has several QEMUs, else NULL */
} VcOptions;

const VcOptions *vc_options(VcContext *ctx);

/* Milliseconds of the case's deadline still left; cases size their waits with it. */
gint64 vc_remaining_ms(VcContext *ctx);

/* A line on stderr, prefixed with the case's id: progress while QEMU boots. */
void vc_progress(VcContext *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A key: value pair for the case's YAML diagnostics, in the order added. */
void vc_diag(VcContext *ctx, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* The two specs the cases hold targets to, as the registry and VC_REQ name them. */
#define PC "power-channel.md"
#define SJ "snapshot-jobs.md"

/* One requirement of a spec, as a failure cites it. Made by VC_REQ only. */
typedef struct {
    const char *doc;     /* "power-channel.md" or "snapshot-jobs.md" (PC, SJ in case-list.h) */
    const char *section; /* a numbered heading of doc, e.g. "11.8", optionally with an item: "6.9(a)" */
    const char *text;    /* what the requirement says, e.g. "RESULT carries 6 bytes" */
    const char *file;    /* where the citation is written, so a broken one can be found */
    int line;
} VcCitation;

/* A `const VcCitation *` to a static object in the ELF section vc_citations, so that every
 * citation compiled into vmconform can be listed (--list-citations) and checked against the specs
 * whether or not it ever fails. Arguments must be string literals. The explicit alignment keeps
 * the compiler from padding objects apart (x86-64 over-aligns large data otherwise), which would
 * break walking the section as an array. */
#define VC_REQ(doc_, section_, text_)                                                                  \
    (__extension__({                                                                                   \
        static const VcCitation vc_citation_                                                           \
            __attribute__((__used__, __section__("vc_citations"), __aligned__(__alignof__(VcCitation)))) = \
                {"" doc_, "" section_, "" text_, __FILE__, __LINE__};                                  \
        &vc_citation_;                                                                                 \
    }))

/* A step of a case's scenario that the spec does not state but the case needs ("stop succeeds"):
 * a failure names it as it is, without a section, and it is not among the citations that
 * --list-citations lists and ctest resolves. */
#define VC_STEP(text_)                                                                                 \
    (__extension__({                                                                                   \
        static const VcCitation vc_step_ = {NULL, NULL, "" text_, __FILE__, __LINE__};                \
        &vc_step_;                                                                                     \
    }))

/* The target contradicts the spec: say what the spec requires (VC_REQ, or VC_STEP) and what
 * happened. A free-text requirement does not compile. */
G_NORETURN void vc_fail(VcContext *ctx, const VcCitation *required, const char *got_fmt, ...) G_GNUC_PRINTF(3, 4);

/* The case cannot run here (no OVMF, no SPICE target...). */
G_NORETURN void vc_skip(VcContext *ctx, const char *reason_fmt, ...) G_GNUC_PRINTF(2, 3);

/* A failure of the environment rather than the target (QEMU would not start, for example). */
G_NORETURN void vc_broken(VcContext *ctx, const char *what_fmt, ...) G_GNUC_PRINTF(2, 3);

/* Fail unless cond holds. `required` is taken before cond is tested, so that a VC_REQ stays in the
 * binary (and in --list-citations) even where the compiler can tell cond always holds. */
#define VC_REQUIRE(ctx, cond, required, ...)                                                           \
    do {                                                                                               \
        __auto_type vc_required_ = (required);                                                         \
        if (!(cond))                                                                                   \
            vc_fail((ctx), vc_required_, __VA_ARGS__);                                                 \
    } while (0)

/* Fail with the GError's message when ok is NULL/FALSE. */
#define VC_REQUIRE_OK(ctx, ok, err, required)                                                          \
    do {                                                                                               \
        __auto_type vc_required_ = (required);                                                         \
        if (!(ok))                                                                                     \
            vc_fail((ctx), vc_required_, "%s", (err) ? (err)->message : "unknown error");             \
    } while (0)

#endif /* VMCONFORM_CASE_H */
