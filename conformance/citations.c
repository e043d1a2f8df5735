#include "citations.h"

#include <string.h>

/* The linker defines these around the vc_citations section. Weak, so that a binary without any
 * VC_REQ (the section then does not exist) still links and lists nothing. */
extern const VcCitation __start_vc_citations[] __attribute__((weak));
extern const VcCitation __stop_vc_citations[] __attribute__((weak));

char *vc_citation_format(const VcCitation *c)
{
    return c->doc ? g_strdup_printf("%s §%s: %s", c->doc, c->section, c->text) : g_strdup(c->text);
}

char *vc_citation_source(const VcCitation *c)
{
    return g_strdup_printf("%s:%d", c->file, c->line);
}

static gint by_source(gconstpointer a, gconstpointer b)
{
    const VcCitation *x = *(const VcCitation *const *)a, *y = *(const VcCitation *const *)b;
    int by_file = strcmp(x->file, y->file);
    return by_file ? by_file : (x->line > y->line) - (x->line < y->line);
}

void vc_print_citations(FILE *out)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    for (const VcCitation *c = __start_vc_citations; c < __stop_vc_citations; c++)
        g_ptr_array_add(all, (gpointer)c);
    g_ptr_array_sort(all, by_source);
    for (guint i = 0; i < all->len; i++) {
        const VcCitation *c = g_ptr_array_index(all, i);
        fprintf(out, "%s:%d\t%s §%s\t%s\n", c->file, c->line, c->doc, c->section, c->text);
    }
}
