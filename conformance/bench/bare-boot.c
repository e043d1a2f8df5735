/* The floor for the conformance benchmark: one QEMU with our guest, from start to its BOOT line. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest.h"
#include "launcher.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    const char *qemu = argc > 2 ? argv[2] : NULL; /* default: the launcher's, from PATH */
    if (runs < 1 || argc > 3) {
        fprintf(stderr, "usage: %s [RUNS [QEMU]]\n", argv[0]);
        return 2;
    }
    double *t = g_new(double, runs);
    for (int i = 0; i < runs; i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
        if (qemu)
            spp_launch_config_set_qemu_binary(config, qemu);
        g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
        spp_launch_config_add_disk(config, disk, &err);
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(SppLauncher) qemu = spp_launcher_start(config, &err);
        if (!qemu)
            g_error("%s", err->message);
        g_autofree char *line = spp_launcher_serial_wait_line(qemu, SPP_GUEST_BOOT_LINE, 10000, &err);
        if (!line)
            g_error("%s", err->message);
        t[i] = (g_get_monotonic_time() - t0) / 1e6;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("%.4f\n", t[runs / 2]);
    g_free(t);
    return 0;
}
