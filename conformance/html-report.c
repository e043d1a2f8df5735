#include "html-report.h"

#include <stdlib.h>
#include <string.h>

#include "case-runner.h"
#include "environment.h"
#include "expectations.h"
#include "qemu-deviations.h"

/* One cell of the matrix: the cases of one section on one QEMU. */
typedef struct {
    unsigned pass, fail, todo, skip;
    const VcResult *first;   /* the case the cell links to: the first that did not pass, else the first */
} Cell;

/* A row: "power-channel.md §6.4", and a cell per target. */
typedef struct {
    char *doc, *section;
    Cell *cells;
} Row;

static const char page_style[] =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}"
    "thead th{background:#eee}td.cell{text-align:center;min-width:7em}"
    "td.cell a{color:inherit;text-decoration:none;display:block}"
    ".pass{background:#d8f0d8}.fail{background:#f6c6c6;font-weight:bold}"
    ".todo{background:#fbe7b5}.skip{background:#e6e6e6;color:#555}.none{color:#999}"
    "dl{margin:0}dt{font-weight:bold}dd{margin:0 0 .3em 1em;white-space:pre-wrap}"
    ".legend span{padding:.1em .6em;margin-right:.5em;border:1px solid #bbb}";

static const char *cell_status(const Cell *c)
{
    if (c->fail)
        return "fail";
    if (c->todo)
        return "todo";
    if (c->pass)
        return "pass";
    return c->skip ? "skip" : "none";
}

/* What a person reads in a cell for a status */
static const char *status_text(const char *status)
{
    return strcmp(status, "todo") == 0 ? "deviation" : status;
}

static const char *result_status(const VcResult *r)
{
    if (vc_result_is_failure(r))
        return "fail";
    if (r->known_deviation && r->status != VC_STATUS_PASS)
        return "todo";
    return r->status == VC_STATUS_SKIP ? "skip" : "pass";
}

static void put_escaped(GString *s, const char *text)
{
    g_autofree char *esc = g_markup_escape_text(text ? text : "", -1);
    g_string_append(s, esc);
}

/* An id for a case of a target: letters, digits, '-' and '.' only. */
static char *case_anchor(const VcResult *r)
{
    char *id = g_strdup_printf("case-%s-%s.%s", r->target, r->c->suite, r->c->name);
    for (char *p = id; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
            *p = '-';
    return id;
}

/* "6.10" after "6.9": numbered headings compare part by part. */
static int compare_sections(const char *a, const char *b)
{
    for (;;) {
        char *ea, *eb;
        long na = strtol(a, &ea, 10), nb = strtol(b, &eb, 10);
        if (na != nb)
            return na < nb ? -1 : 1;
        if (*ea != '.' || *eb != '.')
            return strcmp(ea, eb);
        a = ea + 1;
        b = eb + 1;
    }
}

static gint compare_rows(gconstpointer pa, gconstpointer pb)
{
    const Row *a = *(const Row *const *)pa, *b = *(const Row *const *)pb;
    int by_doc = strcmp(a->doc, b->doc);
    return by_doc ? by_doc : compare_sections(a->section, b->section);
}

static void tally(Cell *cell, const VcResult *r)
{
    const char *st = result_status(r);
    if (strcmp(st, "fail") == 0)
        cell->fail++;
    else if (strcmp(st, "todo") == 0)
        cell->todo++;
    else if (strcmp(st, "skip") == 0)
        cell->skip++;
    else
        cell->pass++;
    if (!cell->first || (strcmp(result_status(cell->first), "pass") == 0 && strcmp(st, "pass") != 0))
        cell->first = r;
}

/* The matrix's rows, in the specs' order, with every result tallied into its cell. */
static GPtrArray *build_rows(GPtrArray *results, guint ntargets)
{
    GPtrArray *rows = g_ptr_array_new();
    GHashTable *by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < results->len; i++) {
        const VcResult *r = g_ptr_array_index(results, i);
        char *key = g_strdup_printf("%s §%s", r->c->doc, r->c->section);
        Row *row = g_hash_table_lookup(by_key, key);
        if (!row) {
            row = g_new0(Row, 1);
            row->doc = g_strdup(r->c->doc);
            row->section = g_strdup(r->c->section);
            row->cells = g_new0(Cell, ntargets);
            g_hash_table_insert(by_key, key, row);
            g_ptr_array_add(rows, row);
        } else {
            g_free(key);
        }
        tally(&row->cells[r->target_index], r);
    }
    g_hash_table_destroy(by_key);
    g_ptr_array_sort(rows, compare_rows);
    return rows;
}

static void free_rows(GPtrArray *rows)
{
    for (guint i = 0; i < rows->len; i++) {
        Row *row = g_ptr_array_index(rows, i);
        g_free(row->doc);
        g_free(row->section);
        g_free(row->cells);
        g_free(row);
    }
    g_ptr_array_free(rows, TRUE);
}

static void put_target_headers(GString *s, GPtrArray *targets)
{
    for (guint t = 0; t < targets->len; t++) {
        const VcTarget *target = g_ptr_array_index(targets, t);
        g_string_append(s, "<th data-target=\"");
        put_escaped(s, target->label);
        g_string_append(s, "\" title=\"");
        put_escaped(s, target->opts.qemu);
        g_string_append(s, "\">");
        put_escaped(s, target->label);
        g_string_append(s, "</th>");
    }
}

static void put_matrix(GString *s, GPtrArray *rows, GPtrArray *targets)
{
    g_string_append(s, "<h2>Requirements by QEMU</h2>\n<p class=\"legend\"><span class=\"pass\">pass</span>"
                       "<span class=\"fail\">fail</span><span class=\"todo\">known deviation</span>"
                       "<span class=\"skip\">skip</span> Each cell counts the section's cases; it links to the "
                       "first that did not pass.</p>\n<table id=\"matrix\"><thead><tr><th>Requirement</th>");
    put_target_headers(s, targets);
    g_string_append(s, "</tr></thead><tbody>\n");
    for (guint i = 0; i < rows->len; i++) {
        const Row *row = g_ptr_array_index(rows, i);
        g_autofree char *section = g_strdup_printf("%s §%s", row->doc, row->section);
        g_string_append(s, "<tr><th scope=\"row\">");
        put_escaped(s, section);
        g_string_append(s, "</th>");
        for (guint t = 0; t < targets->len; t++) {
            const Cell *c = &row->cells[t];
            const VcTarget *target = g_ptr_array_index(targets, t);
            const char *st = cell_status(c);
            g_string_append_printf(s, "<td class=\"cell %s\" data-status=\"%s\" data-target=\"", st, st);
            put_escaped(s, target->label);
            g_string_append(s, "\" data-section=\"");
            put_escaped(s, section);
            g_string_append(s, "\">");
            if (c->first) {
                g_autofree char *anchor = case_anchor(c->first);
                g_string_append_printf(s, "<a href=\"#%s\">%s %u/%u</a>", anchor, status_text(st), c->pass,
                                       c->pass + c->fail + c->todo + c->skip);
            }
            g_string_append(s, "</td>");
        }
        g_string_append(s, "</tr>\n");
    }
    g_string_append(s, "</tbody></table>\n");
}

/* Whether a run of target t shows deviation d: a case that reveals it failed as a known deviation. */
static gboolean deviation_seen(GPtrArray *results, guint t, const SppQemuDeviation *d)
{
    for (guint i = 0; i < results->len; i++) {
        const VcResult *r = g_ptr_array_index(results, i);
        g_autofree char *id = g_strdup_printf("%s.%s", r->c->suite, r->c->name);
        if (r->target_index == t && r->known_deviation && r->status != VC_STATUS_PASS &&
            g_strv_contains(d->revealed_by, id))
            return TRUE;
    }
    return FALSE;
}

static void put_deviation_cell(GString *s, GPtrArray *results, const VcTarget *target, guint t,
                               const SppQemuDeviation *d)
{
    g_auto(GStrv) ids = target->deviations ? vc_expectations_ids(target->deviations) : g_new0(char *, 1);
    const char *st = !g_strv_contains((const char *const *)ids, d->id) ? "none"
                     : deviation_seen(results, t, d)                  ? "todo"
                                                                      : "listed";
    const char *text = strcmp(st, "none") == 0 ? "not listed" : strcmp(st, "todo") == 0 ? "listed, seen" : "listed";
    g_string_append_printf(s, "<td class=\"cell %s\" data-status=\"%s\" data-target=\"", st, st);
    put_escaped(s, target->label);
    g_string_append_printf(s, "\" data-deviation=\"%s\">%s</td>", d->id, text);
}

static void put_deviations(GString *s, GPtrArray *results, GPtrArray *targets)
{
    gsize count;
    const SppQemuDeviation *all = spp_qemu_deviations(&count);
    g_string_append(s, "<h2>Known deviations by release</h2>\n<p>From the registry (snapshot-jobs.md §8): "
                       "<em>listed</em> means the release is known to show it and a case revealing it is "
                       "tolerated; <em>seen</em> means such a case failed in this run.</p>\n"
                       "<table id=\"deviations\"><thead><tr><th>Deviation</th>");
    put_target_headers(s, targets);
    g_string_append(s, "</tr></thead><tbody>\n");
    for (gsize i = 0; i < count; i++) {
        g_string_append_printf(s, "<tr><th scope=\"row\" title=\"departs from §%s\">%s: ",
                               all[i].departs_from ? all[i].departs_from : "-", all[i].id);
        put_escaped(s, all[i].summary);
        g_string_append(s, "</th>");
        for (guint t = 0; t < targets->len; t++)
            put_deviation_cell(s, results, g_ptr_array_index(targets, t), t, &all[i]);
        g_string_append(s, "</tr>\n");
    }
    g_string_append(s, "</tbody></table>\n");
}

static void put_field(GString *s, const char *name, const char *value)
{
    if (!value)
        return;
    g_string_append(s, "<dt>");
    put_escaped(s, name);
    g_string_append(s, "</dt><dd>");
    put_escaped(s, value);
    g_string_append(s, "</dd>");
}

static void put_case(GString *s, const VcResult *r)
{
    g_autofree char *anchor = case_anchor(r);
    const char *st = result_status(r);
    g_string_append_printf(s, "<tr id=\"%s\" class=\"%s\" data-status=\"%s\"><td>", anchor, st, st);
    put_escaped(s, r->c->suite);
    g_string_append_c(s, '.');
    put_escaped(s, r->c->name);
    g_string_append_printf(s, "</td><td>%s</td><td>%s §%s</td><td><dl>", status_text(st), r->c->doc,
                           r->c->section);
    put_field(s, "checks", r->c->summary);
    put_field(s, "known deviation", r->known_deviation);
    if (r->status != VC_STATUS_PASS) {
        put_field(s, "spec requires", r->required);
        put_field(s, r->status == VC_STATUS_SKIP ? "skipped" : "got", r->message);
    }
    for (guint j = 0; j + 1 < r->diag->len; j += 2)
        put_field(s, g_ptr_array_index(r->diag, j), g_ptr_array_index(r->diag, j + 1));
    g_string_append_printf(s, "</dl></td><td>%.0f ms</td></tr>\n", r->seconds * 1000);
}

static void put_cases(GString *s, GPtrArray *results, GPtrArray *targets)
{
    for (guint t = 0; t < targets->len; t++) {
        const VcTarget *target = g_ptr_array_index(targets, t);
        g_string_append(s, "<h2>Cases on ");
        put_escaped(s, target->label);
        g_string_append(s, "</h2>\n<p>");
        put_escaped(s, target->opts.qemu);
        if (target->deviations)
            put_escaped(s, vc_expectations_describe(target->deviations));
        g_string_append(s, "</p>\n<table class=\"cases\"><thead><tr><th>Case</th><th>Outcome</th>"
                           "<th>Requirement</th><th>Details</th><th>Time</th></tr></thead><tbody>\n");
        for (guint i = 0; i < results->len; i++) {
            const VcResult *r = g_ptr_array_index(results, i);
            if (r->target_index == t)
                put_case(s, r);
        }
        g_string_append(s, "</tbody></table>\n");
    }
}

gboolean vc_write_html(const char *path, GPtrArray *results, GPtrArray *targets, const char *endpoint,
                       GError **error)
{
    GString *s = g_string_new("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                              "<title>vmconform report</title><style>");
    g_string_append(s, page_style);
    g_string_append(s, "</style></head><body>\n<h1>vmconform: QEMU and SPICE power channels against docs/</h1>\n"
                       "<p>Power suite endpoint: ");
    put_escaped(s, endpoint);
    g_string_append_printf(s, ". %u case result(s) on %u QEMU(s).</p>\n", results->len, targets->len);
    GPtrArray *rows = build_rows(results, targets->len);
    put_matrix(s, rows, targets);
    free_rows(rows);
    put_deviations(s, results, targets);
    put_cases(s, results, targets);
    g_string_append(s, "</body></html>\n");
    gboolean ok = g_file_set_contents(path, s->str, (gssize)s->len, error);
    g_string_free(s, TRUE);
    return ok;
}
