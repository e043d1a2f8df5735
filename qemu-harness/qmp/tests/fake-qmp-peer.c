#define _GNU_SOURCE /* POLLRDHUP */
#include "fake-qmp-peer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FLOOD_WAIT_MS 10
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

/* Waits ms milliseconds, or less once the client has hung up; FALSE then. */
static gboolean pause_unless_gone(int fd, int ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;
    for (;;) {
        gint64 left_ms = (until - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0)
            return TRUE;
        struct pollfd p = {.fd = fd, .events = POLLRDHUP};
        int r = poll(&p, 1, (int)left_ms);
        if (r > 0 || (r < 0 && errno != EINTR))
            return FALSE;
    }
}

/* Like read_line, one byte every ms milliseconds. */
static char *read_line_slowly(int fd, int ms)
{
    GString *line = g_string_new(NULL);
    char c;
    while (pause_unless_gone(fd, ms) && read(fd, &c, 1) == 1) {
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

/* FALSE once the client is gone. */
static gboolean send_text(int fd, const char *text)
{
    gsize length = strlen(text);
    while (length > 0) {
        gssize n = send(fd, text, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        text += n;
        length -= (gsize)n;
    }
    return TRUE;
}

static char *replace(const char *text, const char *marker, const char *value)
{
    g_auto(GStrv) parts = g_strsplit(text, marker, -1);
    return g_strjoinv(value, parts);
}

/* Sends text again and again for ms milliseconds, or until the client is gone. */
static void flood(int fd, const char *text, int ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;
    size_t length = strlen(text);
    while (g_get_monotonic_time() < until) {
        if (send(fd, text, length, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
            continue;
        if (errno != EAGAIN && errno != EINTR)
            return;
        /* Full: wait for room instead of spinning, so that a flooded client gets the CPU. */
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, FLOOD_WAIT_MS);
    }
}

/* Reads a request (slowly: one byte every slow_ms; 0: at once); answers it with reply unless
 * *last_id is given, which gets its id instead. FALSE once the client is gone. */
static gboolean take_request(FakePeer *peer, int fd, int slow_ms, const char *reply, char **last_id)
{
    char *request = slow_ms > 0 ? read_line_slowly(fd, slow_ms) : read_line(fd);
    if (request == NULL)
        return FALSE;
    g_ptr_array_add(peer->requests, request);
    g_autofree char *id = id_of(request);
    if (last_id) {
        g_free(*last_id);
        *last_id = g_steal_pointer(&id);
        return TRUE;
    }
    g_autofree char *text = replace(reply, "%ID%", id);
    return send_text(fd, text);
}

static void close_client(FakePeer *peer)
{
    g_mutex_lock(&peer->lock);
    if (peer->fd >= 0)
        close(peer->fd);
    peer->fd = -1;
    g_mutex_unlock(&peer->lock);
}

/* Plays the script to the client on fd until it ends or the client is gone. */
static void play(FakePeer *peer, int fd)
{
    g_autofree char *last_id = NULL;
    gboolean on = TRUE;
    for (const Step *step = peer->script; on && step->kind != STEP_END; step++) {
        switch (step->kind) {
        case STEP_SEND:
            on = send_text(fd, step->text);
            break;
        case STEP_REPLY:
            on = take_request(peer, fd, 0, step->text, NULL);
            break;
        case STEP_RECV:
            on = take_request(peer, fd, 0, NULL, &last_id);
            break;
        case STEP_SEND_LAST: {
            g_autofree char *reply = replace(step->text, "%LAST%", last_id);
            on = send_text(fd, reply);
            break;
        }
        case STEP_SEND_BYTEWISE:
            for (const char *c = step->text; *c != '\0' && send(fd, c, 1, MSG_NOSIGNAL) == 1; c++)
                g_usleep(200);
            break;
        case STEP_SLEEP_MS:
            on = pause_unless_gone(fd, step->ms);
            break;
        case STEP_FLOOD_MS:
            flood(fd, step->text, step->ms);
            break;
        case STEP_SERVE_SLOWLY:
            while (take_request(peer, fd, step->ms, step->text, NULL))
                ;
            on = FALSE;
            break;
        case STEP_CLOSE:
            close_client(peer);
            on = FALSE;
            break;
        case STEP_END:
            break;
        }
    }
}

static gpointer peer_main(gpointer data)
{
    FakePeer *peer = data;
    play(peer, peer->fd);
    return NULL;
}

static FakePeer *peer_new(const Step *script)
{
    FakePeer *peer = g_new0(FakePeer, 1);
    peer->fd = peer->listen_fd = peer->wake[0] = peer->wake[1] = -1;
    g_mutex_init(&peer->lock);
    peer->script = script;
    peer->requests = g_ptr_array_new_with_free_func(g_free);
    return peer;
}

static void peer_free(FakePeer *peer)
{
    close_client(peer);
    int own[] = {peer->listen_fd, peer->wake[0], peer->wake[1]};
    for (gsize i = 0; i < G_N_ELEMENTS(own); i++)
        if (own[i] >= 0)
            close(own[i]);
    g_mutex_clear(&peer->lock);
    g_ptr_array_unref(peer->requests);
    g_free(peer);
}

FakePeer *peer_start(const Step *script, int *client_fd)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
    FakePeer *peer = peer_new(script);
    peer->fd = fds[1];
    peer->thread = g_thread_new("fake-qmp-peer", peer_main, peer);
    *client_fd = fds[0];
    return peer;
}

void peer_finish(FakePeer *peer)
{
    g_thread_join(peer->thread);
    peer_free(peer);
}

/* The next client, or -1 once the peer is told to stop. */
static int next_client(FakePeer *peer)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = peer->listen_fd, .events = POLLIN}, {.fd = peer->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return -1;
        if (p[1].revents)
            return -1;
        if (p[0].revents & POLLIN) {
            int fd = accept4(peer->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                return fd;
        }
    }
}

static gpointer serve_main(gpointer data)
{
    FakePeer *peer = data;
    int fd;
    while ((fd = next_client(peer)) >= 0) {
        g_mutex_lock(&peer->lock);
        gboolean stopping = peer->stopping;
        peer->fd = fd;
        peer->clients++;
        g_mutex_unlock(&peer->lock);
        if (stopping) {
            close_client(peer);
            break;
        }
        play(peer, fd);
        close_client(peer);
    }
    return NULL;
}

/* A listening Unix socket at path (a file there is replaced). */
static int listen_on(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(path), <, sizeof addr.sun_path);
    strcpy(addr.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    return fd;
}

static gpointer listen_once_main(gpointer data)
{
    FakePeer *peer = data;
    struct pollfd p = {.fd = peer->listen_fd, .events = POLLIN};
    if (poll(&p, 1, ACCEPT_TIMEOUT_MS) != 1)
        return NULL;
    int fd = accept4(peer->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return NULL;
    g_mutex_lock(&peer->lock);
    peer->fd = fd;
    peer->clients++;
    g_mutex_unlock(&peer->lock);
    play(peer, fd);
    return NULL;
}

FakePeer *peer_listen(const char *path, const Step *script)
{
    FakePeer *peer = peer_new(script);
    peer->listen_fd = listen_on(path);
    peer->thread = g_thread_new("fake-qmp-listener", listen_once_main, peer);
    return peer;
}

FakePeer *peer_serve(const char *path, const Step *script)
{
    FakePeer *peer = peer_new(script);
    peer->listen_fd = listen_on(path);
    g_assert_cmpint(pipe2(peer->wake, O_CLOEXEC), ==, 0);
    peer->thread = g_thread_new("fake-qmp-server", serve_main, peer);
    return peer;
}

void peer_serve_stop(FakePeer *peer)
{
    g_assert_cmpint(write(peer->wake[1], "x", 1), ==, 1);
    g_mutex_lock(&peer->lock);
    peer->stopping = TRUE;
    if (peer->fd >= 0)
        shutdown(peer->fd, SHUT_RDWR);
    g_mutex_unlock(&peer->lock);
    g_thread_join(peer->thread);
    peer_free(peer);
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
