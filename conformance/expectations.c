#include "expectations.h"

#include <string.h>

GHashTable *vc_expectations_load(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    GHashTable *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (unsigned i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        if (!*line || *line == '#')
            continue;
        char *space = strpbrk(line, " \t");
        if (!space) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: a known deviation needs a reason", path,
                        i + 1);
            g_hash_table_destroy(map);
            return NULL;
        }
        *space = '\0';
        g_hash_table_insert(map, g_strdup(line), g_strdup(g_strstrip(space + 1)));
    }
    return map;
}
