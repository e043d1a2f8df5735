/* Locating OVMF at run time: the ovmf package is optional. */
#include "launcher.h"

static const char *const ovmf_pairs[][2] = {
    {"OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"},
    {"OVMF_CODE.fd", "OVMF_VARS.fd"},
};

gboolean spp_launcher_find_ovmf(char **code_path, char **vars_path, GError **error)
{
    const char *dir = g_getenv("SPP_OVMF_DIR");
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/OVMF";
    for (gsize i = 0; i < G_N_ELEMENTS(ovmf_pairs); i++) {
        g_autofree char *code = g_build_filename(dir, ovmf_pairs[i][0], NULL);
        g_autofree char *vars = g_build_filename(dir, ovmf_pairs[i][1], NULL);
        if (g_file_test(code, G_FILE_TEST_IS_REGULAR) && g_file_test(vars, G_FILE_TEST_IS_REGULAR)) {
            *code_path = g_steal_pointer(&code);
            *vars_path = g_steal_pointer(&vars);
            return TRUE;
        }
    }
    g_set_error(error, SPP_LAUNCHER_ERROR, SPP_LAUNCHER_ERROR_FIRMWARE_MISSING,
                "no OVMF code + vars pair in %s (install the Debian package 'ovmf')", dir);
    return FALSE;
}
