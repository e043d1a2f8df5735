/* The spec test of QEMU's known deviations: holds the registry (qemu-harness/qmp/qemu-deviations.c)
 * to docs/snapshot-jobs.md §8 and to the conformance runner.
 *
 * - The registry lists exactly §8's ids ("- **D<n>. ...**"), in the same order.
 * - Each entry has a summary and at least one QEMU release, and the section it departs from is a
 *   heading of snapshot-jobs.md.
 * - Each case an entry says it reveals is in conformance/case-list.h, and docs/conformance.md's
 *   table of known deviations names exactly those cases, each with its §8 id.
 *
 * usage: check-snapshot-deviations SNAPSHOT_JOBS_MD CASE_LIST_H CONFORMANCE_MD
 * Exit status 0 when all agree; 1 with one line per disagreement otherwise; 2 on bad usage. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "qemu-deviations.h"

static unsigned problems;

static void problem(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void problem(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("check-snapshot-deviations: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    problems++;
}

static char *read_or_die(const char *path)
{
    g_autoptr(GError) err = NULL;
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, &err)) {
        fprintf(stderr, "check-snapshot-deviations: %s\n", err->message);
        exit(2);
    }
    return text;
}

/* The text of the "## <number>." section of a markdown document, up to the next "## ". */
static char *section(const char *doc, const char *number)
{
    g_autofree char *heading = g_strdup_printf("\n## %s. ", number);
    const char *start = strstr(doc, heading);
    if (!start)
        return g_strdup("");
    const char *end = strstr(start + 1, "\n## ");
    return end ? g_strndup(start, (gsize)(end - start)) : g_strdup(start);
}

/* §8's ids in order, from its "- **D<n>. Title.**" entries. */
static GPtrArray *spec_ids(const char *doc)
{
    g_autofree char *known = section(doc, "8");
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GRegex) entry = g_regex_new("^- \\*\\*(D[0-9]+)\\. ", G_REGEX_MULTILINE, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;
    for (g_regex_match(entry, known, 0, &match); g_match_info_matches(match); g_match_info_next(match, NULL))
        g_ptr_array_add(ids, g_match_info_fetch(match, 1));
    return ids;
}

static void check_ids(const char *doc, const SppQemuDeviation *all, gsize count)
{
    g_autoptr(GPtrArray) ids = spec_ids(doc);
    for (guint i = 0; i < ids->len; i++)
        if (!spp_qemu_deviation_find(ids->pdata[i]))
            problem("snapshot-jobs.md §8 lists %s, the registry does not", (char *)ids->pdata[i]);
    for (gsize i = 0; i < count; i++) {
        if (!g_ptr_array_find_with_equal_func(ids, all[i].id, g_str_equal, NULL))
            problem("the registry lists %s, snapshot-jobs.md §8 does not", all[i].id);
        else if (i >= ids->len || strcmp(ids->pdata[i], all[i].id) != 0)
            problem("the registry lists %s at place %zu, snapshot-jobs.md §8 elsewhere", all[i].id, i + 1);
    }
}

static void check_entry(const char *doc, const SppQemuDeviation *d)
{
    if (!d->summary || !*d->summary)
        problem("%s has no summary", d->id);
    if (!d->releases || !d->releases[0])
        problem("%s names no QEMU release that shows it", d->id);
    if (d->departs_from) {
        g_autofree char *heading = g_strdup_printf("\n### %s ", d->departs_from);
        if (!strstr(doc, heading))
            problem("%s departs from §%s, which snapshot-jobs.md does not have", d->id, d->departs_from);
    }
}

/* "suite.name" is in case-list.h as X(<suite id>, "<suite>", <name>, ...). */
static gboolean case_listed(const char *case_list, const char *case_id)
{
    g_auto(GStrv) parts = g_strsplit(case_id, ".", 2);
    if (!parts[0] || !parts[1])
        return FALSE;
    g_autofree char *entry = g_strdup_printf("\"%s\", %s,", parts[0], parts[1]);
    return strstr(case_list, entry) != NULL;
}

/* The rows "| `suite.case` | ... |" of conformance.md's "## Known deviations" table. */
static GPtrArray *table_rows(const char *conformance_md)
{
    GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
    const char *start = strstr(conformance_md, "\n## Known deviations");
    if (!start)
        return rows;
    const char *end = strstr(start + 1, "\n## ");
    g_autofree char *text = end ? g_strndup(start, (gsize)(end - start)) : g_strdup(start);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++)
        if (g_str_has_prefix(*line, "| `"))
            g_ptr_array_add(rows, g_strdup(*line));
    return rows;
}

static void check_cases(const char *case_list, const char *conformance_md, const SppQemuDeviation *all, gsize count)
{
    g_autoptr(GPtrArray) rows = table_rows(conformance_md);
    guint revealed = 0;
    for (gsize i = 0; i < count; i++) {
        for (const char *const *c = all[i].revealed_by; c && *c; c++, revealed++) {
            if (!case_listed(case_list, *c))
                problem("%s is revealed by %s, which conformance/case-list.h does not have", all[i].id, *c);
            g_autofree char *row_start = g_strdup_printf("| `%s` |", *c);
            g_autofree char *cite = g_strdup_printf("§8/%s ", all[i].id); /* the space: D2 is not D21 */
            gboolean found = FALSE;
            for (guint r = 0; r < rows->len && !found; r++) {
                const char *row = rows->pdata[r];
                found = g_str_has_prefix(row, row_start) && strstr(row, cite) != NULL;
            }
            if (!found)
                problem("docs/conformance.md's known deviations table has no row for %s citing §8/%s", *c, all[i].id);
        }
    }
    if (rows->len != revealed)
        problem("docs/conformance.md's known deviations table has %u rows, the registry reveals %u cases", rows->len,
                revealed);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: check-snapshot-deviations SNAPSHOT_JOBS_MD CASE_LIST_H CONFORMANCE_MD\n");
        return 2;
    }
    g_autofree char *doc = read_or_die(argv[1]);
    g_autofree char *case_list = read_or_die(argv[2]);
    g_autofree char *conformance_md = read_or_die(argv[3]);
    gsize count;
    const SppQemuDeviation *all = spp_qemu_deviations(&count);
    check_ids(doc, all, count);
    for (gsize i = 0; i < count; i++)
        check_entry(doc, &all[i]);
    check_cases(case_list, conformance_md, all, count);
    if (problems)
        return 1;
    printf("check-snapshot-deviations: %zu deviations agree with snapshot-jobs.md §8, case-list.h and conformance.md\n",
           count);
    return 0;
}
