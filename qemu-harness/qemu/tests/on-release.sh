#!/usr/bin/env bash
# The power channel on another Debian release's QEMU (trixie's 10.0), built as a user of that
# release would build it: in a root of that release (tools/debian-root.sh) with its compiler,
# meson and libraries, our spice-server series on the bookworm sources of ../spice, and QEMU from
# that release's source package with the series rebased for it (patches-10.0/). The binary runs on
# this machine with the root's libraries (tools/root-qemu.sh), and is judged as the bookworm one
# is (built-in-channel.sh): vmconform's power suite, then spp-hostile's attacks.
#
# The build is made once per build tree: WORK/RELEASE/built.stamp records a hash of everything it
# was made from (series, scripts, the root's packages, the release's QEMU source version); a rerun
# with the same inputs only tests. A point release published since is built anew; when the mirror
# cannot be reached, the QEMU built before is tested as it is.
#
# usage: on-release.sh RELEASE ROOT_DIR PROJECT_SOURCE_DIR WORK PATCHES SPICE_SOURCES GUEST VMCONFORM HOSTILE
#   WORK: the build tree's qemu-harness/qemu/work; SPICE_SOURCES: ../spice's prepared src/ (its
#   spice-protocol/ and spice/ with our series applied)
# Exit 77 (ctest's skip) when not run as root (debootstrap and chroot need it) or when the
# release's QEMU source cannot be had (no network).
set -euo pipefail
[ $# -eq 9 ] || {
    echo "usage: on-release.sh RELEASE ROOT_DIR PROJECT_SOURCE_DIR WORK PATCHES SPICE_SOURCES GUEST VMCONFORM HOSTILE" >&2
    exit 2
}
release=$1 root=$2 src=$3 work=$4 patches=$5 spice_sources=$6 guest=$7 vmconform=$8 hostile=$9
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: building in a Debian $release root needs root (debootstrap, chroot)"
    exit 77
fi
tools=$src/tools
here=$src/qemu-harness/qemu
rwork=$work/$release

# What building spice-server and QEMU there takes, beyond the qemu-system-x86 whose firmware the
# binary runs with (the bookworm equivalents are in tools/debian-packages.txt)
packages=(qemu-system-x86 gcc g++ meson ninja-build pkgconf python3 python3-venv python3-pyparsing python3-six
    libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev libssl-dev libjpeg-dev liblz4-dev libopus-dev libsasl2-dev)
"$tools/debian-root.sh" "$root" "$release" "${packages[@]}" >"$work/root-$release.log" 2>&1 ||
    { cat "$work/root-$release.log"; echo "FAIL: cannot make the $release root"; exit 1; }

# the release's newest QEMU source now, or the one built before when the mirror cannot tell
qemu_version=$("$here/build-qemu.sh" newest-release "$work" "$release" 2>>"$work/root-$release.log") ||
    qemu_version=$(cat "$rwork/built.version" 2>/dev/null || true)

# the series, the scripts, the versions of those packages in the root (not the root's whole
# package list: other tests install theirs into the same root) and of the QEMU source
inputs_hash() {
    find "$patches" "$src/qemu-harness/spice/patches/spice" "$src/qemu-harness/spice/patches/spice-protocol" \
        -type f -print0 | sort -z | xargs -0 cat |
        cat - "$here/build-qemu.sh" "$src/qemu-harness/spice/build-stack.sh" "$tools/debian-source.sh" \
            <(dpkg-query --admindir="$root/var/lib/dpkg" -W "${packages[@]}") <(echo "qemu $qemu_version") |
        sha256sum | cut -d ' ' -f 1
}

in_root() {
    "$tools/in-debian-root.sh" "$root" --bind "$src:$src:ro" --bind "$spice_sources:$spice_sources:ro" \
        --bind "$work:$work" -- "$@"
}

build() {
    local status=0
    "$here/build-qemu.sh" prepare-release "$work" "$patches" "$release" || status=$?
    [ "$status" -ne 77 ] || exit 77
    [ "$status" -eq 0 ] || { echo "FAIL: prepare-release exit $status"; exit 1; }
    # our spice-server series as ../spice applied it, compiled by the release's toolchain
    rm -rf "$rwork/stack" && mkdir -p "$rwork/stack"
    ln -s "$spice_sources" "$rwork/stack/src"
    in_root "$here/../spice/build-stack.sh" build "$rwork/stack" gcc >"$rwork/stack.log" 2>&1 ||
        { tail -30 "$rwork/stack.log"; echo "FAIL: spice-server does not build in the $release root"; exit 1; }
    grep 'built in' "$rwork/stack.log"
    in_root "$here/build-qemu.sh" build "$rwork" "$rwork/stack/prefix-gcc" >"$rwork/build.log" 2>&1 ||
        { tail -30 "$rwork/build.log"; echo "FAIL: QEMU does not build in the $release root"; exit 1; }
    grep 'built in' "$rwork/build.log"
}

hash=$(inputs_hash)
if [ "$(cat "$rwork/built.stamp" 2>/dev/null)" = "$hash" ] && [ -x "$rwork/prefix/bin/qemu-system-x86_64" ]; then
    echo "on-release: $release's QEMU built before from the same inputs"
else
    rm -f "$rwork/built.stamp"
    build
    echo "$hash" >"$rwork/built.stamp"
    echo "$qemu_version" >"$rwork/built.version"
fi
"$tools/root-qemu.sh" "$root" "$rwork/qemu-system-x86_64" "$rwork/prefix/bin/qemu-system-x86_64" \
    "$rwork/stack/prefix-gcc/lib"
"$here/tests/built-in-channel.sh" conformance "$rwork/qemu-system-x86_64" "$guest" "$vmconform"
"$here/tests/built-in-channel.sh" hostile "$rwork/qemu-system-x86_64" "$guest" "$hostile"
