/* fuzz_qmp_snapshot's input format: a sequence of fixed-size operation records, and the vocabulary
 * their bytes index. Every byte string decodes to a valid sequence (records are read modulo the
 * vocabulary sizes), so the custom mutator can work on whole records.
 *
 * Record (QS_RECORD_SIZE bytes): [op, a, b, c, d, e]
 *   SAVE/LOAD/DELETE  a: job id, b: tag, c: vmstate node,
 *                     d: bits 0-1 device count (0..3), bits 2-4 device 0, bits 5-7 device 1,
 *                     e: bits 0-2 device 2, bits 3-7 argument variant (QsVariant)
 *   DISMISS           a: job id
 *   VERB              a: job id, b: verb (finalize, cancel, pause, resume, complete)
 *   TICK              a: milliseconds to let the guest run, (a % 4) * 15
 *   SERIAL            a: guest command byte ('r' reset, 'h' hang, 'x' ignored)
 *   DISKWRITE         a: disk (disk0, disk1), b: pattern byte
 *   QUERY_JOBS, QUERY_STATUS, STOP, CONT: no arguments
 */
#ifndef QMP_SNAPSHOT_INPUT_H
#define QMP_SNAPSHOT_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define QS_RECORD_SIZE 6
#define QS_MAX_OPS 24

typedef enum {
    QS_OP_SAVE,
    QS_OP_LOAD,
    QS_OP_DELETE,
    QS_OP_DISMISS,
    QS_OP_QUERY_JOBS,
    QS_OP_VERB,
    QS_OP_STOP,
    QS_OP_CONT,
    QS_OP_TICK,
    QS_OP_SERIAL,
    QS_OP_DISKWRITE,
    QS_OP_QUERY_STATUS,
    QS_OP_COUNT
} QsOpKind;

/* How a snapshot command's argument set is built (§2.1, §3.4 to §3.6). */
typedef enum {
    QS_VARIANT_NORMAL,        /* all mandatory arguments, well typed */
    QS_VARIANT_NO_TAG,        /* §3.4 */
    QS_VARIANT_NO_VMSTATE,    /* §3.4 for save/load; for delete: vmstate given (§3.5) */
    QS_VARIANT_NO_DEVICES,    /* §3.4 */
    QS_VARIANT_EXTRA_FOO,     /* §3.5 */
    QS_VARIANT_TAG_NUMBER,    /* §3.6 */
    QS_VARIANT_DEVICES_STRING,/* §3.6 */
    QS_VARIANT_DEVICE_NUMBER, /* §3.6 (devices[0]) */
    QS_VARIANT_NO_JOB_ID,     /* §3.4 */
    QS_VARIANT_COUNT
} QsVariant;

#define QS_NODE_VOCAB 8
#define QS_TAG_VOCAB 8
#define QS_JOB_VOCAB 8
#define QS_VERB_VOCAB 5
#define QS_DISK_VOCAB 2

typedef struct {
    QsOpKind kind;
    uint8_t job;        /* index into the job id vocabulary */
    uint8_t tag;
    uint8_t vmstate;    /* node index */
    uint8_t ndevices;
    uint8_t devices[3]; /* node indices */
    QsVariant variant;
    uint8_t verb;
    uint8_t arg;        /* TICK ms, SERIAL byte, DISKWRITE disk */
    uint8_t pattern;    /* DISKWRITE */
} QsOp;

typedef struct {
    QsOp ops[QS_MAX_OPS];
    size_t count;
} QsProgram;

/* Vocabulary. */
const char *qs_node_name(unsigned index);
const char *qs_tag(unsigned index);
const char *qs_job_id(unsigned index);
const char *qs_verb(unsigned index);          /* "job-finalize", ... */
const char *qs_disk_qdev(unsigned index);     /* "disk0-dev", "disk1-dev" */
const char *qs_op_name(QsOpKind kind);

/* Decodes whole records (a trailing partial record is ignored), at most QS_MAX_OPS. */
void qs_decode(const uint8_t *data, size_t size, QsProgram *program);

/* A stable 64-bit hash of the decoded program (what counts as a distinct sequence). */
uint64_t qs_program_hash(const QsProgram *program);

/* One line describing an operation, e.g. "snapshot-save job=j0 tag='a' vmstate=disk0 devices=[disk0]". */
void qs_format_op(const QsOp *op, char *buf, size_t size);

/* Record-aware mutation for LLVMFuzzerCustomMutator: insert, delete, duplicate, swap or rewrite
 * one field of a record, keeping the size a multiple of QS_RECORD_SIZE; falls back to the byte
 * mutator `mutate` (LLVMFuzzerMutate) on one record. */
size_t qs_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                 size_t (*mutate)(uint8_t *data, size_t size, size_t max_size));

#endif
