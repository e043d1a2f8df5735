#include "report.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "expectations.h"

static char *case_id(const VcCase *c)
{
    return g_strdup_printf("%s.%s", c->suite, c->name);
}

/* TRUE when the results come from more than one QEMU */
static gboolean several_targets(GPtrArray *results)
{
    for (guint i = 0; i < results->len; i++)
        if (((const VcResult *)g_ptr_array_index(results, i))->target_index > 0)
            return TRUE;
    return FALSE;
}

static char *citation(const VcCase *c)
{
    return g_strdup_printf("%s §%s", c->doc, c->section);
}

/* TAP descriptions may not contain '#' unescaped (it starts a directive). */
static char *tap_escape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        if (*s == '#' || *s == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *s == '\n' ? ' ' : *s);
    }
    return g_string_free(out, FALSE);
}

static void yaml_pair(FILE *out, const char *key, const char *value)
{
    if (!value)
        return;
    if (!strchr(value, '\n')) {
        /* A double-quoted scalar: escape '"', '\\' and control bytes; UTF-8 passes through. */
        GString *esc = g_string_new(NULL);
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
            if (*p == '"' || *p == '\\')
                g_string_append_printf(esc, "\\%c", *p);
            else if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(esc, "\\x%02x", *p);
            else
                g_string_append_c(esc, (char)*p);
        }
        fprintf(out, "  %s: \"%s\"\n", key, esc->str);
        g_string_free(esc, TRUE);
        return;
    }
    fprintf(out, "  %s: |\n", key);
    g_auto(GStrv) lines = g_strsplit(value, "\n", -1);
    for (char **l = lines; *l; l++)
        fprintf(out, "    %s\n", *l);
}

void vc_tap_begin(FILE *out, unsigned planned)
{
    fprintf(out, "TAP version 14\n1..%u\n", planned);
    fflush(out);
}

void vc_tap_result(FILE *out, unsigned number, const VcResult *r, gboolean show_target)
{
    g_autofree char *id = case_id(r->c);
    g_autofree char *cite = citation(r->c);
    g_autofree char *shown = show_target ? g_strdup_printf("%s: %s", r->target, id) : g_strdup(id);
    g_autofree char *desc = tap_escape(shown);
    gboolean ok = r->status == VC_STATUS_PASS || r->status == VC_STATUS_SKIP;
    fprintf(out, "%s %u - %s", ok ? "ok" : "not ok", number, desc);
    if (r->status == VC_STATUS_SKIP) {
        g_autofree char *why = tap_escape(r->message ? r->message : "");
        fprintf(out, " # SKIP %s", why);
    } else if (r->known_deviation) {
        g_autofree char *why = tap_escape(r->known_deviation);
        fprintf(out, " # TODO known deviation: %s", why);
    }
    fputc('\n', out);

    fprintf(out, "  ---\n");
    yaml_pair(out, "requirement", cite);
    yaml_pair(out, "checks", r->c->summary);
    yaml_pair(out, "status", vc_status_name(r->status));
    if (r->status != VC_STATUS_PASS && r->status != VC_STATUS_SKIP) {
        yaml_pair(out, "spec_requires", r->required);
        yaml_pair(out, "got", r->message);
    }
    for (guint i = 0; i + 1 < r->diag->len; i += 2)
        yaml_pair(out, g_ptr_array_index(r->diag, i), g_ptr_array_index(r->diag, i + 1));
    fprintf(out, "  duration_ms: %.0f\n  ...\n", r->seconds * 1000);
    fflush(out);
}

typedef struct {
    char *key;
    unsigned pass, fail, skip, todo;
} SectionTally;

void vc_print_summary(FILE *out, GPtrArray *results)
{
    GPtrArray *rows = g_ptr_array_new();
    GHashTable *by_key = g_hash_table_new(g_str_hash, g_str_equal); /* rows owns the tallies */
    unsigned pass = 0, fail = 0, skip = 0, todo = 0;
    gboolean by_target = several_targets(results);
    for (guint i = 0; i < results->len; i++) {
        const VcResult *r = g_ptr_array_index(results, i);
        g_autofree char *key = by_target ? g_strdup_printf("%s %s %s §%s", r->target, r->c->suite, r->c->doc, r->c->section)
                                         : g_strdup_printf("%s %s §%s", r->c->suite, r->c->doc, r->c->section);
        SectionTally *t = g_hash_table_lookup(by_key, key);
        if (!t) {
            t = g_new0(SectionTally, 1);
            t->key = g_steal_pointer(&key);
            g_hash_table_insert(by_key, t->key, t);
            g_ptr_array_add(rows, t);
        }
        if (r->status == VC_STATUS_PASS)
            t->pass++, pass++;
        else if (r->status == VC_STATUS_SKIP)
            t->skip++, skip++;
        else if (r->known_deviation)
            t->todo++, todo++;
        else
            t->fail++, fail++;
    }
    fprintf(out, "# %-48s %5s %5s %5s %5s\n", "suite / requirement", "pass", "fail", "skip", "todo");
    for (guint i = 0; i < rows->len; i++) {
        SectionTally *t = g_ptr_array_index(rows, i);
        fprintf(out, "# %-48s %5u %5u %5u %5u\n", t->key, t->pass, t->fail, t->skip, t->todo);
    }
    fprintf(out, "# %-48s %5u %5u %5u %5u\n", "total", pass, fail, skip, todo);
    for (guint i = 0; i < results->len; i++) {
        const VcResult *r = g_ptr_array_index(results, i);
        if (r->known_deviation && r->status != VC_STATUS_PASS)
            fprintf(out, "# known deviation: %s%s%s.%s: %s\n", by_target ? r->target : "", by_target ? ": " : "",
                    r->c->suite, r->c->name, r->known_deviation);
    }
    g_hash_table_destroy(by_key);
    for (guint i = 0; i < rows->len; i++) {
        SectionTally *t = g_ptr_array_index(rows, i);
        g_free(t->key);
        g_free(t);
    }
    g_ptr_array_free(rows, TRUE);
    fflush(out);
}

static void xml_attr(GString *s, const char *name, const char *value)
{
    g_autofree char *esc = g_markup_escape_text(value ? value : "", -1);
    g_string_append_printf(s, " %s=\"%s\"", name, esc);
}

void vc_print_capture(FILE *out, const char *capture_path, const char *decoded)
{
    fprintf(out, "# capture: %s%s\n", capture_path, decoded ? ", decoded by tshark with spicepower:" : " (not decoded)");
    if (!decoded)
        return;
    g_auto(GStrv) lines = g_strsplit(decoded, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            fprintf(out, "#   %s\n", *l);
    fflush(out);
}

/* JUnit's suite of a result: "snapshot", or "qemu-10.0/snapshot" when the run had several QEMUs */
static char *junit_suite(const VcResult *r, gboolean by_target)
{
    return by_target ? g_strdup_printf("%s/%s", r->target, r->c->suite) : g_strdup(r->c->suite);
}

gboolean vc_write_junit(const char *path, GPtrArray *results, const char *endpoint, const char *decoded,
                        GError **error)
{
    gboolean by_target = several_targets(results);
    GString *s = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    xml_attr(s, "name", "vmconform");
    g_string_append(s, ">\n");
    g_autofree char *open_suite = NULL;
    for (guint i = 0; i <= results->len; i++) {
        const VcResult *r = i < results->len ? g_ptr_array_index(results, i) : NULL;
        g_autofree char *suite = r ? junit_suite(r, by_target) : NULL;
        if (open_suite && (!r || strcmp(open_suite, suite) != 0)) {
            /* JUnit keeps output per suite; the run's one capture goes with its last suite */
            if (!r && decoded) {
                g_autofree char *esc = g_markup_escape_text(decoded, -1);
                g_string_append_printf(s, "    <system-out>%s</system-out>\n", esc);
            }
            g_string_append(s, "  </testsuite>\n");
            g_clear_pointer(&open_suite, g_free);
        }
        if (!r)
            break;
        if (!open_suite) {
            unsigned tests = 0, failures = 0, skipped = 0;
            for (guint j = i; j < results->len; j++) {
                const VcResult *q = g_ptr_array_index(results, j);
                g_autofree char *qsuite = junit_suite(q, by_target);
                if (strcmp(qsuite, suite) != 0)
                    break;
                tests++;
                failures += vc_result_is_failure(q);
                skipped += q->status == VC_STATUS_SKIP || (q->known_deviation && q->status != VC_STATUS_PASS);
            }
            open_suite = g_strdup(suite);
            g_autofree char *host = g_strdup_printf("%s (%s)", r->target, endpoint);
            g_string_append(s, "  <testsuite");
            xml_attr(s, "name", suite);
            g_string_append_printf(s, " tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\"", tests,
                                   failures, skipped);
            xml_attr(s, "hostname", host);
            g_string_append(s, ">\n");
        }
        g_autofree char *classname = g_strdup_printf("%s.%s §%s", r->c->suite, r->c->doc, r->c->section);
        g_string_append(s, "    <testcase");
        xml_attr(s, "classname", classname);
        xml_attr(s, "name", r->c->name);
        g_string_append_printf(s, " time=\"%.3f\">\n", r->seconds);
        if (r->status == VC_STATUS_SKIP) {
            g_string_append(s, "      <skipped");
            xml_attr(s, "message", r->message);
            g_string_append(s, "/>\n");
        } else if (r->status != VC_STATUS_PASS && r->known_deviation) {
            g_autofree char *msg = g_strdup_printf("known deviation: %s", r->known_deviation);
            g_string_append(s, "      <skipped");
            xml_attr(s, "message", msg);
            g_string_append(s, "/>\n");
        } else if (r->status != VC_STATUS_PASS) {
            g_autofree char *body = g_strdup_printf("spec requires: %s\ngot: %s", r->required ? r->required : "-",
                                                    r->message ? r->message : "-");
            g_autofree char *esc = g_markup_escape_text(body, -1);
            g_string_append(s, "      <failure");
            xml_attr(s, "message", r->message);
            xml_attr(s, "type", vc_status_name(r->status));
            g_string_append_printf(s, ">%s</failure>\n", esc);
        }
        g_string_append(s, "    </testcase>\n");
    }
    g_string_append(s, "</testsuites>\n");
    gboolean ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
    g_string_free(s, TRUE);
    return ok;
}

/* A string member; none when value is NULL. */
static void json_member(JsonBuilder *b, const char *key, const char *value)
{
    if (!value)
        return;
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
}

static void json_case(JsonBuilder *b, const VcResult *r)
{
    json_builder_begin_object(b);
    json_member(b, "target", r->target);
    json_member(b, "suite", r->c->suite);
    json_member(b, "name", r->c->name);
    json_member(b, "spec", r->c->doc);
    json_member(b, "section", r->c->section);
    json_member(b, "checks", r->c->summary);
    json_member(b, "status", vc_status_name(r->status));
    json_builder_set_member_name(b, "seconds");
    json_builder_add_double_value(b, r->seconds);
    json_member(b, "spec_requires", r->required);
    if (r->cited.doc) {
        /* The same requirement as spec_requires, in parts, with where the case cites it. */
        json_builder_set_member_name(b, "spec_requires_citation");
        json_builder_begin_object(b);
        json_member(b, "spec", r->cited.doc);
        json_member(b, "section", r->cited.section);
        json_member(b, "text", r->cited.text);
        json_member(b, "source", r->cited.source);
        json_builder_end_object(b);
    }
    json_member(b, r->status == VC_STATUS_SKIP ? "skip_reason" : "got", r->message);
    json_member(b, "known_deviation", r->known_deviation);
    json_builder_set_member_name(b, "diagnostics");
    json_builder_begin_object(b);
    for (guint j = 0; j + 1 < r->diag->len; j += 2)
        json_member(b, g_ptr_array_index(r->diag, j), g_ptr_array_index(r->diag, j + 1));
    json_builder_end_object(b);
    json_builder_end_object(b);
}

/* "targets": the QEMUs of the run, in order: label, binary, version and the deviations tolerated */
static void json_targets(JsonBuilder *b, GPtrArray *targets)
{
    json_builder_set_member_name(b, "targets");
    json_builder_begin_array(b);
    for (guint i = 0; i < targets->len; i++) {
        const VcTarget *t = g_ptr_array_index(targets, i);
        json_builder_begin_object(b);
        json_member(b, "label", t->label);
        json_member(b, "qemu", t->opts.qemu);
        json_member(b, "implementation", t->implementation);
        if (t->deviations) {
            json_member(b, "expectations", vc_expectations_describe(t->deviations) + strlen(", "));
            json_builder_set_member_name(b, "tolerated_deviations");
            json_builder_begin_array(b);
            g_auto(GStrv) ids = vc_expectations_ids(t->deviations);
            for (char **id = ids; *id; id++)
                json_builder_add_string_value(b, *id);
            json_builder_end_array(b);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

gboolean vc_write_json(const char *path, GPtrArray *results, GPtrArray *targets, const char *endpoint,
                       const char *capture_path, const char *decoded, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_member(b, "tool", "vmconform");
    if (results->len > 0 && !several_targets(results)) {
        g_autofree char *target = g_strdup_printf("%s (%s)", ((const VcResult *)g_ptr_array_index(results, 0))->target,
                                                  endpoint);
        json_member(b, "target", target);
    }
    json_member(b, "endpoint", endpoint);
    json_targets(b, targets);
    json_builder_set_member_name(b, "cases");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++)
        json_case(b, g_ptr_array_index(results, i));
    json_builder_end_array(b);
    if (capture_path) {
        json_builder_set_member_name(b, "capture");
        json_builder_begin_object(b);
        json_member(b, "file", capture_path);
        json_builder_set_member_name(b, "decoded");
        json_builder_begin_array(b);
        g_auto(GStrv) lines = g_strsplit(decoded ? decoded : "", "\n", -1);
        for (char **l = lines; *l; l++)
            if (**l)
                json_builder_add_string_value(b, *l);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    return json_generator_to_file(gen, path, error);
}
