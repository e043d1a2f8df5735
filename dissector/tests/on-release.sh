#!/usr/bin/env bash
# The plugin on another Debian release's Wireshark: makes (once) a root of that release with its
# Wireshark packages, builds the plugin inside it with the project's own CMake, and runs the
# dissector's tests there, with that release's tshark. The root and its build tree stay in
# ROOT_DIR, so a second run rebuilds only what changed.
#
# usage: on-release.sh RELEASE ROOT_DIR PROJECT_SOURCE_DIR [CTEST_ARG...]
# Exit 77 (ctest's skip) when not run as root: debootstrap and chroot need it.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: on-release.sh RELEASE ROOT_DIR PROJECT_SOURCE_DIR [CTEST_ARG...]" >&2; exit 2; }
release=$1 root=$2 src=$3
shift 3
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: building in a Debian $release root needs root (debootstrap, chroot)"
    exit 77
fi
tools="$src/tools"
"$tools/debian-root.sh" "$root" "$release" \
    cmake ninja-build gcc g++ pkg-config python3 libwireshark-dev wireshark-dev tshark
echo "on-release: $release: $("$tools/in-debian-root.sh" "$root" -- tshark --version 2>/dev/null | head -n 1)"
"$tools/in-debian-root.sh" "$root" --bind "$src:/src:ro" -- /bin/sh -ec '
    cmake --fresh -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DWITH_SPICE=OFF -DWITH_HARNESS=OFF -DWITH_CONFORMANCE=OFF -DWITH_FUZZERS=OFF >/build.configure.log \
        || { cat /build.configure.log; exit 1; }
    cmake --build /build
    exec ctest --test-dir /build -L dissector --output-on-failure "$@"' on-release "$@"
