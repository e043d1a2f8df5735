#!/bin/sh
# Build the patched SPICE stack from Debian bookworm sources.
#
#   build-stack.sh fetch   WORK             download the exact source packages into WORK/dl
#   build-stack.sh prepare WORK PATCHES     unpack, apply Debian's patches then ours into WORK/src
#   build-stack.sh build   WORK gcc|fuzz    build spice-protocol + spice-server into WORK/prefix-*
#   build-stack.sh check   WORK PATCHES     git apply --check our series on pristine sources
#   build-stack.sh check-release WORK PATCHES RELEASE VERSION
#                                           another release's spice VERSION (sid's 0.16.0) with
#                                           the series rebased for it (PATCHES/spice-0.16): apply,
#                                           build, run test-power-channel; exit 77 (a skip for
#                                           ctest) when its sources cannot be had
#
# Everything stays under WORK (the CMake build tree); nothing is installed system-wide.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian) for other releases' sources,
# JOBS (parallel compile jobs of check-release).
set -eu

SPICE_VERSION=0.15.1-1
PROTOCOL_VERSION=0.14.3-1

DEBIAN_SOURCE_SH=$(dirname "$0")/../../tools/debian-source.sh
# shellcheck source=SCRIPTDIR/../../tools/debian-source.sh
. "$DEBIAN_SOURCE_SH"
debian_source_command_line "fetch|prepare|build|check|check-release" "WORK [PATCHES|FLAVOUR] [RELEASE VERSION]" "$@"
DL=$WORK/dl

# fetch: apt-get source --download-only, once per build tree
fetch() {
    debian_source_fetch "$DL" "spice=$SPICE_VERSION" "spice-protocol=$PROTOCOL_VERSION"
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

# --- check-release: another release's spice with the series rebased for it ---
#
# Everything lives in WORK/RELEASE-spice-VERSION: debian/ (apt index and downloads, made once),
# src/ (patched sources), prefix/ (spice-protocol), build/, and passed.stamp, which names the
# inputs that built and passed; a rerun with the same inputs only runs the test again.

# release_fetch RELEASE VERSION RDIR: the newest Debian revision of spice VERSION and the newest
# spice-protocol in RELEASE, downloaded once and named in RDIR/sources. spice-protocol is
# header-only and our series for it touches headers only: when the mirror does not serve its
# source, the headers of its binary package of the same version stand in.
release_fetch() {
    release=$1 version=$2 rdir=$3
    [ -f "$rdir/sources" ] && return 0
    command -v apt-get >/dev/null || die "apt-get not found"
    fetch_start=$(date +%s)
    debian_release_update "$release" "$rdir" deb-src
    spice_v=$(debian_release_newest "$rdir" deb-src spice "$version")
    [ -n "$spice_v" ] || skip "$release has no spice $version source package (newest: $(debian_release_newest "$rdir" deb-src spice))"
    spice_file=$(debian_release_download "$rdir" deb-src spice "$spice_v") ||
        skip "the mirror does not serve spice $spice_v's source: see $rdir/apt.log"
    proto_v=$(debian_release_newest "$rdir" deb-src spice-protocol)
    [ -n "$proto_v" ] || skip "$release has no spice-protocol source package"
    if ! proto_file=$(debian_release_download "$rdir" deb-src spice-protocol "$proto_v"); then
        log "the mirror does not serve spice-protocol $proto_v's source: using the headers of libspice-protocol-dev $proto_v"
        debian_release_update "$release" "$rdir" deb-all
        proto_file=$(debian_release_download "$rdir" deb-all libspice-protocol-dev "$proto_v") ||
            skip "the mirror serves neither the source nor the binary package of spice-protocol $proto_v: see $rdir/apt.log"
    fi
    printf 'spice %s\nspice-protocol %s\n' "$(basename "$spice_file")" "$(basename "$proto_file")" >"$rdir/sources.new"
    mv "$rdir/sources.new" "$rdir/sources"
    # the downloads are made once per build tree, the index is needed no more (remove RDIR to
    # fetch the release's newest again)
    rm -rf "$rdir"/lists-* "$rdir/cache"
    log "$release: spice $spice_v and spice-protocol $proto_v fetched in $(($(date +%s) - fetch_start)) s"
}

# release_source_file RDIR PACKAGE: the downloaded file release_fetch named for PACKAGE
release_source_file() {
    echo "$1/dl/$(sed -n "s/^$2 //p" "$1/sources")"
}

# release_unpack_protocol FILE DEST: spice-protocol from its .dsc (Debian's patches applied), or
# from its binary package: the headers as in the source tree (spice/*.h, where the series expects
# them) and the package's spice-protocol.pc
release_unpack_protocol() {
    case $1 in
    *.dsc) debian_source_unpack "$1" "$2" ;;
    *.deb)
        rm -rf "$2" "$2.deb" && mkdir -p "$2"
        dpkg-deb -x "$1" "$2.deb"
        mv "$2.deb/usr/include/spice-1/spice" "$2/spice"
        mv "$2.deb/usr/share/pkgconfig/spice-protocol.pc" "$2/spice-protocol.pc"
        rm -rf "$2.deb"
        ;;
    esac
}

# release_prepare TOP PROTOCOL_SERIES SPICE_SERIES: unpacks and patches into a staging directory,
# which becomes TOP/src (replacing the sources and build of an earlier series) only when every
# patch applied: a series that does not apply leaves an earlier build as it was
release_prepare() {
    top=$1
    stage=$(mktemp -d "$top/stage.XXXXXX")
    trap 'rm -rf "$stage"' EXIT
    release_unpack_protocol "$(release_source_file "$top/debian" spice-protocol)" "$stage/spice-protocol"
    debian_source_unpack "$(release_source_file "$top/debian" spice)" "$stage/spice"
    # generated from the unpatched spice.proto; the build regenerates them (as in prepare)
    rm -f "$stage"/spice/subprojects/spice-common/common/generated_*
    series_apply "$stage/spice-protocol" "$2" check
    series_apply "$stage/spice" "$3" check
    rm -rf "$top/src" "$top/build" "$top/prefix" "$top/passed.stamp"
    mv "$stage" "$top/src"
    trap - EXIT
}

# release_build TOP VERSION: spice-protocol into TOP/prefix, then of spice only the shared library
# (linked with the series' version script, whose new node must follow the release's last) and
# test-power-channel, with the optional features off
release_build() {
    top=$1 version=$2
    prefix=$top/prefix
    build_start=$(date +%s)
    if [ -f "$top/src/spice-protocol/meson.build" ]; then
        meson setup "$top/build/spice-protocol" "$top/src/spice-protocol" --prefix "$prefix" >/dev/null
        meson install -C "$top/build/spice-protocol" >/dev/null
    else
        mkdir -p "$prefix/include/spice-1" "$prefix/share/pkgconfig"
        cp -R "$top/src/spice-protocol/spice" "$prefix/include/spice-1/"
        sed "s|^prefix=.*|prefix=$prefix|" "$top/src/spice-protocol/spice-protocol.pc" \
            >"$prefix/share/pkgconfig/spice-protocol.pc"
    fi
    PKG_CONFIG_PATH=$prefix/share/pkgconfig:$prefix/lib/pkgconfig
    export PKG_CONFIG_PATH
    meson setup "$top/build/spice" "$top/src/spice" --buildtype debugoptimized -Dtests=true \
        -Dmanual=false -Dgstreamer=no -Dsmartcard=disabled -Dopus=disabled -Dlz4=false \
        -Dsasl=false >"$top/setup.log" 2>&1 || die "meson setup of spice $version failed: see $top/setup.log"
    setup_end=$(date +%s)
    meson compile -C "$top/build/spice" ${JOBS:+-j "$JOBS"} spice-server server/tests/test-power-channel \
        >"$top/compile.log" 2>&1 || { tail -n 40 "$top/compile.log" >&2; die "spice $version does not build: see $top/compile.log"; }
    log "spice $version built in $(($(date +%s) - build_start)) s (meson setup $((setup_end - build_start)) s) in $top/build"
}

# release_key TOP SERIES...: what a build of TOP depends on: the series (file and patches), the
# downloaded packages, this script and the one it sources
release_key() {
    top=$1
    shift
    for s in "$@"; do
        cat "$s/series"
        debian_source_series_list "$s" | while read -r patch; do cat "$s/$patch"; done
    done | cat - "$top/debian/sources" "$0" "$DEBIAN_SOURCE_SH" | sha256sum | cut -d ' ' -f 1
}

release_power_test() {
    meson test -C "$1/build/spice" --no-rebuild --print-errorlogs test-power-channel
}

# check_release PATCHES RELEASE VERSION: PATCHES/spice-X.Y (X.Y of VERSION) on RELEASE's spice
# VERSION, after PATCHES/spice-protocol on RELEASE's spice-protocol; fails when a patch does not
# apply, spice does not build or test-power-channel fails
check_release() {
    patches=$1 release=$2 version=$3
    case $release in
    *[!a-z-]* | "") usage_error "'$release' is not a Debian release name" ;;
    esac
    echo "$version" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' || usage_error "'$version' is not an upstream version like 0.16.0"
    series=$patches/spice-${version%.*}
    [ -f "$series/series" ] || usage_error "no series for spice $version: $series/series is missing"
    [ -f "$patches/spice-protocol/series" ] || usage_error "no spice-protocol series in $patches"
    top=$WORK/$release-spice-$version
    mkdir -p "$top"
    release_fetch "$release" "$version" "$top/debian"
    key=$(release_key "$top" "$patches/spice-protocol" "$series")
    if [ "$(cat "$top/passed.stamp" 2>/dev/null)" = "$key" ] &&
        [ -x "$top/build/spice/server/tests/test-power-channel" ]; then
        log "spice $version with $(basename "$series") built and passed in this tree before: running test-power-channel again"
        release_power_test "$top"
        return
    fi
    release_prepare "$top" "$patches/spice-protocol" "$series"
    release_build "$top" "$version"
    release_power_test "$top"
    echo "$key" >"$top/passed.stamp"
}

case $cmd in
fetch) fetch ;;
prepare) need "${3:-}" "PATCHES directory" && prepare "$3" ;;
build)
    case ${3:-} in
    gcc | fuzz) build "$3" ;;
    *) usage_error "build: no flavour '${3:-}' (gcc or fuzz)" ;;
    esac
    ;;
check) need "${3:-}" "PATCHES directory" && check "$3" ;;
check-release)
    need "${3:-}" "PATCHES directory" && need "${4:-}" RELEASE && need "${5:-}" VERSION
    check_release "$3" "$4" "$5"
    ;;
esac
