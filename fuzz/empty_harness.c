/* empty_harness.c
 * The benchmark baseline: a libFuzzer target that does nothing but consume its input, built
 * with exactly the flags of the real targets (fuzz/empty_harness.cmake). Its exec/s is the
 * ceiling that fuzz/bench/ divides every target's rate by. The volatile sink keeps the
 * compiler from removing the read (see the note on dead-code elimination in fuzz/README.md).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t sum = (uint32_t)size;

    if (size > 0)
        sum += data[0] + data[size - 1];
    sink = sum;
    return 0;
}
