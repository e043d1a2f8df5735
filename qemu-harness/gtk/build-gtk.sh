#!/bin/sh
# Build Debian bookworm's spice-gtk 0.42 with our power channel series.
#
#   build-gtk.sh fetch   WORK                  download the exact source package into WORK/dl
#   build-gtk.sh prepare WORK PATCHES          unpack, apply Debian's patches then ours into WORK/src
#   build-gtk.sh build   WORK SPICE_PREFIX [gcc|fuzz]
#                                              build and install against the patched spice-protocol
#                                              in SPICE_PREFIX: gcc (default) into WORK/prefix
#                                              (spicy included), fuzz into WORK/prefix-fuzz
#   build-gtk.sh check   WORK PATCHES          git apply --check our series on pristine sources
#
# Everything stays under WORK (the CMake build tree); nothing is installed system-wide. The
# installed programs and libraries find the libraries of WORK/prefix by themselves (RUNPATH).
set -eu

GTK_VERSION=0.42-1

# shellcheck source=SCRIPTDIR/../../tools/debian-source.sh
. "$(dirname "$0")/../../tools/debian-source.sh"
debian_source_command_line "fetch|prepare|build|check" "WORK [PATCHES|SPICE_PREFIX [gcc|fuzz]]" "$@"
DSC=$WORK/dl/spice-gtk_$GTK_VERSION.dsc

fetch() {
    debian_source_fetch "$WORK/dl" "spice-gtk=$GTK_VERSION"
}

# unpack DEST: pristine upstream + Debian's patches, with the tarball's code generated from the
# unpatched spice.proto removed (the build regenerates it from the patched one)
unpack() {
    debian_source_unpack "$DSC" "$1"
    rm -f "$1"/subprojects/spice-common/common/generated_*
}

prepare() {
    fetch
    unpack "$WORK/src/spice-gtk"
    debian_source_series_apply "$WORK/src/spice-gtk" "$1" apply
    log "sources of spice-gtk $GTK_VERSION ready in $WORK/src/spice-gtk"
}

check() {
    fetch
    tmp=$(mktemp -d "$WORK/check.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    unpack "$tmp/spice-gtk"
    debian_source_series_apply "$tmp/spice-gtk" "$1" check
}

# The options of the gcc flavour: the GTK widget and spicy, without the features a power channel
# test does not use (USB redirection, smartcards, WebDAV, GObject introspection, Vala, Wayland,
# EGL, the manual).
GCC_OPTIONS="--buildtype debugoptimized -Dgtk=enabled -Dusbredir=disabled -Dsmartcard=disabled
    -Dwebdav=disabled -Dpolkit=disabled -Dlibcap-ng=disabled -Dintrospection=disabled -Dvapi=disabled
    -Dwayland-protocols=disabled -Degl=disabled -Dgtk_doc=disabled -Dsasl=enabled -Dlz4=enabled
    -Dopus=enabled"
# The fuzz flavour (fuzz/fuzz_gtk_power_channel.c): libspice-client-glib-2.0 alone, static, clang-14
# with ASan/UBSan and libFuzzer's coverage, and fewer link dependencies (no GTK, SASL, LZ4, Opus).
# GThread coroutines: ASan loses track of the stacks ucontext coroutines switch between (false
# stack-buffer reports, missed ones), while each GThread coroutine has a stack of its own. UBSan
# findings abort, so libFuzzer reports them as crashes.
FUZZ_OPTIONS="--buildtype debugoptimized -Ddefault_library=static -Db_sanitize=address,undefined
    -Db_lundef=false -Dcoroutine=gthread -Dgtk=disabled -Dusbredir=disabled -Dsmartcard=disabled
    -Dwebdav=disabled -Dpolkit=disabled -Dlibcap-ng=disabled -Dintrospection=disabled -Dvapi=disabled
    -Dwayland-protocols=disabled -Degl=disabled -Dgtk_doc=disabled -Dsasl=disabled -Dlz4=disabled
    -Dopus=disabled"
# Two UBSan checks are off, both for upstream code that every channel runs: alignment, because
# spice_channel_send_link() stores the caps of every link message through a misaligned uint32_t *
# (no link would get through), and pointer-overflow, because spice_channel_recv_msg() hands the
# parser NULL + 0 for every empty body (g_malloc0(0)), as spice-server does (../spice/build-stack.sh).
# Both are harmless on the targets spice-gtk supports. meson takes -Dc_args instead of $CFLAGS:
# oss-fuzz's and fuzz/coverage.sh's flags are added.
fuzz_c_args() {
    printf "['-fsanitize=fuzzer-no-link','-fno-sanitize-recover=undefined'"
    printf ",'-fno-sanitize=alignment','-fno-sanitize=pointer-overflow'"
    for f in ${CFLAGS:-}; do printf ",'%s'" "$f"; done
    printf "]"
}

build() {
    spice_prefix=$1 flavour=$2
    [ -d "$WORK/src/spice-gtk" ] || die "run prepare first"
    [ -f "$spice_prefix/share/pkgconfig/spice-protocol.pc" ] || die "no patched spice-protocol in $spice_prefix"
    start=$(date +%s)
    case $flavour in
    gcc)
        bdir=$WORK/build prefix=$WORK/prefix
        # shellcheck disable=SC2086 # the option lists are split on purpose
        set -- $GCC_OPTIONS -Dc_link_args="-Wl,-rpath,$WORK/prefix/lib"
        ;;
    fuzz)
        bdir=$WORK/build-fuzz prefix=$WORK/prefix-fuzz
        command -v clang-14 >/dev/null || die "clang-14 not found: install the Debian package 'clang-14'"
        export CC=clang-14
        # shellcheck disable=SC2086
        set -- $FUZZ_OPTIONS -Dc_args="$(fuzz_c_args)"
        ;;
    *) usage_error "build: unknown flavour '$flavour' (gcc or fuzz)" ;;
    esac
    rm -rf "$bdir" "$prefix"
    PKG_CONFIG_PATH="$spice_prefix/share/pkgconfig:$spice_prefix/lib/pkgconfig" \
        meson setup "$bdir" "$WORK/src/spice-gtk" --prefix "$prefix" --libdir lib "$@" \
        >"$WORK/configure-$flavour.log" 2>&1 ||
        die "meson setup failed: see $WORK/configure-$flavour.log"
    if [ "$flavour" = fuzz ]; then
        # the library and its headers only: the tools and tests would be instrumented for nothing
        meson compile -C "$bdir" ${JOBS:+-j "$JOBS"} spice-client-glib-2.0
        meson install -C "$bdir" --no-rebuild --tags devel >/dev/null
    else
        meson compile -C "$bdir" ${JOBS:+-j "$JOBS"}
        meson install -C "$bdir" >/dev/null
    fi
    log "spice-gtk ($flavour) built in $(($(date +%s) - start)) s into $prefix"
}

case $cmd in
fetch) fetch ;;
prepare) need "${3:-}" "PATCHES directory" && prepare "$3" ;;
build) need "${3:-}" "SPICE_PREFIX" && build "$3" "${4:-gcc}" ;;
check) need "${3:-}" "PATCHES directory" && check "$3" ;;
esac
