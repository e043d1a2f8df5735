#include "qmp-jobs.h"

#include <string.h>

void spp_qmp_job_info_free(SppQmpJobInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->id);
    g_free(info->type);
    g_free(info->status);
    g_free(info->error);
    g_free(info);
}

void spp_qmp_job_run_free(SppQmpJobRun *run)
{
    if (run == NULL)
        return;
    g_free(run->job_id);
    g_clear_error(&run->refused);
    g_ptr_array_unref(run->trace);
    g_free(run);
}

/* The word an event adds to the run's trace, or NULL when it is not traced. */
static const char *trace_word(const SppQmpJobRun *run, const SppQmpEvent *event, const SppQmpJobWatch *watch)
{
    if (strcmp(event->name, "JOB_STATUS_CHANGE") == 0) {
        if (event->data == NULL || !JSON_NODE_HOLDS_OBJECT(event->data))
            return NULL;
        JsonObject *data = json_node_get_object(event->data);
        if (g_strcmp0(json_object_get_string_member_with_default(data, "id", ""), run->job_id) != 0)
            return NULL;
        return json_object_get_string_member_with_default(data, "status", "?");
    }
    if (watch != NULL && watch->traced != NULL && g_strv_contains(watch->traced, event->name))
        return event->name;
    return NULL;
}

/* Moves queued events into the trace until the job's "concluded". */
static void record_queued(SppQmpClient *client, SppQmpJobRun *run, const SppQmpJobWatch *watch)
{
    while (!run->concluded) {
        g_autoptr(SppQmpEvent) event = spp_qmp_client_pop_event(client);
        if (event == NULL)
            return;
        if (watch != NULL && watch->observe != NULL)
            watch->observe(event, watch->user_data);
        const char *word = trace_word(run, event, watch);
        if (word == NULL)
            continue;
        g_ptr_array_add(run->trace, g_strdup(word));
        /* Only the job's own status can conclude it, not an event that happens to be named so. */
        run->concluded = strcmp(word, "concluded") == 0 && strcmp(event->name, "JOB_STATUS_CHANGE") == 0;
    }
}

SppQmpJobRun *spp_qmp_job_execute(SppQmpClient *client, const char *command, JsonNode *arguments,
                                  const char *job_id, const SppQmpJobWatch *watch, gint64 timeout_ms,
                                  GError **error)
{
    g_ptr_array_unref(spp_qmp_client_drain_events(client));
    GError *reply_error = NULL;
    JsonNode *result = spp_qmp_client_execute(client, command, arguments, timeout_ms, &reply_error);
    if (result != NULL)
        json_node_unref(result);
    else if (reply_error->domain != SPP_QMP_COMMAND_ERROR) {
        g_propagate_error(error, reply_error);
        return NULL;
    }
    SppQmpJobRun *run = g_new0(SppQmpJobRun, 1);
    run->job_id = g_strdup(job_id);
    run->refused = reply_error;
    run->trace = g_ptr_array_new_with_free_func(g_free);
    /* Whatever is queued now arrived before the reply: the client stops reading at the reply. */
    record_queued(client, run, watch);
    run->before_return = run->trace->len;
    return run;
}

gboolean spp_qmp_job_wait_concluded(SppQmpClient *client, SppQmpJobRun *run, const SppQmpJobWatch *watch,
                                    gint64 timeout_ms, GError **error)
{
    gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + timeout_ms * 1000;
    for (;;) {
        record_queued(client, run, watch);
        if (run->refused != NULL || run->concluded)
            return TRUE;
        gint64 left_ms = deadline < 0 ? -1 : (deadline - g_get_monotonic_time()) / 1000;
        if (deadline >= 0 && left_ms <= 0) {
            g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_TIMEOUT,
                        "job '%s' did not conclude within %" G_GINT64_FORMAT " ms", run->job_id, timeout_ms);
            return FALSE;
        }
        if (spp_qmp_client_pump(client, left_ms, error) < 0) {
            g_prefix_error(error, "job '%s' did not conclude: ", run->job_id);
            return FALSE;
        }
    }
}

char *spp_qmp_job_run_trace(const SppQmpJobRun *run, gboolean mark_return)
{
    GString *text = g_string_new(NULL);
    for (guint i = 0; i <= run->trace->len; i++) {
        if (mark_return && i == run->before_return && run->refused == NULL)
            g_string_append(text, text->len ? " return" : "return");
        if (i < run->trace->len)
            g_string_append_printf(text, "%s%s", text->len ? " " : "", (const char *)run->trace->pdata[i]);
    }
    return g_string_free(text, FALSE);
}

SppQmpJobRun *spp_qmp_job_dismiss(SppQmpClient *client, const char *job_id, const SppQmpJobWatch *watch,
                                  gint64 timeout_ms, GError **error)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "id");
    json_builder_add_string_value(builder, job_id);
    json_builder_end_object(builder);
    g_autoptr(JsonNode) arguments = json_builder_get_root(builder);
    return spp_qmp_job_execute(client, "job-dismiss", arguments, job_id, watch, timeout_ms, error);
}

/* A command whose "return" must be an array: the array node, or NULL with error. */
static JsonNode *execute_for_array(SppQmpClient *client, const char *command, const char *arguments_json,
                                   gint64 timeout_ms, GError **error)
{
    JsonNode *result = spp_qmp_client_execute_json(client, command, arguments_json, timeout_ms, error);
    if (result != NULL && !JSON_NODE_HOLDS_ARRAY(result)) {
        g_set_error(error, SPP_QMP_ERROR, SPP_QMP_ERROR_PROTOCOL, "%s: the return is not an array", command);
        json_node_unref(result);
        return NULL;
    }
    return result;
}

/* Element i of array if it is an object, else NULL. */
static JsonObject *object_at(JsonArray *array, guint i)
{
    JsonNode *element = json_array_get_element(array, i);
    return JSON_NODE_HOLDS_OBJECT(element) ? json_node_get_object(element) : NULL;
}

static char *string_member(JsonObject *object, const char *name)
{
    JsonNode *member = json_object_get_member(object, name);
    if (member == NULL || !JSON_NODE_HOLDS_VALUE(member) || json_node_get_value_type(member) != G_TYPE_STRING)
        return NULL;
    return g_strdup(json_node_get_string(member));
}

GPtrArray *spp_qmp_job_query(SppQmpClient *client, gint64 timeout_ms, GError **error)
{
    g_autoptr(JsonNode) result = execute_for_array(client, "query-jobs", NULL, timeout_ms, error);
    if (result == NULL)
        return NULL;
    JsonArray *array = json_node_get_array(result);
    GPtrArray *jobs = g_ptr_array_new_with_free_func((GDestroyNotify)spp_qmp_job_info_free);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonObject *entry = object_at(array, i);
        if (entry == NULL)
            continue;
        SppQmpJobInfo *info = g_new0(SppQmpJobInfo, 1);
        info->id = g_strdup(json_object_get_string_member_with_default(entry, "id", ""));
        info->type = g_strdup(json_object_get_string_member_with_default(entry, "type", ""));
        info->status = g_strdup(json_object_get_string_member_with_default(entry, "status", ""));
        info->error = string_member(entry, "error");
        info->current_progress = json_object_get_int_member_with_default(entry, "current-progress", -1);
        info->total_progress = json_object_get_int_member_with_default(entry, "total-progress", -1);
        g_ptr_array_add(jobs, info);
    }
    return jobs;
}

const SppQmpJobInfo *spp_qmp_job_find(const GPtrArray *jobs, const char *id)
{
    for (guint i = 0; i < jobs->len; i++) {
        const SppQmpJobInfo *info = jobs->pdata[i];
        if (g_strcmp0(info->id, id) == 0)
            return info;
    }
    return NULL;
}

static void snapshot_free(gpointer data)
{
    SppQmpSnapshot *snapshot = data;
    g_free(snapshot->name);
    g_free(snapshot->id);
    g_free(snapshot);
}

static void node_snapshots_free(gpointer data)
{
    SppQmpNodeSnapshots *node = data;
    g_free(node->node_name);
    g_ptr_array_unref(node->snapshots);
    g_free(node);
}

/* A member that is an object (or array), or NULL: json-glib's getters complain about absent ones. */
static JsonNode *member_of_type(JsonObject *object, const char *name, JsonNodeType type)
{
    JsonNode *member = object != NULL ? json_object_get_member(object, name) : NULL;
    return member != NULL && JSON_NODE_TYPE(member) == type ? member : NULL;
}

/* The node's image's "snapshots" (absent for raw and protocol nodes). */
static GPtrArray *snapshots_of(JsonObject *node)
{
    GPtrArray *snapshots = g_ptr_array_new_with_free_func(snapshot_free);
    JsonNode *image = member_of_type(node, "image", JSON_NODE_OBJECT);
    JsonNode *list = image != NULL ? member_of_type(json_node_get_object(image), "snapshots", JSON_NODE_ARRAY) : NULL;
    JsonArray *array = list != NULL ? json_node_get_array(list) : NULL;
    for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
        JsonObject *entry = object_at(array, i);
        if (entry == NULL)
            continue;
        SppQmpSnapshot *snapshot = g_new0(SppQmpSnapshot, 1);
        snapshot->name = g_strdup(json_object_get_string_member_with_default(entry, "name", ""));
        snapshot->id = g_strdup(json_object_get_string_member_with_default(entry, "id", ""));
        snapshot->vm_state_size = (guint64)MAX(json_object_get_int_member_with_default(entry, "vm-state-size", 0), 0);
        g_ptr_array_add(snapshots, snapshot);
    }
    return snapshots;
}

GPtrArray *spp_qmp_node_snapshots_query(SppQmpClient *client, gint64 timeout_ms, GError **error)
{
    g_autoptr(JsonNode) result =
        execute_for_array(client, "query-named-block-nodes", "{\"flat\": true}", timeout_ms, error);
    if (result == NULL)
        return NULL;
    JsonArray *array = json_node_get_array(result);
    GPtrArray *nodes = g_ptr_array_new_with_free_func(node_snapshots_free);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonObject *entry = object_at(array, i);
        if (entry == NULL)
            continue;
        SppQmpNodeSnapshots *node = g_new0(SppQmpNodeSnapshots, 1);
        node->node_name = g_strdup(json_object_get_string_member_with_default(entry, "node-name", ""));
        node->snapshots = snapshots_of(entry);
        g_ptr_array_add(nodes, node);
    }
    return nodes;
}

const SppQmpNodeSnapshots *spp_qmp_node_snapshots_find(const GPtrArray *nodes, const char *node_name)
{
    for (guint i = 0; i < nodes->len; i++) {
        const SppQmpNodeSnapshots *node = nodes->pdata[i];
        if (g_strcmp0(node->node_name, node_name) == 0)
            return node;
    }
    return NULL;
}
