#!/usr/bin/env bash
# The plugin on a Debian release's Wireshark: makes (once) a root of that release with its
# Wireshark packages, builds the plugin inside it with the project's own CMake, runs the
# dissector's tests there with that release's tshark, then builds the plugin's .deb, installs it
# with dpkg and checks that tshark, as root, loads it from Wireshark's global plugin directory and
# decodes a recorded capture with it; the package is removed again. The root and its build tree
# stay in ROOT_DIR, so a second run rebuilds only what changed.
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
    cmake ninja-build gcc g++ pkg-config python3 libwireshark-dev wireshark-dev tshark dpkg-dev file
echo "on-release: $release: $("$tools/in-debian-root.sh" "$root" -- tshark --version 2>/dev/null | head -n 1)"
"$tools/in-debian-root.sh" "$root" --bind "$src:/src:ro" -- /bin/sh -ec '
    cmake --fresh -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DWITH_SPICE=OFF -DWITH_HARNESS=OFF -DWITH_CONFORMANCE=OFF -DWITH_FUZZERS=OFF >/build.configure.log \
        || { cat /build.configure.log; exit 1; }
    cmake --build /build
    ctest --test-dir /build -L dissector -E "^dissector[.]release[.]" --output-on-failure "$@"' on-release "$@"
"$tools/in-debian-root.sh" "$root" --bind "$src:/src:ro" -- /bin/sh -ec '
    rm -rf /build/deb
    cpack --config /build/CPackConfig.cmake -B /build/deb >/build/cpack.log 2>&1 || { cat /build/cpack.log; exit 1; }
    deb=$(ls /build/deb/*.deb)
    echo "on-release: $(basename "$deb"):"
    dpkg-deb --field "$deb" Package Version Depends
    dpkg -i "$deb" >/dev/null
    trap "dpkg --purge wireshark-plugin-spicepower >/dev/null" EXIT
    global=$(tshark -G folders 2>/dev/null | sed -n "s/^Global Plugins:[[:space:]]*//p")
    loaded=$(tshark -G plugins 2>/dev/null | grep "^spicepower[.]so" || true)
    case "$loaded" in
        *"$global"/epan/spicepower.so | *"$global"/*/epan/spicepower.so) echo "on-release: tshark loads $loaded" ;;
        *) echo "FAIL: tshark does not load spicepower.so from $global: ${loaded:-not listed}"; exit 1 ;;
    esac
    types=$(tshark -r /src/dissector/tests/captures/real-result.pcap -Y spicepower -T fields \
        -e spicepower.server.type 2>/dev/null | sort -u | tr "\n" " ")
    case "$types" in
        *102*) echo "on-release: the installed plugin decodes real-result.pcap (server types: $types)" ;;
        *) echo "FAIL: the installed plugin decodes no RESULT in real-result.pcap"; exit 1 ;;
    esac'

