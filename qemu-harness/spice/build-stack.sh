#!/bin/sh
# Build the patched SPICE stack from Debian bookworm sources.
#
#   build-stack.sh fetch   WORK             download the exact source packages into WORK/dl
#   build-stack.sh prepare WORK PATCHES     unpack, apply Debian's patches then ours into WORK/src
#   build-stack.sh build   WORK gcc|fuzz    build spice-protocol + spice-server into WORK/prefix-*
#   build-stack.sh check   WORK PATCHES     git apply --check our series on pristine sources
#
# Everything stays under WORK (the CMake build tree); nothing is installed system-wide.
set -eu

SPICE_VERSION=0.15.1-1
PROTOCOL_VERSION=0.14.3-1

die() { echo "build-stack.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/../../tools/debian-source.sh"
log() { echo "build-stack.sh: $*"; }

cmd=${1:-}
WORK=${2:-}
[ -n "$cmd" ] && [ -n "$WORK" ] || die "usage: $0 fetch|prepare|build|check WORK [PATCHES|FLAVOUR]"
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DL=$WORK/dl

# fetch: apt-get source --download-only, once per build tree
fetch() {
    mkdir -p "$DL"
    if [ -f "$DL/spice_$SPICE_VERSION.dsc" ] && [ -f "$DL/spice-protocol_$PROTOCOL_VERSION.dsc" ]; then
        return 0
    fi
    command -v apt-get >/dev/null || die "apt-get not found"
    log "downloading spice=$SPICE_VERSION spice-protocol=$PROTOCOL_VERSION (needs a deb-src entry for bookworm)"
    (cd "$DL" && apt-get source --download-only "spice=$SPICE_VERSION" "spice-protocol=$PROTOCOL_VERSION") ||
        die "apt-get source failed: add a 'Types: deb-src' entry for bookworm (./run deps does) and run apt-get update"
    [ -f "$DL/spice_$SPICE_VERSION.dsc" ] || die "spice_$SPICE_VERSION.dsc missing after download"
    [ -f "$DL/spice-protocol_$PROTOCOL_VERSION.dsc" ] || die "spice-protocol_$PROTOCOL_VERSION.dsc missing after download"
}

# unpack PKG VERSION DEST: pristine upstream + Debian's debian/patches (tools/debian-source.sh), and
# the version is the one asked for
unpack() {
    pkg=$1 version=$2 dest=$3
    debian_source_unpack "$DL/${pkg}_$version.dsc" "$dest"
    got=$(dpkg-parsechangelog -l "$dest/debian/changelog" -S Version)
    [ "$got" = "$version" ] || die "$pkg: expected version $version, unpacked $got"
}

series_apply() {
    debian_source_series_apply "$@"
}

prepare() {
    patches=$1
    fetch
    unpack spice-protocol "$PROTOCOL_VERSION" "$WORK/src/spice-protocol"
    unpack spice "$SPICE_VERSION" "$WORK/src/spice"
    # the tarball ships code generated from the unpatched spice.proto; the build
    # regenerates it into the build dir, drop the stale copies so they cannot be picked up
    rm -f "$WORK"/src/spice/subprojects/spice-common/common/generated_*
    series_apply "$WORK/src/spice-protocol" "$patches/spice-protocol" apply
    series_apply "$WORK/src/spice" "$patches/spice" apply
    log "sources ready in $WORK/src"
}

check() {
    patches=$1
    fetch
    tmp=$(mktemp -d "$WORK/check.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    unpack spice-protocol "$PROTOCOL_VERSION" "$tmp/spice-protocol"
    unpack spice "$SPICE_VERSION" "$tmp/spice"
    series_apply "$tmp/spice-protocol" "$patches/spice-protocol" check
    series_apply "$tmp/spice" "$patches/spice" check
}

build() {
    flavour=$1
    [ -d "$WORK/src/spice" ] || die "run prepare first"
    prefix=$WORK/prefix-$flavour
    bdir=$WORK/build-$flavour
    case $flavour in
    gcc)
        export CC=gcc CXX=g++
        opts="-Ddefault_library=shared -Dtests=true"
        ;;
    fuzz)
        export CC=clang-14 CXX=clang++-14
        command -v clang-14 >/dev/null || die "clang-14 not found: install the Debian package 'clang-14'"
        opts="-Ddefault_library=static -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false"
        # UBSan findings abort, so libFuzzer reports them as crashes. Not pointer-overflow: for
        # every message with an empty body RedChannelClient::handle_incoming() passes a NULL
        # buffer to the generated parser, whose "start + 0" UBSan reports as NULL + 0 (upstream,
        # every channel, harmless); with it on, any client's empty MIGRATE_DATA ends a fuzz run.
        flags="['-fsanitize=fuzzer-no-link','-fno-sanitize-recover=undefined','-fno-sanitize=pointer-overflow']"
        opts="$opts -Dc_args=$flags -Dcpp_args=$flags"
        ;;
    *) die "unknown flavour $flavour" ;;
    esac
    rm -rf "$bdir" "$prefix"
    start=$(date +%s)
    meson setup "$bdir/spice-protocol" "$WORK/src/spice-protocol" --prefix "$prefix" >/dev/null
    meson install -C "$bdir/spice-protocol" >/dev/null
    PKG_CONFIG_PATH=$prefix/share/pkgconfig:$prefix/lib/pkgconfig
    export PKG_CONFIG_PATH
    # optional features we do not need are off (gstreamer, smartcard, manual)
    # shellcheck disable=SC2086
    meson setup "$bdir/spice" "$WORK/src/spice" --prefix "$prefix" --libdir lib \
        --buildtype debugoptimized -Dgstreamer=no -Dsmartcard=disabled -Dmanual=false \
        -Dopus=enabled -Dlz4=true -Dsasl=true $opts
    meson compile -C "$bdir/spice"
    meson install -C "$bdir/spice" >/dev/null
    log "$flavour flavour built in $(($(date +%s) - start)) s into $prefix"
}

case $cmd in
fetch) fetch ;;
prepare) prepare "${3:?PATCHES dir}" ;;
build) build "${3:?flavour gcc|fuzz}" ;;
check) check "${3:?PATCHES dir}" ;;
*) die "unknown command $cmd" ;;
esac
