/* What the harness's benchmarks share: QEMU with the boot-sector guest and a second QMP monitor
 * (the bridge takes that one, the benchmark keeps the first), and percentiles of samples. */
#ifndef SPP_BENCH_COMMON_H
#define SPP_BENCH_COMMON_H

#include <glib.h>

#include "launcher.h"

/* Starts QEMU with the guest's disk and a second monitor; ends the program if QEMU cannot start. */
SppLauncher *spp_bench_start_qemu(void);

/* The p-quantile (0..1) of n samples, nearest rank; sorts v. 0 when n is 0. */
double spp_bench_percentile(double *v, guint n, double p);

#endif /* SPP_BENCH_COMMON_H */
