/* fuzz_dissector.c
 * libFuzzer target for the spicepower Wireshark plugin, in process, against Debian's
 * (uninstrumented) libwireshark. The plugin's own sources (dissector/src/, every .c) are
 * compiled into this executable with the fuzzer's instrumentation, so coverage guides the
 * search through the dissector and nothing of its parsing is duplicated here.
 *
 * Each input is turned into exported-PDU frames (encapsulation WIRESHARK_UPPER_PDU, the
 * format of Wireshark's "Export PDUs to file"): a few tags naming the dissector to call, then
 * the payload. The exported_pdu dissector calls the named dissector directly, so no Ethernet,
 * IP or TCP dissection is paid for. The first input byte chooses between two modes:
 *
 *  - bit 7 clear (stateless mode, the main one): one frame for "spicepower.fuzz", the whole
 *    input as payload. That entry point is stateless: this same first byte gives direction,
 *    header mode, phase and announced caps (dissector/src/conv.c, "Stateless fuzz entry"),
 *    the rest is a stream of PDUs of that direction.
 *  - bit 7 set (connection mode): the rest is a list of records, each
 *      u8 flags (bit 0: sent by the server, bit 1: offer to the heuristic "spicepower_tcp"
 *         instead of calling "spicepower"), u16 little-endian length, payload,
 *    and each record becomes one frame of a TCP connection (addresses and ports in the tags,
 *    fresh ports per input so no conversation is shared between inputs), dissected in two
 *    passes as tshark -2 does. This reaches the conversation, Decode As/heuristic, state
 *    version and request/response tracking code that the stateless entry cannot. If bit 0 of
 *    the first byte is set, the second pass is skipped.
 *
 * The plugin's stats tree ("-z spicepower,tree") is attached as a tap listener, so the tap
 * code runs too.
 *
 * Start-up follows the project's notes: plugin registration before epan_init,
 * init_process_policies and configuration_init first, one epan_t and one epan_dissect_t reused.
 * Per frame: frame_data_init, epan_dissect_run_with_taps over the tvb, frame_data_destroy,
 * epan_dissect_reset. File-scope memory (conversations) only grows in connection mode; the
 * epan is recreated every SPP_EPAN_RENEW connection-mode inputs to bound it.
 *
 * Environment: WIRESHARK_ABORT_ON_DISSECTOR_BUG=1 is set here unless already set, so a
 * DISSECTOR_ASSERT or a bad proto_tree_add_* call aborts (a finding) instead of becoming an
 * expert warning. Speed against strictness, chosen by the environment:
 *   WIRESHARK_DEBUG_WMEM_OVERRIDE=simple  every wmem allocation is a real malloc, so ASan sees
 *                                         overflows of packet-scope memory (about 2x slower);
 *   G_SLICE=always-malloc                 GLib slices through malloc too (about 30% slower);
 *   FUZZ_DISSECTOR_VISIBLE_TREE=1         visible tree: proto.c checks every field's type and
 *                                         encoding, not only referenced ones (about 2x slower);
 *   FUZZ_DISSECTOR_COLUMNS=1              fill the columns too (formats every col_* text; about
 *                                         30% slower).
 * The defaults (fuzzshark's choices: invisible tree, no columns; wmem block allocator, GLib's
 * slice allocator) are for long campaigns; the corpus and smoke ctests run the strict settings
 * (fuzz_dissector.cmake).
 * Leak detection: LeakSanitizer runs at exit (ASAN_OPTIONS=detect_leaks=1), so a leak of the
 * plugin fails the corpus and smoke ctests and any campaign. libFuzzer's per-input check
 * (-detect_leaks=1) stays off: connection mode keeps every input's conversations in file scope
 * until the epan is renewed, so most inputs end with more mallocs than frees, and each such
 * input costs a full LeakSanitizer scan of libwireshark's heap (about 15 exec/s instead of
 * 1,500). The only allocations exempt from the report are the stats tree's (fuzz_renew_stats_tree).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wireshark.h>
#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <epan/column.h>
#include <epan/column-info.h>
#include <epan/stats_tree_priv.h>
#include <epan/timestamp.h>
#include <wiretap/wtap.h>
#include <wsutil/exported_pdu_tlvs.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>
#include <wsutil/report_message.h>

/* dissector/src/plugin.c */
void plugin_register(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPP_FUZZ_MAX_INPUT   65536  /* larger inputs are cut (the .options file says 4096) */
#define SPP_FUZZ_MAX_RECORDS 64     /* frames per connection-mode input */
#define SPP_EPAN_RENEW       100000 /* connection-mode inputs per epan_t (FUZZ_DISSECTOR_EPAN_RENEW) */
#define SPP_TAGS_MAX         64

static epan_t *fuzz_epan;
static epan_dissect_t *fuzz_edt;
static column_info fuzz_cinfo;
static gboolean fuzz_visible = FALSE;
static gboolean fuzz_columns = FALSE;
static stats_tree *fuzz_st;
static guint32 framenum;
static guint32 inputs;
static guint32 conn_inputs;      /* connection-mode inputs since the epan was created */
static guint32 conn_serial;      /* gives every connection its own ports */
static guint32 epan_renew = SPP_EPAN_RENEW;
static guint8 frame_buf[SPP_TAGS_MAX + SPP_FUZZ_MAX_INPUT];

static void
fuzz_vreport(const char *fmt, va_list ap)
{
    fprintf(stderr, "fuzz_dissector: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void fuzz_open_failure(const char *f, int e, gboolean w _U_) { fprintf(stderr, "open %s: %d\n", f, e); }
static void fuzz_rw_failure(const char *f, int e) { fprintf(stderr, "read/write %s: %d\n", f, e); }
static void fuzz_cf_failure(const char *f, int e, gchar *i _U_) { fprintf(stderr, "file %s: %d\n", f, e); }
static void fuzz_cf_dump_failure(const char *f, int e, gchar *i _U_, int t _U_) { fprintf(stderr, "dump %s: %d\n", f, e); }
static void fuzz_cf_write_failure(const char *in _U_, const char *out, int e, gchar *i _U_, guint32 n _U_, int t _U_)
{
    fprintf(stderr, "write %s: %d\n", out, e);
}

static const nstime_t *
fuzz_get_frame_ts(struct packet_provider_data *prov _U_, guint32 frame_num _U_)
{
    static nstime_t zero;
    return &zero;
}

static void
fuzz_epan_create(void)
{
    static const struct packet_provider_funcs funcs = { fuzz_get_frame_ts, NULL, NULL, NULL };

    fuzz_epan = epan_new(NULL, &funcs);
    fuzz_edt = epan_dissect_new(fuzz_epan, TRUE, fuzz_visible);
}

/* The stats tree of dissector/src/stats.c, attached the way tshark's -z does. */
static void
fuzz_attach_stats_tree(void)
{
    stats_tree_cfg *cfg = stats_tree_get_cfg_by_abbr("spicepower");
    GString *err;

    if (!cfg) {
        fprintf(stderr, "fuzz_dissector: no stats tree \"spicepower\"\n");
        abort();
    }
    fuzz_st = stats_tree_new(cfg, NULL, NULL);
    err = register_tap_listener(cfg->tapname, fuzz_st, NULL, cfg->flags, stats_tree_reset,
                                stats_tree_packet, NULL, NULL);
    if (err) {
        fprintf(stderr, "fuzz_dissector: register_tap_listener: %s\n", err->str);
        abort();
    }
    if (cfg->init)
        cfg->init(fuzz_st);
}

/* LeakSanitizer's scope for allocations that are not leaks of the code under test. Weak: a build
 * without LSan (oss-fuzz's MSan and UBSan builds) has no such functions. */
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

/* A fresh stats tree, its allocations exempt from leak reports: Wireshark 4.0 leaks a little of
 * every stats tree it frees (stats_tree_reinit drops the root node; stats_tree_new/stats_tree_free
 * leave a node and a name per tree), which LeakSanitizer reports at exit. Name-based suppressions
 * cannot match them: the fast unwinder stops in GLib's g_malloc, which has no frame pointers, and
 * the full unwinder makes the target 30 times slower. */
static void
fuzz_renew_stats_tree(gboolean first)
{
    if (__lsan_disable)
        __lsan_disable();
    if (!first) {
        remove_tap_listener(fuzz_st);
        stats_tree_free(fuzz_st);
    }
    fuzz_attach_stats_tree();
    if (__lsan_enable)
        __lsan_enable();
}

int
LLVMFuzzerInitialize(int *argc _U_, char ***argv)
{
    static const struct report_message_routines routines = {
        fuzz_vreport, fuzz_vreport, fuzz_open_failure, fuzz_rw_failure, fuzz_rw_failure,
        fuzz_cf_failure, fuzz_cf_dump_failure, fuzz_cf_failure, fuzz_cf_write_failure, fuzz_cf_failure
    };
    e_prefs *prefs_p;
    char *err;
    const char *visible = getenv("FUZZ_DISSECTOR_VISIBLE_TREE");
    const char *columns = getenv("FUZZ_DISSECTOR_COLUMNS");

    g_setenv("WIRESHARK_ABORT_ON_DISSECTOR_BUG", "1", FALSE);
    /* No personal profile: nothing on this machine changes what is fuzzed. */
    g_setenv("XDG_CACHE_HOME", "/nonexistent", FALSE);
    g_setenv("XDG_CONFIG_HOME", "/nonexistent", FALSE);
    g_setenv("XDG_DATA_HOME", "/nonexistent", FALSE);
    fuzz_visible = visible && strcmp(visible, "1") == 0;
    fuzz_columns = columns && strcmp(columns, "1") == 0;
    if (getenv("FUZZ_DISSECTOR_EPAN_RENEW"))
        epan_renew = (guint32)strtoul(getenv("FUZZ_DISSECTOR_EPAN_RENEW"), NULL, 10);

    init_process_policies();
    err = configuration_init((*argv)[0], NULL);
    if (err) {
        fprintf(stderr, "fuzz_dissector: configuration_init: %s\n", err);
        g_free(err);
    }
    init_report_message("fuzz_dissector", &routines);
    timestamp_set_type(TS_RELATIVE);
    timestamp_set_precision(TS_PREC_AUTO);
    timestamp_set_seconds_type(TS_SECONDS_DEFAULT);
    wtap_init(FALSE);

    /* The plugin is linked in: register it before epan_init, which then runs its register
     * and handoff functions like those of a loaded plugin. No plugin is loaded from disk. */
    plugin_register();
    if (!epan_init(NULL, NULL, FALSE)) {
        fprintf(stderr, "fuzz_dissector: epan_init failed\n");
        abort();
    }
    prefs_p = epan_load_settings();
    prefs_apply_all();
    build_column_format_array(&fuzz_cinfo, prefs_p->num_cols, TRUE);

    if (!find_dissector("spicepower.fuzz") || !find_dissector("spicepower") ||
        !find_heur_dissector_by_unique_short_name("spicepower_tcp")) {
        fprintf(stderr, "fuzz_dissector: the spicepower plugin did not register its entry points\n");
        abort();
    }
    fuzz_renew_stats_tree(TRUE);
    fuzz_epan_create();
    return 0;
}

static size_t
put_tag(guint8 *p, guint16 tag, const void *value, guint16 len)
{
    p[0] = tag >> 8; p[1] = tag & 0xff;
    p[2] = len >> 8; p[3] = len & 0xff;
    if (len)
        memcpy(p + 4, value, len);
    return 4u + len;
}

static size_t
put_tag_u32(guint8 *p, guint16 tag, guint32 v)
{
    guint8 be[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
    return put_tag(p, tag, be, 4);
}

/* One exported-PDU frame in frame_buf: tags, then len payload bytes. */
static guint32
build_frame(const char *name, gboolean heur, const guint8 *addr_src, const guint8 *addr_dst,
            guint32 sport, guint32 dport, const uint8_t *payload, size_t len)
{
    size_t n = 0;

    n += put_tag(frame_buf + n, heur ? EXP_PDU_TAG_HEUR_DISSECTOR_NAME : EXP_PDU_TAG_DISSECTOR_NAME,
                 name, (guint16)strlen(name));
    if (addr_src) {
        n += put_tag(frame_buf + n, EXP_PDU_TAG_IPV4_SRC, addr_src, 4);
        n += put_tag(frame_buf + n, EXP_PDU_TAG_IPV4_DST, addr_dst, 4);
        n += put_tag_u32(frame_buf + n, EXP_PDU_TAG_PORT_TYPE, EXP_PDU_PT_TCP);
        n += put_tag_u32(frame_buf + n, EXP_PDU_TAG_SRC_PORT, sport);
        n += put_tag_u32(frame_buf + n, EXP_PDU_TAG_DST_PORT, dport);
    }
    n += put_tag(frame_buf + n, EXP_PDU_TAG_END_OF_OPT, NULL, 0);
    memcpy(frame_buf + n, payload, len);
    return (guint32)(n + len);
}

static void
dissect_frame(frame_data *fd, guint32 len, gboolean init)
{
    wtap_rec rec;

    memset(&rec, 0, sizeof(rec));
    rec.rec_type = REC_TYPE_PACKET;
    rec.rec_header.packet_header.caplen = len;
    rec.rec_header.packet_header.len = len;
    rec.rec_header.packet_header.pkt_encap = WTAP_ENCAP_WIRESHARK_UPPER_PDU;
    rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
    if (init)
        frame_data_init(fd, ++framenum, &rec, 0, 0);
    epan_dissect_run_with_taps(fuzz_edt, WTAP_FILE_TYPE_SUBTYPE_UNKNOWN, &rec,
                               tvb_new_real_data(frame_buf, len, len), fd, fuzz_columns ? &fuzz_cinfo : NULL);
    epan_dissect_reset(fuzz_edt);
}

/* Connection mode: records -> frames of one TCP connection, two passes. */
static void
fuzz_connection(const uint8_t *data, size_t size)
{
    static const guint8 client_ip[4] = { 10, 0, 0, 1 };
    static const guint8 server_ip[4] = { 10, 0, 0, 2 };
    struct { size_t off, len; guint8 flags; } rec[SPP_FUZZ_MAX_RECORDS];
    frame_data fds[SPP_FUZZ_MAX_RECORDS];
    guint32 client_port, server_port = 5930;
    size_t off = 1, nrec = 0, i;
    int pass;

    if (conn_inputs++ >= epan_renew) {     /* drop the accumulated conversations */
        epan_dissect_free(fuzz_edt);
        epan_free(fuzz_epan);
        fuzz_epan_create();
        conn_inputs = 1;
    }
    conn_serial++;
    client_port = 1024 + conn_serial % 60000;
    server_port += (conn_serial / 60000) % 1000;

    while (off + 3 <= size && nrec < SPP_FUZZ_MAX_RECORDS) {
        size_t len = data[off + 1] | (size_t)data[off + 2] << 8;

        rec[nrec].flags = data[off];
        off += 3;
        if (len > size - off)
            len = size - off;
        rec[nrec].off = off;
        rec[nrec].len = len;
        nrec++;
        off += len;
    }

    for (pass = 0; pass < ((data[0] & 1) ? 1 : 2); pass++) {
        for (i = 0; i < nrec; i++) {
            gboolean from_server = rec[i].flags & 1;
            gboolean heur = (rec[i].flags & 2) != 0;
            guint32 len = build_frame(heur ? "spicepower_tcp" : "spicepower", heur,
                                      from_server ? server_ip : client_ip,
                                      from_server ? client_ip : server_ip,
                                      from_server ? server_port : client_port,
                                      from_server ? client_port : server_port,
                                      data + rec[i].off, rec[i].len);
            dissect_frame(&fds[i], len, pass == 0);
        }
    }
    for (i = 0; i < nrec; i++)
        frame_data_destroy(&fds[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frame_data fd;

    if (size > SPP_FUZZ_MAX_INPUT)
        size = SPP_FUZZ_MAX_INPUT;
#ifdef FUZZ_DISSECTOR_PLANTED_LEAK
    /* fuzz.fuzz_dissector.leak_is_reported: a leak the ctests' settings must report */
    if (size > 0 && (data[0] & 0x80)) {
        char *volatile planted = g_malloc(4242);
        planted[0] = data[0];
        planted = NULL;
    }
#endif
    if (size > 0 && (data[0] & 0x80)) {
        fuzz_connection(data, size);
    } else {
        dissect_frame(&fd, build_frame("spicepower.fuzz", FALSE, NULL, NULL, 0, 0, data, size), TRUE);
        frame_data_destroy(&fd);
    }
    if ((++inputs & 0xfff) == 0)    /* the stats tree grows with every distinct value seen */
        fuzz_renew_stats_tree(FALSE);
    return 0;
}
