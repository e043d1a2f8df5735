/* What the bridge's tests share: a real QEMU (launcher, our guest) with a second monitor that
 * watches what the bridge makes QEMU do, the real bridge process on a QMP socket reached through a
 * symlink (so a test can swap what is behind it), and a real SPICE client (spp_power). */
#ifndef SPP_BRIDGE_RIG_H
#define SPP_BRIDGE_RIG_H

#include <glib.h>

#include "launcher.h"
#include "spp_bridge_process.h"
#include "spp_power.h"

#define ALL_ACTIONS "reset,poweroff,poweron"
#define STEP_MS 3000

typedef struct {
    SppLauncher *qemu;
    SppQmpClient *monitor; /* the second monitor */
    SppBridgeProcess *bridge;
    char *qmp_symlink;     /* the bridge's QMP socket */
    char *dir;
    char *log_path;        /* the bridge's stderr */
    SppPowerSession *session;
    SppPowerChannel *power;
} Rig;

/* A QEMU whose guest has booted; its first QMP socket is left for the bridge. */
SppLauncher *rig_start_qemu(void);
void rig_attach_monitor(Rig *rig);
void rig_point_qmp_symlink_at(Rig *rig, const char *socket_path);

/* A rig without QEMU: dir and the symlink's path only, for a fake QMP peer to listen at. */
Rig *rig_new_empty(void);
void rig_start_bridge(Rig *rig, const char *actions, const char *const *extra);
void rig_connect_main(Rig *rig);
/* Links the power channel of the session announcing caps; FALSE when refused (rig->power->link
 * says how). */
gboolean rig_connect_power(Rig *rig, uint32_t caps);
/* Links main then power, announcing STATE and RESULT. */
void rig_connect_client(Rig *rig);
Rig *rig_new_with(const char *actions, const char *const *extra, gboolean link_power);
Rig *rig_new(const char *actions);
/* Stops everything; the bridge's log goes to stderr, for ctest's output. */
void rig_free(Rig *rig);

/* The next STATE. */
int rig_expect_state(Rig *rig);
/* Sends an action and returns the code of its RESULT. */
uint32_t rig_act(Rig *rig, uint16_t action);
/* The bridge's log so far. */
char *rig_log(Rig *rig);

#endif /* SPP_BRIDGE_RIG_H */
