/* fuzz_qmp_snapshot: input decoding, vocabulary and the record-aware mutator (see the header). */
#include "qmp_snapshot_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Node names as the launcher creates them (format node <name>, protocol node <name>-file), plus a
 * missing name and the empty string. */
static const char *const node_names[QS_NODE_VOCAB] = {
    "disk0", "disk1", "rawd", "disk0-file", "nope", "", "disk1-file", "rawd-file",
};

/* 300 bytes: longer than qcow2's 255-byte snapshot name (§8/D4). */
#define LONG_TAG                                                                                   \
    "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" \
    "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL" \
    "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"

/* Empty (§8/D12), numeric (ids, §8/D5), long (§8/D4), with a space. */
static const char *const tags[QS_TAG_VOCAB] = {
    "a", "b", "", "1", "2", LONG_TAG, "x y", "snap.1",
};

/* Well-formed ones (reused on purpose) and malformed ones (§3.2). */
static const char *const job_ids[QS_JOB_VOCAB] = {
    "j0", "j1", "j2", "J-3.x_9", "1x", "", "a b", "j0",
};

static const char *const verbs[QS_VERB_VOCAB] = {
    "job-finalize", "job-cancel", "job-pause", "job-resume", "job-complete",
};

static const char *const disks[QS_DISK_VOCAB] = { "disk0-dev", "disk1-dev" };

static const char *const op_names[QS_OP_COUNT] = {
    "snapshot-save", "snapshot-load", "snapshot-delete", "job-dismiss", "query-jobs", "job-verb",
    "stop", "cont", "tick", "serial", "disk-write", "query-status",
};

_Static_assert(sizeof(LONG_TAG) - 1 == 300, "the long tag is 300 bytes");

const char *qs_node_name(unsigned i) { return node_names[i % QS_NODE_VOCAB]; }
const char *qs_tag(unsigned i) { return tags[i % QS_TAG_VOCAB]; }
const char *qs_job_id(unsigned i) { return job_ids[i % QS_JOB_VOCAB]; }
const char *qs_verb(unsigned i) { return verbs[i % QS_VERB_VOCAB]; }
const char *qs_disk_qdev(unsigned i) { return disks[i % QS_DISK_VOCAB]; }
const char *qs_op_name(QsOpKind k) { return k < QS_OP_COUNT ? op_names[k] : "?"; }

static void decode_record(const uint8_t *r, QsOp *op)
{
    memset(op, 0, sizeof(*op));
    op->kind = (QsOpKind)(r[0] % QS_OP_COUNT);
    switch (op->kind) {
    case QS_OP_SAVE:
    case QS_OP_LOAD:
    case QS_OP_DELETE:
        op->job = r[1] % QS_JOB_VOCAB;
        op->tag = r[2] % QS_TAG_VOCAB;
        op->vmstate = r[3] % QS_NODE_VOCAB;
        op->ndevices = r[4] & 3;
        op->devices[0] = (r[4] >> 2) & 7;
        op->devices[1] = (r[4] >> 5) & 7;
        op->devices[2] = r[5] & 7;
        /* Variants 0..22 are normal, so most commands are well formed. */
        {
            unsigned v = r[5] >> 3;
            op->variant = v < 23 ? QS_VARIANT_NORMAL : (QsVariant)(1 + (v - 23) % (QS_VARIANT_COUNT - 1));
        }
        break;
    case QS_OP_DISMISS:
        op->job = r[1] % QS_JOB_VOCAB;
        break;
    case QS_OP_VERB:
        op->job = r[1] % QS_JOB_VOCAB;
        op->verb = r[2] % QS_VERB_VOCAB;
        break;
    case QS_OP_TICK:
        op->arg = (uint8_t)((r[1] % 4) * 15);
        break;
    case QS_OP_SERIAL: {
        static const uint8_t bytes[] = { 'r', 'h', 'x' };
        op->arg = bytes[r[1] % 3];
        break;
    }
    case QS_OP_DISKWRITE:
        op->arg = r[1] % QS_DISK_VOCAB;
        op->pattern = r[2];
        break;
    default:
        break;
    }
}

void qs_decode(const uint8_t *data, size_t size, QsProgram *program)
{
    program->count = 0;
    for (size_t off = 0; off + QS_RECORD_SIZE <= size && program->count < QS_MAX_OPS; off += QS_RECORD_SIZE)
        decode_record(data + off, &program->ops[program->count++]);
}

uint64_t qs_program_hash(const QsProgram *program)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the decoded fields */
#define MIX(x)                                                                                     \
    do {                                                                                           \
        h ^= (uint64_t)(x);                                                                        \
        h *= 1099511628211ull;                                                                     \
    } while (0)
    for (size_t i = 0; i < program->count; i++) {
        const QsOp *op = &program->ops[i];
        MIX(op->kind);
        MIX(op->job);
        MIX(op->tag);
        MIX(op->vmstate);
        MIX(op->ndevices);
        for (unsigned d = 0; d < op->ndevices; d++)
            MIX(op->devices[d]);
        MIX(op->variant);
        MIX(op->verb);
        MIX(op->arg);
        MIX(op->pattern);
    }
#undef MIX
    return h;
}

void qs_format_op(const QsOp *op, char *buf, size_t size)
{
    switch (op->kind) {
    case QS_OP_SAVE:
    case QS_OP_LOAD:
    case QS_OP_DELETE: {
        char devs[64] = "";
        for (unsigned d = 0; d < op->ndevices; d++) {
            size_t len = strlen(devs);
            snprintf(devs + len, sizeof(devs) - len, "%s\"%s\"", d ? "," : "", qs_node_name(op->devices[d]));
        }
        const char *tag = qs_tag(op->tag);
        snprintf(buf, size, "%s job='%s' tag='%.12s%s' vmstate='%s' devices=[%s] variant=%d", qs_op_name(op->kind),
                 qs_job_id(op->job), tag, strlen(tag) > 12 ? "...(300 bytes)" : "", qs_node_name(op->vmstate), devs,
                 (int)op->variant);
        break;
    }
    case QS_OP_DISMISS:
        snprintf(buf, size, "job-dismiss id='%s'", qs_job_id(op->job));
        break;
    case QS_OP_VERB:
        snprintf(buf, size, "%s id='%s'", qs_verb(op->verb), qs_job_id(op->job));
        break;
    case QS_OP_TICK:
        snprintf(buf, size, "tick %u ms", op->arg);
        break;
    case QS_OP_SERIAL:
        snprintf(buf, size, "serial '%c'", op->arg);
        break;
    case QS_OP_DISKWRITE:
        snprintf(buf, size, "qemu-io -d %s write -P 0x%02x", qs_disk_qdev(op->arg), op->pattern);
        break;
    default:
        snprintf(buf, size, "%s", qs_op_name(op->kind));
    }
}

/* A small deterministic PRNG for the mutator (libFuzzer passes the seed). */
static unsigned next_rand(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

size_t qs_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                 size_t (*mutate)(uint8_t *data, size_t size, size_t max_size))
{
    unsigned rs = seed;
    size_t max_records = max_size / QS_RECORD_SIZE;
    if (max_records > QS_MAX_OPS)
        max_records = QS_MAX_OPS;
    size_t n = size / QS_RECORD_SIZE;
    if (n > max_records)
        n = max_records;
    size = n * QS_RECORD_SIZE;
    if (max_records == 0)
        return 0;

    switch (n == 0 ? 0 : next_rand(&rs) % 6) {
    case 0: /* insert a random record */
        if (n < max_records) {
            size_t at = n ? next_rand(&rs) % (n + 1) : 0;
            memmove(data + (at + 1) * QS_RECORD_SIZE, data + at * QS_RECORD_SIZE, (n - at) * QS_RECORD_SIZE);
            for (size_t i = 0; i < QS_RECORD_SIZE; i++)
                data[at * QS_RECORD_SIZE + i] = (uint8_t)next_rand(&rs);
            return size + QS_RECORD_SIZE;
        }
        /* fall through */
    case 1: /* delete a record */
        if (n > 1) {
            size_t at = next_rand(&rs) % n;
            memmove(data + at * QS_RECORD_SIZE, data + (at + 1) * QS_RECORD_SIZE, (n - at - 1) * QS_RECORD_SIZE);
            return size - QS_RECORD_SIZE;
        }
        /* fall through */
    case 2: /* duplicate a record (same job id, tag, devices: reuse cases) */
        if (n < max_records) {
            size_t from = next_rand(&rs) % n, at = next_rand(&rs) % (n + 1);
            uint8_t rec[QS_RECORD_SIZE];
            memcpy(rec, data + from * QS_RECORD_SIZE, QS_RECORD_SIZE);
            memmove(data + (at + 1) * QS_RECORD_SIZE, data + at * QS_RECORD_SIZE, (n - at) * QS_RECORD_SIZE);
            memcpy(data + at * QS_RECORD_SIZE, rec, QS_RECORD_SIZE);
            return size + QS_RECORD_SIZE;
        }
        /* fall through */
    case 3: { /* swap two records */
        size_t a = next_rand(&rs) % n, b = next_rand(&rs) % n;
        uint8_t rec[QS_RECORD_SIZE];
        memcpy(rec, data + a * QS_RECORD_SIZE, QS_RECORD_SIZE);
        memcpy(data + a * QS_RECORD_SIZE, data + b * QS_RECORD_SIZE, QS_RECORD_SIZE);
        memcpy(data + b * QS_RECORD_SIZE, rec, QS_RECORD_SIZE);
        return size;
    }
    case 4: { /* rewrite one field */
        size_t at = next_rand(&rs) % n;
        data[at * QS_RECORD_SIZE + next_rand(&rs) % QS_RECORD_SIZE] = (uint8_t)next_rand(&rs);
        return size;
    }
    default: { /* libFuzzer's byte mutations inside one record */
        size_t at = next_rand(&rs) % n;
        uint8_t rec[QS_RECORD_SIZE * 2];
        memcpy(rec, data + at * QS_RECORD_SIZE, QS_RECORD_SIZE);
        size_t got = mutate(rec, QS_RECORD_SIZE, sizeof(rec));
        if (got >= QS_RECORD_SIZE)
            memcpy(data + at * QS_RECORD_SIZE, rec, QS_RECORD_SIZE);
        return size;
    }
    }
}
