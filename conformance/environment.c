#include "environment.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "guest.h"

/* "QEMU emulator version 7.2.22 (...)" -> "qemu-7.2"; NULL when QEMU does not run. */
static char *qemu_implementation(const char *qemu)
{
    g_autofree char *out = NULL;
    const char *argv[] = {qemu, "--version", NULL};
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, NULL, NULL))
        return NULL;
    int major, minor;
    const char *v = out ? strstr(out, "version ") : NULL;
    if (!v || sscanf(v, "version %d.%d", &major, &minor) != 2)
        return NULL;
    return g_strdup_printf("qemu-%d.%d", major, minor);
}

static void check_capture_tools(const char *plugin)
{
    g_autofree char *dumpcap = g_find_program_in_path("dumpcap");
    if (!dumpcap)
        vc_usage_error("--capture needs dumpcap (install the Debian package wireshark-common)");
    if (!g_file_test(plugin, G_FILE_TEST_IS_REGULAR))
        vc_usage_error("--capture needs the spicepower plugin; '%s' not found (build WITH_DISSECTOR or pass --plugin)",
                       plugin);
}

/* What a --power-qemu target's label adds to the release: the -spice option it is run with. */
#define BUILTIN_POWER_LABEL "+power-control"

/* A target for the QEMU binary `qemu` (a name on PATH or a path); `builtin_power` for --power-qemu. */
static VcTarget *new_target(const VcCommandLine *cl, const char *qemu, gboolean builtin_power, GPtrArray *earlier)
{
    char *qemu_path = g_find_program_in_path(qemu);
    if (!qemu_path)
        vc_usage_error("QEMU binary '%s' not found (install the Debian package qemu-system-x86 or pass --qemu)", qemu);
    VcTarget *t = g_new0(VcTarget, 1);
    t->opts = (VcOptions){
        .qemu = qemu_path,
        .bridge = cl->bridge ? cl->bridge : VMCONFORM_DEFAULT_BRIDGE,
        .guest_image = cl->guest ? cl->guest : spp_guest_image_path(),
        .spice_target = cl->spice,
        .builtin_power = builtin_power,
        .password_file = cl->password_file,
        .timeout_s = cl->timeout_s,
    };
    t->implementation = qemu_implementation(qemu_path);
    if (!t->implementation)
        vc_usage_error("'%s --version' did not report a QEMU version", qemu_path);
    g_autofree char *kind = g_strconcat(t->implementation, builtin_power ? BUILTIN_POWER_LABEL : "", NULL);
    unsigned same = 1;
    for (guint i = 0; i < earlier->len; i++) {
        const VcTarget *e = g_ptr_array_index(earlier, i);
        same += strcmp(e->implementation, t->implementation) == 0 && e->opts.builtin_power == builtin_power;
    }
    t->label = same == 1 ? g_strdup(kind) : g_strdup_printf("%s#%u", kind, same);
    return t;
}

void vc_check_environment(const VcCommandLine *cl, VcEnvironment *env)
{
    static const char *const default_qemu[] = {"qemu-system-x86_64", NULL};
    *env = (VcEnvironment){
        .targets = g_ptr_array_new(),
        .plugin = cl->plugin ? cl->plugin : VMCONFORM_DEFAULT_PLUGIN,
    };
    /* the host's QEMU with the bridge, unless the command line names the QEMUs */
    const char *const *qemus = cl->qemus ? (const char *const *)cl->qemus : cl->power_qemus ? NULL : default_qemu;
    for (const char *const *q = qemus; q && *q; q++)
        g_ptr_array_add(env->targets, new_target(cl, *q, FALSE, env->targets));
    for (char **q = cl->power_qemus; q && *q; q++)
        g_ptr_array_add(env->targets, new_target(cl, *q, TRUE, env->targets));
    for (guint i = 0; env->targets->len > 1 && i < env->targets->len; i++) {
        VcTarget *t = g_ptr_array_index(env->targets, i);
        t->opts.target_label = t->label;
    }
    const VcTarget *first = g_ptr_array_index(env->targets, 0);
    if (!g_file_test(first->opts.guest_image, G_FILE_TEST_IS_REGULAR))
        vc_usage_error("guest image '%s' not found (build the project or pass --guest)", first->opts.guest_image);
    if (cl->password_file && !g_file_test(cl->password_file, G_FILE_TEST_IS_REGULAR))
        vc_usage_error("password file '%s' not found", cl->password_file);
    if (cl->capture)
        check_capture_tools(env->plugin);
}

char *vc_make_run_dir(void)
{
    const char *tmp_root = g_getenv("TMPDIR");
    char *run_dir = g_build_filename(tmp_root && *tmp_root ? tmp_root : "/tmp", "vmconform-XXXXXX", NULL);
    if (!g_mkdtemp(run_dir))
        vc_usage_error("cannot create a run directory: %s", g_strerror(errno));
    return run_dir;
}
