#!/bin/sh
# Build Debian's QEMU with our power-control series, for the tests and the conformance runner.
#
#   build-qemu.sh fetch   WORK                  download the bookworm source package into WORK/dl
#   build-qemu.sh prepare WORK PATCHES          unpack, apply Debian's patches then ours into WORK/src
#   build-qemu.sh build   WORK SPICE_PREFIX     configure against the patched spice-server in
#                                               SPICE_PREFIX, build, install into WORK/prefix
#   build-qemu.sh check   WORK PATCHES          our series applies to pristine bookworm sources, and
#                                               their scripts/checkpatch.pl accepts every patch
#   build-qemu.sh check-release WORK PATCHES RELEASE
#                                               the same on another release's source (trixie); exit 77
#                                               (a skip for ctest) when that source cannot be had
#   build-qemu.sh newest-release WORK RELEASE   print the version of RELEASE's newest qemu source
#                                               (exit 77 when the mirror cannot be reached)
#   build-qemu.sh prepare-release WORK PATCHES RELEASE
#                                               that source with PATCHES (the series rebased for it)
#                                               applied into WORK/RELEASE/src/qemu; then
#                                               build WORK/RELEASE ... builds it (inside a root of
#                                               RELEASE: qemu-harness/qemu/tests/on-release.sh)
#
# The bookworm version is the source of the installed qemu-system-x86, so that the patched binary
# is the same QEMU the rest of the project tests; without one, the version the series was made on.
# Everything stays under WORK (the CMake build tree); nothing is installed system-wide.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian) for other releases' sources.
set -eu

# the version the series was made on and is known to apply to
SERIES_BASE_VERSION=1:7.2+dfsg-7+deb12u18
# where Debian's own qemu-system-x86 finds its firmware (debian/rules' FIRMWAREPATH): the installed
# seabios, ipxe and qemu-system-data, since the dfsg source carries no firmware images
FIRMWARE_PATH=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu

# shellcheck source=SCRIPTDIR/../../tools/debian-source.sh
. "$(dirname "$0")/../../tools/debian-source.sh"
debian_source_command_line "fetch|prepare|build|check|check-release|newest-release|prepare-release" \
    "WORK [PATCHES|SPICE_PREFIX|RELEASE] [RELEASE]" "$@"

bookworm_version() {
    v=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null || true)
    echo "${v:-$SERIES_BASE_VERSION}"
}

# the .dsc of qemu VERSION
dsc_name() {
    debian_source_dsc qemu "$1"
}

# fetch: apt-get source --download-only, once per build tree and version
fetch() {
    debian_source_fetch "$WORK/dl" "qemu=$(bookworm_version)"
}

prepare() {
    patches=$1
    fetch
    debian_source_unpack "$WORK/dl/$(dsc_name "$(bookworm_version)")" "$WORK/src/qemu"
    debian_source_series_apply "$WORK/src/qemu" "$patches" apply
    log "sources of qemu $(bookworm_version) ready in $WORK/src/qemu"
}

# checkpatch SRC PATCHES: SRC's own scripts/checkpatch.pl (QEMU's coding style, as a maintainer
# runs it on a submission) finds nothing in any patch of PATCHES but one expected warning: a new
# file asks "does MAINTAINERS need updating?", and MAINTAINERS' SPICE section already lists
# ui/spice-*.c.
checkpatch() {
    src=$1 sdir=$(cd "$2" && pwd) # checkpatch.pl runs in SRC
    debian_source_series_list "$sdir" | while read -r p; do
        report=$(cd "$src" && perl scripts/checkpatch.pl --no-color "$sdir/$p" 2>&1) || true
        if printf '%s\n' "$report" | grep '^\(ERROR\|WARNING\):' |
            grep -qv 'does MAINTAINERS need updating'; then
            printf '%s\n' "$report" >&2
            die "checkpatch.pl of $(basename "$src") objects to $(basename "$sdir")/$p"
        fi
        echo "ok checkpatch $(basename "$sdir")/$p"
    done
}

check() {
    patches=$1
    fetch
    tmp=$(mktemp -d "$WORK/check.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    debian_source_unpack "$WORK/dl/$(dsc_name "$(bookworm_version)")" "$tmp/qemu"
    debian_source_series_apply "$tmp/qemu" "$patches" check
    checkpatch "$tmp/qemu" "$patches"
}

# newest_release RELEASE: the version fetch_release would download now
newest_release() {
    release=$1
    release_name "$release"
    debian_release_update "$release" "$WORK/$release" deb-src
    version=$(debian_release_newest "$WORK/$release" deb-src qemu)
    [ -n "$version" ] || skip "$release has no qemu source package: see $WORK/$release/apt.log"
    echo "$version"
}

# fetch_release RELEASE: the newest qemu source of RELEASE's main into WORK/RELEASE/dl, through an
# apt configuration of our own under WORK/RELEASE (tools/debian-source.sh). Prints the .dsc. Files of
# an earlier version are removed, so that a build tree keeps one release's sources, not each one it
# has seen.
fetch_release() {
    release=$1 dir=$WORK/$1
    version=$(newest_release "$release")
    [ -f "$dir/dl/$(dsc_name "$version")" ] || rm -f "$dir"/dl/qemu_*
    debian_release_download "$dir" deb-src qemu "$version" ||
        skip "apt-get source qemu=$version from $release failed: see $dir/apt.log"
}

# release_name RELEASE: RELEASE is a Debian release name (it names a directory under WORK)
release_name() {
    case $1 in
    *[!a-z-]* | "") usage_error "'$1' is not a Debian release name" ;;
    esac
}

check_release() {
    patches=$1 release=$2
    release_name "$release"
    dsc=$(fetch_release "$release")
    tmp=$(mktemp -d "$WORK/check.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    debian_source_unpack "$dsc" "$tmp/qemu"
    log "$release: $(basename "$dsc" .dsc), Debian's patches applied"
    debian_source_series_apply "$tmp/qemu" "$patches" check
    checkpatch "$tmp/qemu" "$patches"
}

# prepare_release PATCHES RELEASE: RELEASE's newest qemu with PATCHES (a series rebased for it) in
# WORK/RELEASE/src/qemu, to be built there (build WORK/RELEASE ..., inside a root of RELEASE)
prepare_release() {
    patches=$1 release=$2
    release_name "$release"
    dsc=$(fetch_release "$release")
    debian_source_unpack "$dsc" "$WORK/$release/src/qemu"
    debian_source_series_apply "$WORK/$release/src/qemu" "$patches" apply
    log "sources of $release's $(basename "$dsc" .dsc) with $(basename "$patches") ready in $WORK/$release/src/qemu"
}

build() {
    spice_prefix=$1
    [ -d "$WORK/src/qemu" ] || die "run prepare first"
    [ -f "$spice_prefix/lib/pkgconfig/spice-server.pc" ] || die "no patched spice-server in $spice_prefix"
    bdir=$WORK/build
    prefix=$WORK/prefix
    rm -rf "$bdir" "$prefix"
    mkdir -p "$bdir"
    start=$(date +%s)
    # Newer releases (trixie's 10.0) leave out more without defaults. SPICE needs pixman, a feature
    # of its own since QEMU 8.2; and the boards are devices too, selected by default.mak in 7.2
    # only: a device list of ours selects the same four.
    newer=
    if grep -q "^option('pixman'" "$WORK/src/qemu/meson_options.txt"; then newer=--enable-pixman; fi
    devices=$WORK/src/qemu/configs/devices/x86_64-softmmu
    if ! grep -q '^CONFIG_I440FX=y' "$devices/../i386-softmmu/default.mak"; then
        { echo 'include default.mak' && printf 'CONFIG_%s=y\n' ISAPC I440FX Q35 MICROVM; } >"$devices/spicepower.mak"
        newer="$newer --with-devices-x86_64=spicepower"
    fi
    # Only what a conformance run needs: x86_64 under TCG with SPICE, the pc machine's devices.
    # No KVM (the tests run TCG), no tools, docs, guest agent, modules or optional libraries.
    # $newer is a list of options
    # shellcheck disable=SC2086
    (cd "$bdir" && PKG_CONFIG_PATH="$spice_prefix/lib/pkgconfig:$spice_prefix/share/pkgconfig" \
        "$WORK/src/qemu/configure" --prefix="$prefix" --firmwarepath="$FIRMWARE_PATH" \
        --target-list=x86_64-softmmu --without-default-features --without-default-devices \
        --enable-tcg --enable-spice --enable-spice-protocol --enable-fdt=system $newer \
        --disable-docs --disable-tools --disable-guest-agent --disable-user --disable-install-blobs \
        --disable-werror) >"$WORK/configure.log" 2>&1 || die "configure failed: see $WORK/configure.log"
    configured=$(date +%s)
    ninja -C "$bdir" ${JOBS:+-j "$JOBS"} qemu-system-x86_64
    # Run from bin/ of a prefix of its own: from the build tree, the qemu-bundle there would move
    # every firmware path under itself. Only the binary: the firmware comes from FIRMWARE_PATH, and
    # nothing the tests use reads the data dir (keymaps are for VNC's -k).
    install -D -m 0755 "$bdir/qemu-system-x86_64" "$prefix/bin/qemu-system-x86_64"
    end=$(date +%s)
    log "qemu-system-x86_64 built in $((end - start)) s (configure $((configured - start)) s) into $prefix"
}

case $cmd in
fetch) fetch ;;
prepare) need "${3:-}" "PATCHES directory" && prepare "$3" ;;
build) need "${3:-}" SPICE_PREFIX && build "$3" ;;
check) need "${3:-}" "PATCHES directory" && check "$3" ;;
check-release) need "${3:-}" "PATCHES directory" && need "${4:-}" RELEASE && check_release "$3" "$4" ;;
newest-release) need "${3:-}" RELEASE && newest_release "$3" ;;
prepare-release) need "${3:-}" "PATCHES directory" && need "${4:-}" RELEASE && prepare_release "$3" "$4" ;;
esac
