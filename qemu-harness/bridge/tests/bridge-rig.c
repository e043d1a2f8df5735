#include "bridge-rig.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "guest.h"

SppLauncher *rig_start_qemu(void)
{
    g_autoptr(SppLaunchConfig) config = spp_launch_config_new();
    g_autoptr(GError) err = NULL;
    g_autofree char *disk = spp_guest_disk_spec("disk0", "qcow2");
    g_assert_true(spp_launch_config_add_disk(config, disk, &err));
    spp_launch_config_set_second_monitor(config, TRUE);
    /* QEMU serves one client per QMP socket: the first belongs to the bridge. */
    spp_launch_config_set_connect_qmp(config, FALSE);
    SppLauncher *qemu = spp_launcher_start(config, &err);
    g_assert_no_error(err);
    g_autofree char *boot = spp_launcher_serial_wait_line(qemu, SPP_GUEST_BOOT_LINE, 10000, &err);
    g_assert_no_error(err);
    g_assert_nonnull(boot);
    return qemu;
}

void rig_attach_monitor(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    rig->monitor = spp_qmp_client_connect(spp_launcher_get_monitor_socket_path(rig->qemu), 5000, &err);
    g_assert_no_error(err);
}

void rig_point_qmp_symlink_at(Rig *rig, const char *socket_path)
{
    g_autofree char *tmp = g_strconcat(rig->qmp_symlink, ".new", NULL);
    unlink(tmp);
    g_assert_cmpint(symlink(socket_path, tmp), ==, 0);
    g_assert_cmpint(rename(tmp, rig->qmp_symlink), ==, 0);
}

Rig *rig_new_empty(void)
{
    Rig *rig = g_new0(Rig, 1);
    rig->dir = g_dir_make_tmp("bridge-e2e-XXXXXX", NULL);
    rig->qmp_symlink = g_build_filename(rig->dir, "qmp.sock", NULL);
    rig->log_path = g_build_filename(rig->dir, "bridge.log", NULL);
    return rig;
}

void rig_start_bridge(Rig *rig, const char *actions, const char *const *extra)
{
    const SppBridgeProcessSpec spec = {.path = SPP_BRIDGE_PATH,
                                       .qmp_socket = rig->qmp_symlink,
                                       .actions = actions,
                                       .extra_args = extra,
                                       .log_file = rig->log_path};
    g_autoptr(GError) err = NULL;
    rig->bridge = spp_bridge_process_start(&spec, &err);
    g_assert_no_error(err);
}

void rig_connect_main(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    int port = spp_bridge_process_port(rig->bridge);
    rig->session = spp_power_session_open("127.0.0.1", port, NULL, 5000, STEP_MS, &err);
    g_assert_no_error(err);
}

gboolean rig_connect_power(Rig *rig, uint32_t caps)
{
    rig->power = spp_power_channel_new();
    return spp_power_channel_link(rig->power, rig->session, SPP_POWER_CHANNEL_ID, caps, NULL, STEP_MS, NULL);
}

void rig_connect_client(Rig *rig)
{
    rig_connect_main(rig);
    if (!rig_connect_power(rig, SPP_CAP_MASK(SPP_POWER_CAP_STATE) | SPP_CAP_MASK(SPP_POWER_CAP_RESULT)))
        g_error("power channel link: %s", spp_conn_error(rig->power->conn));
}

Rig *rig_new_with(const char *actions, const char *const *extra, gboolean link_power)
{
    Rig *rig = rig_new_empty();
    rig->qemu = rig_start_qemu();
    rig_attach_monitor(rig);
    rig_point_qmp_symlink_at(rig, spp_launcher_get_qmp_socket_path(rig->qemu));
    rig_start_bridge(rig, actions, extra);
    if (link_power)
        rig_connect_client(rig);
    return rig;
}

Rig *rig_new(const char *actions)
{
    return rig_new_with(actions, NULL, TRUE);
}

char *rig_log(Rig *rig)
{
    char *text = NULL;
    if (!g_file_get_contents(rig->log_path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

void rig_free(Rig *rig)
{
    spp_power_channel_free(rig->power);
    spp_power_session_free(rig->session);
    spp_bridge_process_stop(rig->bridge);
    g_autofree char *log = rig_log(rig);
    g_printerr("%s", log);
    spp_qmp_client_free(rig->monitor);
    spp_launcher_free(rig->qemu);
    g_unlink(rig->qmp_symlink);
    g_unlink(rig->log_path);
    g_rmdir(rig->dir);
    g_free(rig->qmp_symlink);
    g_free(rig->log_path);
    g_free(rig->dir);
    g_free(rig);
}

int rig_expect_state(Rig *rig)
{
    g_autoptr(GError) err = NULL;
    int state = spp_power_channel_expect_state(rig->power, 5000, &err);
    g_assert_no_error(err); /* a STATE came, with its one byte */
    return state;
}

uint32_t rig_act(Rig *rig, uint16_t action)
{
    g_autoptr(GError) err = NULL;
    uint32_t code = 0;
    spp_power_channel_act(rig->power, action, 5000, &code, &err);
    g_assert_no_error(err); /* sent; a RESULT came, of 6 bytes, naming this action */
    return code;
}
