/* The serial line reader on a socketpair, without QEMU: which bytes make which lines. The case
 * that matters is the one a reset produces, a line cut short and the next boot's output after it. */
#include "launcher-serial.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int guest_fd; /* the end the "guest" writes to */
    SppSerialReader *reader;
} Serial;

static void serial_open(Serial *s)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
    s->guest_fd = fds[0];
    s->reader = spp_serial_reader_new(fds[1], NULL);
}

static void serial_close(Serial *s)
{
    spp_serial_reader_free(s->reader);
    close(s->guest_fd);
}

/* Writes bytes as one read's worth and lets the reader take them in. */
static void guest_prints(Serial *s, const char *bytes)
{
    g_assert_cmpint(write(s->guest_fd, bytes, strlen(bytes)), ==, (ssize_t)strlen(bytes));
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(spp_serial_reader_pump(s->reader, g_get_monotonic_time() + 100000, &error), >=, 0);
    g_assert_no_error(error);
}

static void assert_lines(Serial *s, const char *const *expected)
{
    const GPtrArray *lines = spp_serial_reader_get_lines(s->reader);
    guint n = g_strv_length((char **)expected);
    for (guint i = 0; i < MIN(n, lines->len); i++)
        g_assert_cmpstr(lines->pdata[i], ==, expected[i]);
    g_assert_cmpuint(lines->len, ==, n);
}

static gboolean has_prefix(const char *line, gconstpointer prefix)
{
    return g_str_has_prefix(line, prefix);
}

static void test_crlf_ends_a_line(void)
{
    Serial s;
    serial_open(&s);
    guest_prints(&s, "BOOT 1\r\nTICK 1\r\nTICK");
    assert_lines(&s, (const char *const[]){"BOOT 1", "TICK 1", NULL});
    serial_close(&s);
}

/* "\r" in one read and "\n" in the next are one line end, not two. */
static void test_crlf_split_across_reads(void)
{
    Serial s;
    serial_open(&s);
    guest_prints(&s, "TICK 1\r");
    guest_prints(&s, "\nTICK 2\r\n");
    assert_lines(&s, (const char *const[]){"TICK 1", "TICK 2", NULL});
    serial_close(&s);
}

static void test_lf_alone_ends_a_line(void)
{
    Serial s;
    serial_open(&s);
    guest_prints(&s, "TICK 1\n\nTICK 2\n");
    assert_lines(&s, (const char *const[]){"TICK 1", "", "TICK 2", NULL});
    serial_close(&s);
}

/* A reset between a line's "\r" and its "\n" (seen on QEMU 7.2 and 10.0, about once in 60 resets
 * timed to the guest's disk writes): the next boot's BOOT line is a line of its own. */
static void test_reset_after_cr_leaves_boot_a_line(void)
{
    Serial s;
    serial_open(&s);
    guest_prints(&s, "TICK 20\r\nDISK 20\r");
    guest_prints(&s, "BOOT 41\r\n");
    g_autoptr(GError) error = NULL;
    g_autofree char *boot = spp_serial_reader_wait(s.reader, has_prefix, "BOOT ", "BOOT", 1000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(boot, ==, "BOOT 41");
    serial_close(&s);
}

/* The same with the cut bytes and the boot's bytes in one read. */
static void test_reset_after_cr_in_one_read(void)
{
    Serial s;
    serial_open(&s);
    guest_prints(&s, "DISK 20\rBOOT 41\r\n");
    assert_lines(&s, (const char *const[]){"DISK 20", "BOOT 41", NULL});
    serial_close(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/serial/crlf_ends_a_line", test_crlf_ends_a_line);
    g_test_add_func("/serial/crlf_split_across_reads", test_crlf_split_across_reads);
    g_test_add_func("/serial/lf_alone_ends_a_line", test_lf_alone_ends_a_line);
    g_test_add_func("/serial/reset_after_cr_leaves_boot_a_line", test_reset_after_cr_leaves_boot_a_line);
    g_test_add_func("/serial/reset_after_cr_in_one_read", test_reset_after_cr_in_one_read);
    return g_test_run();
}
