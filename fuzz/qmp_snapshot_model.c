/* fuzz_qmp_snapshot's model of docs/snapshot-jobs.md (see the header). Section numbers in comments
 * are the spec's. */
#include "qmp_snapshot_model.h"

#include <stdio.h>
#include <string.h>

#include "qemu-deviations.h"
#include "qemu-snapshot-errors.h"

/* Node kinds, in the order of the node vocabulary (qmp_snapshot_input.c). */
static const QsNodeKind node_kinds[QS_NODE_VOCAB] = {
    QS_NODE_QCOW2, QS_NODE_QCOW2, QS_NODE_RAW, QS_NODE_PROTOCOL,
    QS_NODE_MISSING, QS_NODE_MISSING, QS_NODE_PROTOCOL, QS_NODE_PROTOCOL,
};

static GHashTable *tolerated;

QsNodeKind qs_node_kind(unsigned node) { return node_kinds[node % QS_NODE_VOCAB]; }

const char *qs_run_state_name(QsRunState run)
{
    switch (run) {
    case QS_RUN_RUNNING: return "running";
    case QS_RUN_PAUSED: return "paused";
    case QS_RUN_RESTORE_VM: return "restore-vm";
    case QS_RUN_PRELAUNCH: return "prelaunch";
    }
    return "?";
}

const char *const qs_model_switches[] = {"D2", "D3", "D4", "D5", "D6", "D9", NULL};

static void tolerate(const char *id)
{
    if (!tolerated)
        tolerated = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(tolerated, (gpointer)id);
}

gboolean qs_model_tolerated(const char *id)
{
    return tolerated && g_hash_table_contains(tolerated, id);
}

gboolean qs_model_tolerate_release(int major, int minor, const char *const *strict, GError **error)
{
    gboolean all = FALSE;
    for (const char *const *id = strict; id && *id; id++) {
        if (!**id)
            continue;
        all |= strcmp(*id, "all") == 0;
        if (strcmp(*id, "all") != 0 && !spp_qemu_deviation_find(*id)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "'%s' is no deviation of docs/snapshot-jobs.md §8", *id);
            return FALSE;
        }
    }
    for (const char *const *id = qs_model_switches; *id; id++) {
        const SppQemuDeviation *deviation = spp_qemu_deviation_find(*id);
        if (!deviation) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                        "the model's switch %s is not in the registry of deviations", *id);
            return FALSE;
        }
        if (spp_qemu_deviation_in_release(deviation, major, minor) && !all &&
            !(strict && g_strv_contains(strict, *id)))
            tolerate(*id);
    }
    return TRUE;
}

static void snap_free(gpointer p)
{
    QsSnap *s = p;
    g_free(s->name);
    g_free(s);
}

static void job_free(gpointer p)
{
    QsJob *j = p;
    g_free(j->id);
    g_free(j->error);
    g_free(j);
}

QsModel *qs_model_new(void)
{
    QsModel *m = g_new0(QsModel, 1);
    for (unsigned i = 0; i < QS_NODE_VOCAB; i++)
        m->snaps[i] = g_ptr_array_new_with_free_func(snap_free);
    m->jobs = g_ptr_array_new_with_free_func(job_free);
    m->run = QS_RUN_RUNNING;
    return m;
}

void qs_model_clear(QsModel *m)
{
    for (unsigned i = 0; i < QS_NODE_VOCAB; i++)
        g_ptr_array_set_size(m->snaps[i], 0);
    g_ptr_array_set_size(m->jobs, 0);
    m->run = QS_RUN_RUNNING;
}

void qs_prediction_clear(QsPrediction *p)
{
    g_free(p->sync_error);
    g_free(p->job_error);
    g_free(p->trace);
    memset(p, 0, sizeof(*p));
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* §2.2: first character a letter, then letters, digits, '-', '.', '_'. */
static gboolean id_wellformed(const char *id)
{
    if (!g_ascii_isalpha(id[0]))
        return FALSE;
    for (const char *c = id + 1; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("-._", *c))
            return FALSE;
    return TRUE;
}

static QsJob *find_job(QsModel *m, const char *id)
{
    for (guint k = 0; k < m->jobs->len; k++) {
        QsJob *j = g_ptr_array_index(m->jobs, k);
        if (strcmp(j->id, id) == 0)
            return j;
    }
    return NULL;
}

/* First snapshot of the node whose stored name equals name (QEMU compares the full tag, §8/D4). */
static int find_by_name(QsModel *m, unsigned node, const char *name)
{
    GPtrArray *a = m->snaps[node];
    for (guint k = 0; k < a->len; k++)
        if (strcmp(((QsSnap *)g_ptr_array_index(a, k))->name, name) == 0)
            return (int)k;
    return -1;
}

/* qcow2's revert lookup: by id first, then by name (§8/D5). */
static int find_by_id_or_name(QsModel *m, unsigned node, const char *tag)
{
    GPtrArray *a = m->snaps[node];
    for (guint k = 0; k < a->len; k++) {
        char id[16];
        snprintf(id, sizeof(id), "%u", ((QsSnap *)g_ptr_array_index(a, k))->id);
        if (strcmp(id, tag) == 0)
            return (int)k;
    }
    return find_by_name(m, node, tag);
}

static unsigned next_id(QsModel *m, unsigned node)
{
    unsigned max = 0;
    for (guint k = 0; k < m->snaps[node]->len; k++)
        max = MAX(max, ((QsSnap *)g_ptr_array_index(m->snaps[node], k))->id);
    return max + 1;
}

static const char *job_type(QsOpKind kind)
{
    return kind == QS_OP_SAVE ? "snapshot-save" : kind == QS_OP_LOAD ? "snapshot-load" : "snapshot-delete";
}

/* §3.4 to §3.6: the QAPI visitor checks members in schema order, then unexpected members. */
static char *argument_error(const QsOp *op)
{
    gboolean has_vmstate = op->kind != QS_OP_DELETE;
    switch (op->variant) {
    case QS_VARIANT_NORMAL:
        return NULL;
    case QS_VARIANT_NO_JOB_ID:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_MISSING, "job-id");
    case QS_VARIANT_NO_TAG:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_MISSING, "tag");
    case QS_VARIANT_TAG_NUMBER:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_TYPE, "tag", "string");
    case QS_VARIANT_NO_VMSTATE:
        /* For delete the variant *adds* vmstate, which is unexpected (§3.5). */
        return g_strdup_printf(has_vmstate ? SPP_QEMU_ERR_PARAMETER_MISSING : SPP_QEMU_ERR_PARAMETER_UNEXPECTED, "vmstate");
    case QS_VARIANT_NO_DEVICES:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_MISSING, "devices");
    case QS_VARIANT_DEVICES_STRING:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_TYPE, "devices", "array");
    case QS_VARIANT_DEVICE_NUMBER:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_TYPE, "devices[0]", "string");
    case QS_VARIANT_EXTRA_FOO:
        return g_strdup_printf(SPP_QEMU_ERR_PARAMETER_UNEXPECTED, "foo");
    default:
        return NULL;
    }
}

/* §5.3 to §5.5, the device checks shared by the three commands (§5.1). */
static char *device_error(const QsOp *op, const char **req)
{
    if (op->ndevices == 0) {
        *req = "§5.3";
        return g_strdup(SPP_QEMU_ERR_NO_DEVICES);
    }
    for (unsigned d = 0; d < op->ndevices; d++)
        if (qs_node_kind(op->devices[d]) == QS_NODE_MISSING) {
            *req = "§5.4";
            return g_strdup_printf(SPP_QEMU_ERR_NO_NODE, qs_node_name(op->devices[d]));
        }
    for (unsigned d = 0; d < op->ndevices; d++)
        if (qs_node_kind(op->devices[d]) != QS_NODE_QCOW2) {
            *req = "§5.5";
            return g_strdup_printf(SPP_QEMU_ERR_CANNOT_SNAPSHOT, qs_node_name(op->devices[d]));
        }
    return NULL;
}

static gboolean vmstate_listed(const QsOp *op)
{
    for (unsigned d = 0; d < op->ndevices; d++)
        if (strcmp(qs_node_name(op->devices[d]), qs_node_name(op->vmstate)) == 0)
            return TRUE;
    return FALSE;
}

static gboolean listed_before(const QsOp *op, unsigned d)
{
    for (unsigned e = 0; e < d; e++)
        if (op->devices[e] == op->devices[d])
            return TRUE;
    return FALSE;
}

/* ---- the three commands ------------------------------------------------------------------- */

static char *save(QsModel *m, const QsOp *op, const char **req)
{
    const char *tag = qs_tag(op->tag);
    char *err = device_error(op, req);
    if (err)
        return err;
    /* §5.6; QEMU only detects a tag present on every listed device (§8/D2). */
    unsigned have = 0;
    for (unsigned d = 0; d < op->ndevices; d++)
        have += find_by_name(m, op->devices[d], tag) >= 0;
    if (qs_model_tolerated("D2") ? have == op->ndevices : have > 0) {
        *req = qs_model_tolerated("D2") && have == op->ndevices ? "§5.6 (with §8/D2)" : "§5.6";
        return g_strdup_printf(SPP_QEMU_ERR_TAG_EXISTS, tag);
    }
    if (!vmstate_listed(op)) {
        *req = "§5.7";
        return g_strdup_printf(SPP_QEMU_ERR_VMSTATE_NOT_LISTED, qs_node_name(op->vmstate));
    }
    /* §6.1, §6.2: every listed device gets the tag; the vmstate node's carries the VM state. A node
     * listed twice gets two snapshots (§8/D3); names are truncated to 255 bytes (§8/D4). */
    m->active_area[op->vmstate] = TRUE; /* the state is written to the active image first */
    for (unsigned d = 0; d < op->ndevices; d++) {
        unsigned node = op->devices[d];
        if (!qs_model_tolerated("D3") && listed_before(op, d))
            continue;
        QsSnap *s = g_new0(QsSnap, 1);
        s->name = qs_model_tolerated("D4") ? g_strndup(tag, 255) : g_strdup(tag);
        s->id = next_id(m, node);
        s->vm = node == op->vmstate;
        s->area = m->active_area[node];
        if (s->vm)
            m->active_area[node] = FALSE; /* discarded once the snapshot holds it */
        g_ptr_array_add(m->snaps[node], s);
    }
    *req = "§6.1";
    return NULL;
}

/* Returns the error; *loadvm is set when the error is a VM-state load failure (§5.10). */
static char *load(QsModel *m, const QsOp *op, const char **req, gboolean *loadvm)
{
    const char *tag = qs_tag(op->tag);
    char *err = device_error(op, req);
    if (err)
        return err;
    for (unsigned d = 0; d < op->ndevices; d++)
        if (find_by_name(m, op->devices[d], tag) < 0) {
            *req = "§5.8";
            return g_strdup_printf(SPP_QEMU_ERR_TAG_MISSING, tag);
        }
    if (!vmstate_listed(op)) {
        *req = "§5.7";
        return g_strdup_printf(SPP_QEMU_ERR_VMSTATE_NOT_LISTED, qs_node_name(op->vmstate));
    }
    QsSnap *named = g_ptr_array_index(m->snaps[op->vmstate], find_by_name(m, op->vmstate, tag));
    if (!named->vm) {
        *req = "§5.9";
        return g_strdup(SPP_QEMU_ERR_DISK_ONLY);
    }
    /* The revert picks a snapshot whose id equals the tag before one named so (§8/D5); the VM state
     * read afterwards is that snapshot's, and an empty one fails to load (§5.10, §8/D10). */
    QsSnap *chosen = NULL;
    for (unsigned d = 0; d < op->ndevices; d++) {
        unsigned node = op->devices[d];
        int k = qs_model_tolerated("D5") ? find_by_id_or_name(m, node, tag) : find_by_name(m, node, tag);
        QsSnap *s = g_ptr_array_index(m->snaps[node], k);
        m->active_area[node] = s->area;
        if (node == op->vmstate)
            chosen = s;
    }
    if (!chosen->area) {
        *req = chosen == named ? "§5.10 (with §8/D3, §8/D6)" : "§5.10 (with §8/D5)";
        *loadvm = TRUE;
        return g_strdup_printf(SPP_QEMU_ERR_LOADVM, -22);
    }
    *req = chosen == named ? "§6.4" : "§6.4 (with §8/D5)";
    return NULL;
}

static char *delete(QsModel *m, const QsOp *op, const char **req)
{
    const char *tag = qs_tag(op->tag);
    char *err = device_error(op, req);
    if (err)
        return err;
    /* §5.12: a missing tag is no error. §6.6; one delete removes one copy per listing (§8/D6). */
    for (unsigned d = 0; d < op->ndevices; d++) {
        unsigned node = op->devices[d];
        int k;
        while ((k = find_by_name(m, node, tag)) >= 0) {
            g_ptr_array_remove_index(m->snaps[node], (guint)k);
            if (qs_model_tolerated("D6"))
                break;
        }
    }
    *req = "§6.6";
    return NULL;
}

static void snapshot_command(QsModel *m, const QsOp *op, QsPrediction *p)
{
    const char *job_id = qs_job_id(op->job);
    /* §3.1 to §3.6: synchronous errors create no job. */
    p->sync_error = argument_error(op);
    if (p->sync_error) {
        p->req = "§3.4-§3.6";
        return;
    }
    if (!id_wellformed(job_id)) {
        p->sync_error = g_strdup_printf(SPP_QEMU_ERR_INVALID_JOB_ID, job_id);
        p->req = "§3.2";
        return;
    }
    if (find_job(m, job_id)) {
        p->sync_error = g_strdup_printf(SPP_QEMU_ERR_JOB_ID_IN_USE, job_id);
        p->req = "§3.3";
        return;
    }
    /* §3.7: everything else is a job. */
    p->job = TRUE;
    gboolean running = m->run == QS_RUN_RUNNING;
    gboolean loadvm = FALSE;
    const char *req = NULL;
    char *err;
    GString *trace = g_string_new("created running");
    switch (op->kind) {
    case QS_OP_SAVE:
        err = save(m, op, &req);
        /* §4.3, §4.4, §4.5, §6.3: a save stops a running VM only after its checks. */
        if (!err && running)
            g_string_append(trace, " STOP RESUME");
        break;
    case QS_OP_LOAD:
        err = load(m, op, &req, &loadvm);
        /* §4.3, §4.6, §6.5, §6.9: a load stops a running VM first and restarts it only on
         * success; a failed check leaves it in restore-vm (§8/D9). */
        if (running) {
            g_string_append(trace, " STOP");
            if (!err || (!loadvm && !qs_model_tolerated("D9")))
                g_string_append(trace, " RESUME");
            else
                m->run = QS_RUN_RESTORE_VM;
        }
        break;
    default:
        err = delete(m, op, &req);
        break;
    }
    g_string_append(trace, err ? " aborting concluded" : " waiting pending concluded");
    p->trace = g_string_free(trace, FALSE);
    p->job_error = err;
    p->job_error_loadvm = loadvm;
    p->req = req;
    /* §4.10: newest first; §4.13: the id stays in use until dismissed. */
    QsJob *j = g_new0(QsJob, 1);
    j->id = g_strdup(job_id);
    j->type = job_type(op->kind);
    j->error = g_strdup(err);
    g_ptr_array_insert(m->jobs, 0, j);
}

void qs_model_step(QsModel *m, const QsOp *op, QsPrediction *p)
{
    memset(p, 0, sizeof(*p));
    switch (op->kind) {
    case QS_OP_SAVE:
    case QS_OP_LOAD:
    case QS_OP_DELETE:
        snapshot_command(m, op, p);
        break;
    case QS_OP_DISMISS: {
        /* §4.11 */
        QsJob *j = find_job(m, qs_job_id(op->job));
        p->req = "§4.11";
        if (!j)
            p->sync_error = g_strdup(SPP_QEMU_ERR_JOB_NOT_FOUND);
        else
            g_ptr_array_remove(m->jobs, j);
        break;
    }
    case QS_OP_VERB: {
        /* §4.12: every job the model holds is concluded. */
        const char *id = qs_job_id(op->job);
        p->req = "§4.12";
        if (!find_job(m, id)) {
            p->sync_error = g_strdup(SPP_QEMU_ERR_JOB_NOT_FOUND);
            p->req = "§4.11";
        } else if (op->verb == 3) {
            p->sync_error = g_strdup(SPP_QEMU_ERR_JOB_NOT_PAUSED);
        } else {
            static const char *const verb_words[] = { "finalize", "cancel", "pause", "resume", "complete" };
            p->sync_error = g_strdup_printf(SPP_QEMU_ERR_JOB_VERB_REFUSED, id, "concluded", verb_words[op->verb % 5]);
        }
        break;
    }
    case QS_OP_STOP:
        /* A stop outside "running" changes nothing (restore-vm stays). */
        if (m->run == QS_RUN_RUNNING)
            m->run = QS_RUN_PAUSED;
        break;
    case QS_OP_CONT:
        m->run = QS_RUN_RUNNING;
        break;
    default:
        break;
    }
}
