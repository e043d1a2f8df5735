#include "qemu-deviations.h"

#include <stdio.h>

/* Every deviation of §8 was found on Debian bookworm's QEMU 7.2 (obs, or src where §8 says
 * "not reproduced"). A release is added to an entry once a run against it shows the deviation:
 * trixie's 10.0 and trixie-backports' 11.1 (ctest conformance.releases) show D2 and D4; the
 * others have no case that reveals them, so no run has shown them on a later release yet. */
static const char *const qemu_7_2[] = {"7.2", NULL};
static const char *const qemu_7_2_to_11_1[] = {"7.2", "10.0", "11.1", NULL};

static const char *const reveal_d2[] = {"snapshot.save_of_tag_existing_on_some_devices_fails", NULL};
static const char *const reveal_d4[] = {"snapshot.long_tag_is_kept_whole", NULL};
static const char *const reveal_none[] = {NULL};

static const SppQemuDeviation deviations[] = {
    {"D1", "the command returns after the job's created and running events, not before as QAPI's examples show",
     "4.7", qemu_7_2, reveal_none},
    {"D2", "the existing-tag check only fires when every listed device has the tag", "5.6", qemu_7_2_to_11_1,
     reveal_d2},
    {"D3", "a node listed twice in devices gets two snapshots with the same name", "6.1", qemu_7_2, reveal_none},
    {"D4", "tags are silently truncated to 255 bytes", "2.3", qemu_7_2_to_11_1, reveal_d4},
    {"D5", "load reverts to the snapshot whose id equals the tag before the one named so", "6.4", qemu_7_2,
     reveal_none},
    {"D6", "delete removes one snapshot of that name per listing of a node", "6.6", qemu_7_2, reveal_none},
    {"D7", "a read-only node is refused as \"writable but does not support snapshots\"", "5.5", qemu_7_2,
     reveal_none},
    {"D8", "a VM state that does not load is reported only as \"Error -22 while loading VM state\"", "5.10",
     qemu_7_2, reveal_none},
    {"D9", "a load that fails its checks leaves a running VM in restore-vm", "6.9", qemu_7_2, reveal_none},
    {"D10", "a load that fails after reverting leaves the earlier devices reverted", "6.9", qemu_7_2, reveal_none},
    {"D11", "the disk-only message has two spaces before \"offline\"", "5.9", qemu_7_2, reveal_none},
    {"D12", "the empty tag is accepted and names a snapshot", "2.3", qemu_7_2, reveal_none},
    {"D13", "the rollback of a failed save deletes by name, possibly an older snapshot", "6.7", qemu_7_2,
     reveal_none},
    {"D14", "VM state written before a failed save stays allocated in the image", "6.7", qemu_7_2, reveal_none},
    {"D15", "a vmstate node that exists but is not listed \"does not exist\"", "5.7", qemu_7_2, reveal_none},
    {"D16", "the second snapshot of a vmstate node listed twice holds no loadable VM state", "6.4", qemu_7_2,
     reveal_none},
    {"D17", "every save and load that reaches the VM state leaks one QIOChannelBlock", NULL, qemu_7_2,
     reveal_none},
};

const SppQemuDeviation *spp_qemu_deviations(gsize *count)
{
    *count = G_N_ELEMENTS(deviations);
    return deviations;
}

const SppQemuDeviation *spp_qemu_deviation_find(const char *id)
{
    for (gsize i = 0; i < G_N_ELEMENTS(deviations); i++)
        if (g_strcmp0(deviations[i].id, id) == 0)
            return &deviations[i];
    return NULL;
}

gboolean spp_qemu_deviation_in_release(const SppQemuDeviation *deviation, int major, int minor)
{
    char release[32];
    snprintf(release, sizeof release, "%d.%d", major, minor);
    return g_strv_contains(deviation->releases, release);
}

char *spp_qemu_deviation_reason(const SppQemuDeviation *deviation)
{
    return g_strdup_printf("snapshot-jobs.md §8/%s: %s", deviation->id, deviation->summary);
}
