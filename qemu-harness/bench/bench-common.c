#include "bench-common.h"

#include <stdlib.h>

#include "guest.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double spp_bench_percentile(double *v, guint n, double p)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return v[(guint)((n - 1) * p + 0.5)];
}

SppLauncher *spp_bench_start_qemu(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    if (!spp_launch_config_add_disk(config, disk, &err))
        g_error("%s", err->message);
    spp_launch_config_set_second_monitor(config, TRUE);
    SppLauncher *qemu = spp_launcher_start(config, &err);
    if (!qemu)
        g_error("%s", err->message);
    return qemu;
}
