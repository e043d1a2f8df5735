#!/bin/bash -eu
# fuzz/oss-fuzz/prepare-image.sh: what the oss-fuzz and ClusterFuzzLite images need before the
# project's own build (fuzz/oss-fuzz/Dockerfile, .clusterfuzzlite/Dockerfile; run as one RUN step).
#
# The base image is Ubuntu, not Debian: its Wireshark and spice are not the versions the project
# targets (Wireshark 4.0, spice 0.15.1 with our patch series). So this fetches Debian bookworm's
# *source* packages from snapshot.debian.org (durable URLs; the versions are the ones bookworm
# ships, tools/debian-packages.txt: update them together), builds libwireshark 4.0 from Debian's
# wireshark source into /opt/wireshark-4.0 (build-wireshark.sh, beside this script), and leaves
# spice's and spice-gtk's sources in $SRC/debian-sources, where build-fuzzers.sh hands them to
# qemu-harness/spice/build-stack.sh and qemu-harness/gtk/build-gtk.sh instead of `apt-get source`.
# Downloads happen only here, on oss-fuzz's infrastructure.
here=$(cd "$(dirname "$0")" && pwd)

apt-get update
apt-get install -y --no-install-recommends \
    cmake ninja-build pkg-config zip patchelf devscripts dpkg-dev python3 python3-pip \
    flex bison perl libglib2.0-dev libgcrypt20-dev libc-ares-dev libpcap-dev zlib1g-dev \
    meson libpixman-1-dev libssl-dev libjpeg-dev libopus-dev liblz4-dev libsasl2-dev \
    libjson-glib-dev libcacard-dev python3-pyparsing python3-six \
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gettext
pip3 install 'meson>=0.63'

snap=https://snapshot.debian.org/archive/debian/20250301T000000Z/pool/main
snap_security=https://snapshot.debian.org/archive/debian-security/20250301T000000Z/pool/updates/main
wireshark=wireshark_4.0.17-0+deb12u3.dsc
mkdir -p "$SRC/debian-sources"
cd "$SRC/debian-sources"
dget -d -u "$snap/s/spice/spice_0.15.1-1.dsc"
dget -d -u "$snap/s/spice-protocol/spice-protocol_0.14.3-1.dsc"
dget -d -u "$snap/s/spice-gtk/spice-gtk_0.42-1.dsc"
dget -d -u "$snap_security/w/wireshark/$wireshark" || dget -d -u "$snap/w/wireshark/$wireshark"

# libwireshark 4.0 (no GUI, no tools), uninstrumented like Debian's
"$here/build-wireshark.sh" "$SRC/debian-sources/$wireshark" /opt/wireshark-4.0
