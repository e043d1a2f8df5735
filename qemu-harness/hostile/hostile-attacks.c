/* The attacks of spp-hostile, by name (docs/hostile.md says what each asserts). */
#include <string.h>

#include "hostile.h"

const HostileAttack hostile_attacks[] = {
    {"link_close", "clients that leave with a FIN at each step of the link", hostile_attack_link_close},
    {"link_reset", "clients that leave with an RST (SO_LINGER 0) at each step of the link", hostile_attack_link_reset},
    {"vanish_queued", "clients that queue more RESETs than the server holds and leave while one is in progress",
     hostile_attack_vanish_queued},
    {"half_open", "hundreds of links that stop part-way, held open while a legitimate client links and resets",
     hostile_attack_half_open},
    {"garbage_link", "link messages that are garbage: each refused and closed", hostile_attack_garbage_link},
    {"unread_flood", "2 million valid actions on a logged-in power channel, never reading a reply",
     hostile_attack_unread_flood},
    {"malformed_power", "malformed messages on a logged-in power channel", hostile_attack_malformed_power},
    {"malformed_main", "malformed messages on the main channel of a session", hostile_attack_malformed_main},
};

const gsize hostile_n_attacks = G_N_ELEMENTS(hostile_attacks);

const HostileAttack *hostile_find_attack(const char *name)
{
    for (gsize i = 0; i < hostile_n_attacks; i++)
        if (strcmp(hostile_attacks[i].name, name) == 0)
            return &hostile_attacks[i];
    return NULL;
}
