#!/bin/sh
# Build Debian bookworm's spice-gtk 0.42 with our power channel series.
#
#   build-gtk.sh fetch   WORK                  download the exact source package into WORK/dl
#   build-gtk.sh prepare WORK PATCHES          unpack, apply Debian's patches then ours into WORK/src
#   build-gtk.sh build   WORK SPICE_PREFIX     build and install into WORK/prefix (spicy included),
#                                              against the patched spice-protocol in SPICE_PREFIX
#   build-gtk.sh check   WORK PATCHES          git apply --check our series on pristine sources
#
# Everything stays under WORK (the CMake build tree); nothing is installed system-wide. The
# installed programs and libraries find the libraries of WORK/prefix by themselves (RUNPATH).
set -eu

GTK_VERSION=0.42-1

die() { echo "build-gtk.sh: $*" >&2; exit 1; }
usage_error() { echo "build-gtk.sh: $*" >&2; exit 2; }
log() { echo "build-gtk.sh: $*"; }
. "$(dirname "$0")/../../tools/debian-source.sh"

cmd=${1:-}
WORK=${2:-}
case $cmd in
fetch | prepare | build | check) ;;
*) usage_error "unknown command '$cmd' (usage: $0 fetch|prepare|build|check WORK [PATCHES|SPICE_PREFIX])" ;;
esac
[ -n "$WORK" ] || usage_error "$cmd: no WORK directory given"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DSC=$WORK/dl/spice-gtk_$GTK_VERSION.dsc

fetch() {
    [ -f "$DSC" ] && return 0
    mkdir -p "$WORK/dl"
    command -v apt-get >/dev/null || die "apt-get not found"
    log "downloading spice-gtk=$GTK_VERSION (needs a deb-src entry for bookworm)"
    (cd "$WORK/dl" && apt-get source --download-only "spice-gtk=$GTK_VERSION") ||
        die "apt-get source failed: add a 'Types: deb-src' entry for bookworm (./run deps does) and run apt-get update"
    [ -f "$DSC" ] || die "$(basename "$DSC") missing after download"
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

build() {
    spice_prefix=$1
    [ -d "$WORK/src/spice-gtk" ] || die "run prepare first"
    [ -f "$spice_prefix/share/pkgconfig/spice-protocol.pc" ] || die "no patched spice-protocol in $spice_prefix"
    bdir=$WORK/build
    prefix=$WORK/prefix
    rm -rf "$bdir" "$prefix"
    start=$(date +%s)
    # The GTK widget and spicy, without the features a power channel test does not use (USB
    # redirection, smartcards, WebDAV, GObject introspection, Vala, Wayland, EGL, the manual).
    PKG_CONFIG_PATH="$spice_prefix/share/pkgconfig:$spice_prefix/lib/pkgconfig" \
        meson setup "$bdir" "$WORK/src/spice-gtk" --prefix "$prefix" --libdir lib \
        --buildtype debugoptimized -Dc_link_args="-Wl,-rpath,$prefix/lib" \
        -Dgtk=enabled -Dusbredir=disabled -Dsmartcard=disabled -Dwebdav=disabled \
        -Dpolkit=disabled -Dlibcap-ng=disabled -Dintrospection=disabled -Dvapi=disabled \
        -Dwayland-protocols=disabled -Degl=disabled -Dgtk_doc=disabled \
        -Dsasl=enabled -Dlz4=enabled -Dopus=enabled >"$WORK/configure.log" 2>&1 ||
        die "meson setup failed: see $WORK/configure.log"
    meson compile -C "$bdir" ${JOBS:+-j "$JOBS"}
    meson install -C "$bdir" >/dev/null
    log "spice-gtk built in $(($(date +%s) - start)) s into $prefix"
}

# need VALUE WHAT: a required argument is there
need() { [ -n "$1" ] || usage_error "$cmd: no $2 given"; }

case $cmd in
fetch) fetch ;;
prepare) need "${3:-}" "PATCHES directory" && prepare "$3" ;;
build) need "${3:-}" "SPICE_PREFIX" && build "$3" ;;
check) need "${3:-}" "PATCHES directory" && check "$3" ;;
esac
