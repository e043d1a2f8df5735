/* Links the clang ASan/UBSan static flavour (spice-server-power-fuzz) and exercises the power
 * interface once, so that a broken fuzz flavour fails ctest before the fuzzers do. */
#include <stdio.h>

#include <spice.h>

#include "test_core.h"

static int action(SpicePowerInstance *sin, SpicePowerRequest *request)
{
    (void)sin;
    (void)request;
    return SPICE_POWER_RESULT_OK;
}

int main(void)
{
    static SpicePowerInterface sif = {
        .base = {SPICE_INTERFACE_POWER, "fuzz flavour check", SPICE_INTERFACE_POWER_MAJOR,
                 SPICE_INTERFACE_POWER_MINOR},
        .actions = (1u << SPICE_POWER_CAP_RESET) | (1u << SPICE_POWER_CAP_POWEROFF) |
                   (1u << SPICE_POWER_CAP_POWERON),
        .request = action,
    };
    static SpicePowerInstance sin = {.base = {&sif.base}};
    TestCore *core = test_core_new();
    SpiceServer *server = spice_server_new();
    spice_server_set_noauth(server);
    if (spice_server_init(server, test_core_interface(core)) != 0) {
        fprintf(stderr, "FAIL spice_server_init\n");
        return 1;
    }
    if (spice_server_add_interface(server, &sin.base) != 0 || !sin.st) {
        fprintf(stderr, "FAIL spice_server_add_interface(power)\n");
        return 1;
    }
    spice_server_power_set_state(server, SPICE_POWER_STATE_ON);
    spice_server_destroy(server);
    test_core_free(core);
    if (sin.st) {
        fprintf(stderr, "FAIL power state not released by spice_server_destroy\n");
        return 1;
    }
    printf("ok fuzz flavour links and runs\n");
    return 0;
}
