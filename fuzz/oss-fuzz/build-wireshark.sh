#!/bin/bash -eu
# fuzz/oss-fuzz/build-wireshark.sh DSC PREFIX
# Builds libwireshark/libwiretap/libwsutil 4.0 (no GUI, no command-line tools, few optional
# dependencies) from Debian's source package DSC and installs them with their headers and
# WiresharkConfig.cmake into PREFIX. Used by prepare-image.sh (oss-fuzz and ClusterFuzzLite images),
# whose Ubuntu base image has no Wireshark 4.0. Not instrumented, like Debian's libwireshark:
# the fuzzer's instrumentation goes into the plugin sources only. Run it outside build.sh
# (CFLAGS unset), so the library is built with the distribution's compiler defaults.
dsc=$1 prefix=$2
src=$(mktemp -d)/wireshark
dpkg-source -x "$dsc" "$src"
unset CFLAGS CXXFLAGS
off=""
for o in wireshark logray tshark sharkd dumpcap rawshark editcap capinfos captype randpkt dftest \
         text2pcap mergecap reordercap fuzzshark androiddump sshdump ciscodump udpdump wifidump \
         randpktdump etwdump sdjournal; do
    off+=" -DBUILD_$o=OFF"
done
for o in LUA SMI KERBEROS GNUTLS NGHTTP2 BROTLI SNAPPY ZSTD LZ4 SPANDSP BCG729 SBC ILBC OPUS \
         MINIZIP LIBXML2 PCAP; do
    off+=" -DENABLE_$o=OFF"
done
# shellcheck disable=SC2086
cmake -S "$src" -B "$src-build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DENABLE_PLUGINS=ON $off
cmake --build "$src-build"
cmake --install "$src-build"
rm -rf "$src" "$src-build"
