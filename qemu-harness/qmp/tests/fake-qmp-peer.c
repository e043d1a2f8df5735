#include "fake-qmp-peer.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define ACCEPT_TIMEOUT_MS 10000

static char *read_line(int fd)
{
    GString *line = g_string_new(NULL);
    char c;
    while (read(fd, &c, 1) == 1) {
        if (c == '\n')
            return g_string_free(line, FALSE);
        g_string_append_c(line, c);
    }
    g_string_free(line, TRUE);
    return NULL;
}

static char *id_of(const char *request)
{
    g_autoptr(JsonNode) node = json_from_string(request, NULL);
    g_assert_nonnull(node);
    JsonNode *id = json_object_get_member(json_node_get_object(node), "id");
    g_assert_nonnull(id);
    return json_to_string(id, FALSE);
}

static void send_text(int fd, const char *text)
{
    gsize length = strlen(text);
    g_assert_cmpint(write(fd, text, length), ==, (gssize)length);
}

static char *replace(const char *text, const char *marker, const char *value)
{
    g_auto(GStrv) parts = g_strsplit(text, marker, -1);
    return g_strjoinv(value, parts);
}

static gpointer peer_main(gpointer data)
{
    FakePeer *peer = data;
    g_autofree char *last_id = NULL;
    for (const Step *step = peer->script; step->kind != STEP_END; step++) {
        switch (step->kind) {
        case STEP_SEND:
            send_text(peer->fd, step->text);
            break;
        case STEP_REPLY:
        case STEP_RECV: {
            char *request = read_line(peer->fd);
            if (request == NULL)
                return NULL;
            g_ptr_array_add(peer->requests, request);
            g_autofree char *id = id_of(request);
            if (step->kind == STEP_RECV) {
                g_free(last_id);
                last_id = g_steal_pointer(&id);
            } else {
                g_autofree char *reply = replace(step->text, "%ID%", id);
                send_text(peer->fd, reply);
            }
            break;
        }
        case STEP_SEND_LAST: {
            g_autofree char *reply = replace(step->text, "%LAST%", last_id);
            send_text(peer->fd, reply);
            break;
        }
        case STEP_SEND_BYTEWISE:
            for (const char *c = step->text; *c != '\0' && send(peer->fd, c, 1, MSG_NOSIGNAL) == 1; c++)
                g_usleep(200);
            break;
        case STEP_SLEEP_MS:
            g_usleep((gulong)step->ms * 1000);
            break;
        case STEP_FLOOD_MS: {
            gint64 until = g_get_monotonic_time() + (gint64)step->ms * 1000;
            size_t length = strlen(step->text);
            /* As fast as the client reads, without spinning while it does not: a spinning peer
             * takes a CPU from the client it floods on a small machine. */
            struct pollfd writable = {.fd = peer->fd, .events = POLLOUT};
            while (g_get_monotonic_time() < until &&
                   (send(peer->fd, step->text, length, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0 || errno == EAGAIN))
                poll(&writable, 1, 10);
            break;
        }
        case STEP_CLOSE:
            close(peer->fd);
            peer->fd = -1;
            break;
        case STEP_END:
            break;
        }
    }
    return NULL;
}

static gpointer listen_main(gpointer data)
{
    FakePeer *peer = data;
    struct pollfd pfd = {.fd = peer->listen_fd, .events = POLLIN};
    if (poll(&pfd, 1, ACCEPT_TIMEOUT_MS) != 1)
        return NULL;
    peer->fd = accept(peer->listen_fd, NULL, NULL);
    if (peer->fd < 0)
        return NULL;
    return peer_main(peer);
}

FakePeer *peer_listen(const char *path, const Step *script)
{
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(path), <, sizeof address.sun_path);
    strcpy(address.sun_path, path);
    unlink(path);
    FakePeer *peer = g_new0(FakePeer, 1);
    peer->fd = -1;
    peer->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(peer->listen_fd, >=, 0);
    g_assert_cmpint(bind(peer->listen_fd, (struct sockaddr *)&address, sizeof address), ==, 0);
    g_assert_cmpint(listen(peer->listen_fd, 4), ==, 0);
    peer->script = script;
    peer->requests = g_ptr_array_new_with_free_func(g_free);
    peer->thread = g_thread_new("fake-qmp-listener", listen_main, peer);
    return peer;
}

FakePeer *peer_start(const Step *script, int *client_fd)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
    FakePeer *peer = g_new0(FakePeer, 1);
    peer->fd = fds[1];
    peer->listen_fd = -1;
    peer->script = script;
    peer->requests = g_ptr_array_new_with_free_func(g_free);
    peer->thread = g_thread_new("fake-qmp-peer", peer_main, peer);
    *client_fd = fds[0];
    return peer;
}

void peer_finish(FakePeer *peer)
{
    g_thread_join(peer->thread);
    if (peer->fd >= 0)
        close(peer->fd);
    if (peer->listen_fd >= 0)
        close(peer->listen_fd);
    g_ptr_array_unref(peer->requests);
    g_free(peer);
}

SppQmpClient *connect_client(const Step *script, FakePeer **peer)
{
    int fd;
    *peer = peer_start(script, &fd);
    g_autoptr(GError) error = NULL;
    SppQmpClient *client = spp_qmp_client_new_from_fd(fd, 2000, &error);
    g_assert_no_error(error);
    g_assert_nonnull(client);
    return client;
}

