#!/bin/bash
# fuzz/oss-fuzz/test-build.sh WORK_DIR [extra cmake args...]
# The ctest fuzz.oss_fuzz_build: runs oss-fuzz's build.sh here the way oss-fuzz would (its
# images cannot run here), with oss-fuzz's variables: CC=clang-14, CXX=clang++-14, the ASan
# CFLAGS of oss-fuzz, LIB_FUZZING_ENGINE=-fsanitize=fuzzer, fresh OUT and SRC ($SRC/spicepower is
# this checkout), WORK=WORK_DIR (kept between runs, so a rerun is incremental). Then every
# target in $OUT must have <target>_seed_corpus.zip and <target>.options (and <target>.dict when
# the corpus has one), and must run over its unzipped seed corpus with -runs=0 and the flags
# of its .options file.
# Extra args go to the project's configure (SPP_OSS_FUZZ_CMAKE_ARGS); the ctest passes the
# WITH_* options of the tree it belongs to. SPP_DEBIAN_SOURCES may point at already fetched
# spice source packages (the ctest passes the tree's qemu-harness/spice/stack/dl).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mkdir -p "$1" && cd "$1" && pwd)
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CC=clang-14 CXX=clang++-14
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export OUT=$tmp/out SRC=$tmp/src WORK
export SPP_OSS_FUZZ_CMAKE_ARGS="$*"
export SPP_DEBIAN_SOURCES=${SPP_DEBIAN_SOURCES:-$tmp/no-debian-sources}
mkdir -p "$OUT" "$SRC"
ln -s "$repo" "$SRC/spicepower"
cp "$repo/fuzz/oss-fuzz/build.sh" "$SRC/build.sh"

start=$(date +%s)
(cd "$SRC/spicepower" && bash -eu "$SRC/build.sh") >"$WORK/build.log" 2>&1 ||
    { tail -40 "$WORK/build.log"; echo "FAIL: build.sh (log: $WORK/build.log)"; exit 1; }
echo "build.sh: $(( $(date +%s) - start )) s"

fail=0 n=0
for bin in "$OUT"/*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    t=$(basename "$bin")
    [[ "$t" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "FAIL: $t: name not allowed by oss-fuzz"; fail=1; continue; }
    n=$((n + 1))
    for f in "${t}_seed_corpus.zip" "$t.options"; do
        [ -s "$OUT/$f" ] || { echo "FAIL: $t: $f missing"; fail=1; }
    done
    if [ -f "$repo/corpus/$t/$t.dict" ] && [ ! -s "$OUT/$t.dict" ]; then
        echo "FAIL: $t: $t.dict missing"; fail=1
    fi
    args=()
    if [ -f "$OUT/$t.options" ]; then
        while IFS='=' read -r k v; do
            k=$(echo "$k" | tr -d ' '); v=$(echo "$v" | tr -d ' ')
            [ -n "$k" ] && args+=("-$k=$v")
        done < <(grep -E '^[a-z_]+ *=' "$OUT/$t.options")
    fi
    [ -f "$OUT/$t.dict" ] && args+=("-dict=$OUT/$t.dict")
    mkdir -p "$tmp/seeds/$t"
    unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$tmp/seeds/$t"
    seeds=$(ls "$tmp/seeds/$t" | wc -l)
    if (cd "$tmp" && "$bin" "${args[@]}" -runs=0 "$tmp/seeds/$t") >"$tmp/$t.log" 2>&1; then
        echo "ok: $t: $seeds seeds replayed ($(grep -oE 'Done [0-9]+ runs' "$tmp/$t.log" || true))"
    else
        tail -30 "$tmp/$t.log"; echo "FAIL: $t: replay of its seed corpus"; fail=1
    fi
done
[ "$n" -gt 0 ] || { echo "FAIL: build.sh produced no target in \$OUT"; exit 1; }
[ "$fail" = 0 ] && echo "PASS: $n target(s) built by build.sh and replayed"
exit "$fail"
