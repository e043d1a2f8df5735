/* The registry of QEMU's known deviations from docs/snapshot-jobs.md, keyed by the ids of its §8
 * (D1, D2, ...). One table, read by the conformance runner (conformance/expectations.c: which
 * failing cases are reported as TAP TODO) and by fuzz_qmp_snapshot's model (which of its switches
 * predict QEMU's behaviour rather than the requirement's).
 *
 * Which QEMU releases show a deviation is data: a run asks for the deviations of the release QEMU
 * reports (query-version or the QMP greeting, `qemu --version`), and a release not listed for any
 * deviation tolerates nothing. ctest spec.snapshot_deviations holds the table to §8. */
#ifndef SPP_QEMU_DEVIATIONS_H
#define SPP_QEMU_DEVIATIONS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    const char *id;                 /* "D2", as in docs/snapshot-jobs.md §8 */
    const char *summary;            /* one line: what QEMU does */
    const char *departs_from;       /* the section of docs/snapshot-jobs.md it departs from, e.g. "5.6";
                                     * NULL when nothing a QMP client sees departs */
    const char *const *releases;    /* "major.minor" of the QEMU releases known to show it */
    const char *const *revealed_by; /* conformance cases ("suite.case") that fail because of it */
} SppQemuDeviation;

/* The whole table, in §8's order; *count receives its length. */
const SppQemuDeviation *spp_qemu_deviations(gsize *count);

/* The entry of an id ("D2"), or NULL. */
const SppQemuDeviation *spp_qemu_deviation_find(const char *id);

/* TRUE when QEMU major.minor is known to show the deviation. */
gboolean spp_qemu_deviation_in_release(const SppQemuDeviation *deviation, int major, int minor);

/* "snapshot-jobs.md §8/D2: <summary>", the reason a report gives for tolerating it. */
char *spp_qemu_deviation_reason(const SppQemuDeviation *deviation);

G_END_DECLS

#endif /* SPP_QEMU_DEVIATIONS_H */
