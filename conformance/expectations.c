#include "expectations.h"

#include <stdio.h>

#include "qemu-deviations.h"

struct VcExpectations {
    GPtrArray *tolerated; /* of const SppQemuDeviation*: the release's deviations */
    char *description;
};

/* "7.2" or "qemu-7.2" -> 7, 2. */
static gboolean parse_release(const char *release, int *major, int *minor)
{
    if (g_str_has_prefix(release, "qemu-"))
        release += 5;
    int end = 0;
    return sscanf(release, "%d.%d%n", major, minor, &end) == 2 && release[end] == '\0' && *major >= 0 && *minor >= 0;
}

VcExpectations *vc_expectations_for(const char *release, GError **error)
{
    int major = -1, minor = -1;
    gboolean none = g_strcmp0(release, "none") == 0;
    if (!none && !parse_release(release, &major, &minor)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "'%s' is not a QEMU release such as 7.2, nor 'none'", release);
        return NULL;
    }
    VcExpectations *expectations = g_new0(VcExpectations, 1);
    expectations->tolerated = g_ptr_array_new();
    gsize count;
    const SppQemuDeviation *all = spp_qemu_deviations(&count);
    GString *ids = g_string_new(NULL);
    for (gsize i = 0; i < count && !none; i++) {
        if (!spp_qemu_deviation_in_release(&all[i], major, minor))
            continue;
        g_ptr_array_add(expectations->tolerated, (gpointer)&all[i]);
        g_string_append_printf(ids, " %s", all[i].id);
    }
    if (none)
        expectations->description = g_strdup(", tolerating no deviation (--expect none)");
    else if (ids->len)
        expectations->description = g_strdup_printf(", tolerating QEMU %d.%d's known deviations%s", major, minor, ids->str);
    else
        expectations->description =
            g_strdup_printf(", tolerating no deviation: the registry names none for QEMU %d.%d", major, minor);
    g_string_free(ids, TRUE);
    return expectations;
}

void vc_expectations_free(VcExpectations *expectations)
{
    if (!expectations)
        return;
    g_ptr_array_unref(expectations->tolerated);
    g_free(expectations->description);
    g_free(expectations);
}

const char *vc_expectations_describe(const VcExpectations *expectations)
{
    return expectations->description;
}

GStrv vc_expectations_ids(const VcExpectations *expectations)
{
    GStrvBuilder *ids = g_strv_builder_new();
    for (guint i = 0; i < expectations->tolerated->len; i++)
        g_strv_builder_add(ids, ((const SppQemuDeviation *)expectations->tolerated->pdata[i])->id);
    GStrv out = g_strv_builder_end(ids);
    g_strv_builder_unref(ids);
    return out;
}

char *vc_expectations_reason(const VcExpectations *expectations, const VcCase *c)
{
    g_autofree char *id = g_strdup_printf("%s.%s", c->suite, c->name);
    for (guint i = 0; i < expectations->tolerated->len; i++) {
        const SppQemuDeviation *deviation = expectations->tolerated->pdata[i];
        if (g_strv_contains(deviation->revealed_by, id))
            return spp_qemu_deviation_reason(deviation);
    }
    return NULL;
}
