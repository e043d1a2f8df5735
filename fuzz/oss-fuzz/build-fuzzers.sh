#!/bin/bash -eu
# fuzz/oss-fuzz/build-fuzzers.sh: the real oss-fuzz / ClusterFuzzLite build of spicepower's fuzz
# targets (oss-fuzz's build.sh and .clusterfuzzlite/build.sh only call this).
#
# Uses what oss-fuzz sets: $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT $SRC $WORK. Builds
# through the project's CMake with -DWITH_FUZZERS=ON -DSPP_OSS_FUZZ=ON, which makes
# spp_add_fuzzer() compile with $CFLAGS/$CXXFLAGS (instead of SPP_FUZZ_FLAGS), link with
# $LIB_FUZZING_ENGINE and the C++ driver. Every target in the build's fuzz/fuzz-targets.tsv is
# built and copied to $OUT with <target>_seed_corpus.zip (corpus/<target>/ without the .dict and
# .options), <target>.dict and <target>.options (a default [libfuzzer] section if the corpus has
# none).
#
# Optional environment:
#   SPP_OSS_FUZZ_CMAKE_ARGS   extra configure args (default: decided below)
#   SPP_OSS_FUZZ_SKIP         targets not shipped (default: fuzz_qmp_snapshot, which needs a QEMU
#                             process at run time that oss-fuzz's runner image does not have)
#   SPP_DEBIAN_SOURCES        directories (':'-separated) with Debian source packages (.dsc +
#                             tarballs) of spice, spice-protocol and spice-gtk (bookworm); default
#                             $SRC/debian-sources. If they hold spice's, WITH_SPICE is turned on
#                             and build-stack.sh and build-gtk.sh find them instead of running
#                             apt-get source (the oss-fuzz image is Ubuntu).
#   SPP_WIRESHARK_PREFIX      prefix of a Wireshark 4.0 install (WiresharkConfig.cmake); the
#                             Dockerfile builds one from Debian's wireshark source. Unset: the
#                             system's (Debian bookworm has 4.0).
#   SPP_BUNDLE_LIBS=1         copy the non-base shared libraries the targets need into
#                             $OUT/lib and set rpath $ORIGIN/lib (oss-fuzz's runner image has
#                             none of them). The Dockerfiles set it.
#   SPP_OSS_FUZZ_BUILD_DIR    build dir (default $WORK/spicepower-build)
set -o pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
build=${SPP_OSS_FUZZ_BUILD_DIR:-$WORK/spicepower-build}
IFS=: read -r -a debsrcs <<<"${SPP_DEBIAN_SOURCES:-$SRC/debian-sources}"
skip=" ${SPP_OSS_FUZZ_SKIP-fuzz_qmp_snapshot} "
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# have GLOB: one of the source directories holds files matching GLOB
have() {
    for d in "${debsrcs[@]}"; do
        compgen -G "$d/$1" >/dev/null && return 0
    done
    return 1
}
# fetch_into DIR PACKAGE: copy PACKAGE's source files to DIR, where build-stack.sh and
# build-gtk.sh look before running apt-get source
fetch_into() {
    mkdir -p "$1"
    for d in "${debsrcs[@]}"; do
        for f in "$d/$2"_*; do
            [ -f "$f" ] && cp -n "$f" "$1/"
        done
    done
    return 0
}
if [ -z "${SPP_OSS_FUZZ_CMAKE_ARGS+x}" ]; then
    # WITH_SPICE_GTK=OFF: spice-gtk's fuzz flavour only, without the GTK widget (no GTK here)
    SPP_OSS_FUZZ_CMAKE_ARGS="-DWITH_DISSECTOR=OFF -DWITH_CONFORMANCE=OFF -DWITH_SPICE_GTK=OFF"
    if have 'spice_*.dsc' && have 'spice-protocol_*.dsc'; then
        SPP_OSS_FUZZ_CMAKE_ARGS+=" -DWITH_SPICE=ON -DWITH_HARNESS=ON"
    else
        echo "build-fuzzers: no Debian spice sources in ${debsrcs[*]}: WITH_SPICE=OFF (spice targets not built)"
        SPP_OSS_FUZZ_CMAKE_ARGS+=" -DWITH_SPICE=OFF -DWITH_HARNESS=OFF"
    fi
fi
fetch_into "$build/qemu-harness/spice/stack/dl" spice
fetch_into "$build/qemu-harness/spice/stack/dl" spice-protocol
fetch_into "$build/qemu-harness/gtk/work/dl" spice-gtk
# A build dir configured from another checkout cannot be reused.
if [ -f "$build/CMakeCache.txt" ] && ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$repo" "$build/CMakeCache.txt"; then
    rm -rf "$build"
fi
prefix_args=()
[ -n "${SPP_WIRESHARK_PREFIX:-}" ] && prefix_args=(-DCMAKE_PREFIX_PATH="$SPP_WIRESHARK_PREFIX")

echo "build-fuzzers: CC=$CC CFLAGS=$CFLAGS LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE"
# shellcheck disable=SC2086
cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=None -DWITH_FUZZERS=ON -DSPP_OSS_FUZZ=ON \
    "${prefix_args[@]}" $SPP_OSS_FUZZ_CMAKE_ARGS
manifest=$build/fuzz/fuzz-targets.tsv
mapfile -t names < <(cut -f1 "$manifest")
[ ${#names[@]} -gt 0 ] || { echo "build-fuzzers: no fuzz targets configured" >&2; exit 1; }
cmake --build "$build" --target "${names[@]}"

mkdir -p "$OUT"
while IFS=$'\t' read -r name bin corpus _rest; do
    if [[ "$skip" == *" $name "* ]]; then
        echo "build-fuzzers: $name built but not shipped (SPP_OSS_FUZZ_SKIP)"
        continue
    fi
    cp "$bin" "$OUT/$name"
    rm -f "$OUT/${name}_seed_corpus.zip"
    if [ -d "$corpus" ] && [ -n "$(ls -A "$corpus")" ]; then
        find "$corpus" -maxdepth 1 -type f ! -name "$name.dict" ! -name "$name.options" ! -name '*.md' -print0 |
            xargs -0 zip -q -j "$OUT/${name}_seed_corpus.zip"
    else
        echo "build-fuzzers: $name has no seeds; empty seed corpus" >&2
        printf '' >"$WORK/empty-seed" && zip -q -j "$OUT/${name}_seed_corpus.zip" "$WORK/empty-seed"
    fi
    [ -f "$corpus/$name.dict" ] && cp "$corpus/$name.dict" "$OUT/$name.dict"
    if [ -f "$corpus/$name.options" ]; then
        cp "$corpus/$name.options" "$OUT/$name.options"
    else
        printf '[libfuzzer]\n' >"$OUT/$name.options"
    fi
    echo "build-fuzzers: $OUT/$name"
done <"$manifest"

if [ "${SPP_BUNDLE_LIBS:-0}" = 1 ]; then
    # oss-fuzz runs targets in base-runner, which has libc and little else: ship the rest.
    mkdir -p "$OUT/lib"
    for f in "$OUT"/*; do
        [ -f "$f" ] && [ -x "$f" ] || continue
        ldd "$f" 2>/dev/null | awk '/=> \// {print $3}' | while read -r lib; do
            case "$(basename "$lib")" in
                libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libgcc_s.so*|libstdc++.so*) ;;
                *) cp -Ln "$lib" "$OUT/lib/" ;;
            esac
        done
        patchelf --set-rpath '$ORIGIN/lib' "$f"
    done
fi
