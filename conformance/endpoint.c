#include "endpoint.h"

#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "options.h"
#include "spp_client.h"
#include "spp_names.h"

#define ENDPOINT_TIMEOUT_MS 5000
#define ENDPOINT_MAX_CHANNELS 64

char *vc_read_ticket(const char *path, GError **error)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    text[strcspn(text, "\r\n")] = '\0';
    return text;
}

static gboolean power_suite_chosen(GPtrArray *chosen)
{
    for (guint i = 0; i < chosen->len; i++)
        if (strcmp(((const VcCase *)g_ptr_array_index(chosen, i))->suite, "power") == 0)
            return TRUE;
    return FALSE;
}

/* "main, display 0, inputs, ..." as a person reads it */
static char *describe_channels(const uint8_t *channels, uint32_t n)
{
    GString *s = g_string_new(NULL);
    for (uint32_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%s%s", i ? ", " : "", spp_channel_type_name(channels[2 * i]));
        if (strcmp(spp_channel_type_name(channels[2 * i]), "?") == 0)
            g_string_append_printf(s, "(type %u)", channels[2 * i]);
        if (channels[2 * i + 1] != 0)
            g_string_append_printf(s, " %u", channels[2 * i + 1]);
    }
    return g_string_free(s, FALSE);
}

void vc_check_spice_endpoint(const char *spice, const char *password_file, GPtrArray *chosen)
{
    if (!spice || !power_suite_chosen(chosen))
        return;
    g_autofree char *password = NULL;
    g_autoptr(GError) err = NULL;
    if (password_file && !(password = vc_read_ticket(password_file, &err)))
        vc_usage_error("--password-file: %s", err->message);
    const char *colon = strrchr(spice, ':');
    g_autofree char *host = g_strndup(spice, (gsize)(colon - spice));
    SppConn *conn = spp_conn_new();
    uint8_t channels[2 * ENDPOINT_MAX_CHANNELS];
    uint32_t n = 0;
    int st = spp_main_connect(conn, host, atoi(colon + 1), password, ENDPOINT_TIMEOUT_MS, NULL);
    if (st == SPP_OK)
        st = spp_main_channels_list(conn, ENDPOINT_TIMEOUT_MS, channels, ENDPOINT_MAX_CHANNELS, &n);
    spp_conn_free(conn);
    if (st != SPP_OK)
        return;
    n = MIN(n, ENDPOINT_MAX_CHANNELS);
    for (uint32_t i = 0; i < n; i++)
        if (channels[2 * i] == SPP_CHANNEL_POWER)
            return;
    g_autofree char *offered = describe_channels(channels, n);
    vc_usage_error("%s has no power channel (it offers: %s); enable it (QEMU: -spice ...,power-control=on) "
                   "or point --spice at spice-power-bridge",
                   spice, offered);
}
