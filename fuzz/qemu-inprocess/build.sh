#!/usr/bin/env bash
# build.sh [--check-only] [WORKDIR]
#
# Builds QEMU's in-process fuzzer (qemu-fuzz-x86_64) from Debian bookworm's QEMU 7.2 source with our
# snapshot-qmp target (snapshot-qmp-fuzz.patch beside this script) added to tests/qtest/fuzz/.
#
#   1. apt-get source qemu into WORKDIR/src (needs deb-src; skipped when the tree is already there);
#   2. applies the patch (once; a stamp file records it);
#   3. configures with clang-14, --enable-fuzzing, target x86_64-softmmu, into WORKDIR/src/<tree>/build-fuzz;
#   4. builds qemu-fuzz-x86_64 and copies it to WORKDIR/out/qemu-fuzz-x86_64-target-snapshot-qmp
#      (the -target- suffix selects the target, as oss-fuzz does for QEMU).
#
# --check-only stops after a dry run of the patch (patch --dry-run) on a fresh tree: seconds, not the
# tens of minutes that the full build (1,600 ninja steps) takes on 2 cores. It exits 77 (skip) when
# the source cannot be fetched.
#
# Environment: CC/CXX (default clang-14/clang++-14), CFLAGS (added with --extra-cflags, e.g. oss-fuzz's
# sanitizer flags), SANITIZERS (default 1: --enable-sanitizers, i.e. ASan+UBSan, unless CFLAGS already
# has -fsanitize=), JOBS (default nproc), OUT (if set, the binary is copied there too).
# WORKDIR defaults to ${TMPDIR:-/tmp}/spp-qemu-inprocess.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
patch_file="$here/snapshot-qmp-fuzz.patch"
check_only=0
if [ "${1:-}" = "--check-only" ]; then
    check_only=1
    shift
fi
work=${1:-${TMPDIR:-/tmp}/spp-qemu-inprocess}
CC=${CC:-clang-14}
CXX=${CXX:-clang++-14}
JOBS=${JOBS:-$(nproc)}

log() { echo "qemu-inprocess: $*" >&2; }
die() { log "$*"; exit 1; }

[ -f "$patch_file" ] || die "missing $patch_file"
command -v apt-get >/dev/null || die "apt-get not found (Debian only)"
command -v patch >/dev/null || die "patch not found: apt-get install patch"

mkdir -p "$work/src"
tree=$(find "$work/src" -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
if [ -z "$tree" ]; then
    log "apt-get source qemu into $work/src"
    if ! (cd "$work/src" && apt-get source qemu >"$work/apt-get-source.log" 2>&1); then
        log "apt-get source qemu failed (no deb-src entry or no mirror; ./run deps enables deb-src); see $work/apt-get-source.log"
        # --check-only runs as a ctest: without the source there is nothing to check (ctest: skipped)
        [ "$check_only" = 1 ] && exit 77
        exit 1
    fi
    tree=$(find "$work/src" -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
fi
[ -n "$tree" ] && [ -f "$tree/VERSION" ] || die "no QEMU tree under $work/src"
log "QEMU tree $tree (VERSION $(cat "$tree/VERSION"))"

stamp="$tree/.spp-snapshot-qmp-patch-applied"
if [ -f "$stamp" ]; then
    cmp -s "$stamp" "$patch_file" || die "$tree has an older version of the patch applied; remove $work and rerun"
    log "patch already applied"
else
    patch -d "$tree" -p1 --dry-run --forward <"$patch_file" >/dev/null || die "the patch does not apply to $tree"
    log "patch applies cleanly (dry run)"
    if [ "$check_only" = 1 ]; then
        exit 0
    fi
    patch -d "$tree" -p1 --forward <"$patch_file" >/dev/null
    cp "$patch_file" "$stamp"
fi
if [ "$check_only" = 1 ]; then
    exit 0
fi

command -v "$CC" >/dev/null || die "$CC not found: apt-get install clang-14 libclang-rt-14-dev"
# Debian's +dfsg tarball has no dtc submodule: libfdt must come from the system.
[ -f /usr/include/libfdt.h ] || die "libfdt missing: apt-get install libfdt-dev"
for pc in pixman-1 glib-2.0; do
    pkg-config --exists "$pc" || die "pkg-config $pc missing: apt-get install libpixman-1-dev libglib2.0-dev"
done
command -v ninja >/dev/null && command -v meson >/dev/null || die "apt-get install ninja-build meson"
build="$tree/build-fuzz"
mkdir -p "$build"
if [ ! -f "$build/build.ninja" ]; then
    rm -rf "$build" && mkdir -p "$build"
    log "configure (clang, --enable-fuzzing, x86_64-softmmu) in $build"
    # -U __OPTIMIZE__: see QEMU's scripts/oss-fuzz/build.sh (qemu_build_not_reached with clang).
    # ASan+UBSan (QEMU's --enable-sanitizers) unless the caller brings its own -fsanitize= flags
    # (oss-fuzz does) or sets SANITIZERS=0.
    sanitizers=--enable-sanitizers
    case "${CFLAGS:-}" in *-fsanitize=*) sanitizers= ;; esac
    [ "${SANITIZERS:-1}" = 0 ] && sanitizers=
    (cd "$build" && ../configure --disable-werror --cc="$CC" --cxx="$CXX" --enable-fuzzing $sanitizers \
        --target-list=x86_64-softmmu --disable-docs --disable-tools --disable-guest-agent \
        --extra-cflags="${CFLAGS:-} -U __OPTIMIZE__" >"$work/configure.log" 2>&1) ||
        die "configure failed; see $work/configure.log"
fi
log "building qemu-fuzz-x86_64 with $JOBS jobs (log: $work/build.log)"
ninja -C "$build" -j "$JOBS" qemu-fuzz-x86_64 >"$work/build.log" 2>&1 || die "build failed; see $work/build.log"

mkdir -p "$work/out"
cp "$build/qemu-fuzz-x86_64" "$work/out/qemu-fuzz-x86_64-target-snapshot-qmp"
if [ -n "${OUT:-}" ]; then
    cp "$build/qemu-fuzz-x86_64" "$OUT/qemu-fuzz-x86_64-target-snapshot-qmp"
fi
log "done: $work/out/qemu-fuzz-x86_64-target-snapshot-qmp"
log "run: LSAN_OPTIONS=suppressions=$here/lsan.supp $work/out/qemu-fuzz-x86_64-target-snapshot-qmp -max_len=256 -max_total_time=60 CORPUS_DIR"
