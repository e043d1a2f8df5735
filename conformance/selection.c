#include "selection.h"

#include <fnmatch.h>
#include <string.h>

#include "case-list.h"

#define VC_ENTRY(suite_id, suite, name, doc, section, flags, summary)                                  \
    {suite, #name, doc, section, summary, flags, vc_case_##suite_id##__##name},
static const VcCase registry[] = {VC_CASES(VC_ENTRY)};
#undef VC_ENTRY

const char *const *vc_suites(void)
{
    static const char *suites[G_N_ELEMENTS(registry) + 1]; /* at most one suite per case */
    if (!suites[0]) {
        size_t n = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(registry); i++)
            if (!g_strv_contains(suites, registry[i].suite))
                suites[n++] = registry[i].suite;
    }
    return suites;
}

const char *vc_suites_text(void)
{
    static char *text;
    if (!text)
        text = g_strjoinv(", ", (char **)vc_suites());
    return text;
}

/* A glob names a case by its full id (suite.name) or by its name alone. */
static gboolean matches_any(const VcCase *c, char **globs)
{
    g_autofree char *id = g_strdup_printf("%s.%s", c->suite, c->name);
    for (char **g = globs; *g; g++)
        if (fnmatch(*g, id, 0) == 0 || fnmatch(*g, c->name, 0) == 0)
            return TRUE;
    return FALSE;
}

static gboolean selected(const VcCase *c, const VcSelection *sel)
{
    if (sel->smoke && !(c->flags & VC_SMOKE))
        return FALSE;
    if (sel->suite_names && !g_strv_contains((const char *const *)sel->suite_names, c->suite))
        return FALSE;
    if (sel->case_globs && !matches_any(c, sel->case_globs))
        return FALSE;
    return !(sel->exclude_globs && matches_any(c, sel->exclude_globs));
}

GPtrArray *vc_select_cases(const VcSelection *sel)
{
    GPtrArray *chosen = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++)
        if (selected(&registry[i], sel))
            g_ptr_array_add(chosen, (gpointer)&registry[i]);
    return chosen;
}

void vc_print_cases(FILE *out, GPtrArray *cases)
{
    for (guint i = 0; i < cases->len; i++) {
        const VcCase *c = g_ptr_array_index(cases, i);
        fprintf(out, "%s.%s\t%s §%s\t%s\n", c->suite, c->name, c->doc, c->section, c->summary);
    }
}
