#!/usr/bin/env bash
# fuzz/coverage.sh [SECONDS] [TARGET...]
#
# Source-based coverage of the fuzz targets: builds the tree in its own build directory with
# -fprofile-instr-generate -fcoverage-mapping (libFuzzer, no sanitizer), then for each target
#   1. fuzzes for SECONDS (default 60) from its seeds, new inputs into a scratch corpus,
#   2. replays seeds + scratch corpus once (-runs=0),
#   3. llvm-profdata-14 merge, llvm-cov-14 export restricted to the code under test,
# and prints line and branch coverage per target. TARGET defaults to every target the build
# produced (fuzz/fuzz-targets.tsv in the build dir).
#
# Code under test: SPP_FUZZ_COVERAGE_<target>_SOURCES in fuzz/<target>.cmake (files or directories,
# repo-relative or absolute, ';' or ',' separated). A target without it is reported over all its
# code.
#
# Environment:
#   SPP_COVERAGE_BUILD_DIR    build dir (default: ${TMPDIR:-/tmp}/spicepower-coverage)
#   SPP_COVERAGE_CMAKE_ARGS   extra configure args, e.g. "-DWITH_SPICE=OFF -DWITH_HARNESS=OFF"
#   SPP_COVERAGE_SECONDS_<target>  per-target duration overriding SECONDS
#   SPP_COVERAGE_OUT          where profiles, corpora and reports go (default: <build>/coverage)
#   SPP_COVERAGE_HTML=1       also write an HTML report per target
#   SPP_COVERAGE_NO_BUILD=1   reuse the build dir as it is
# Output: one line per target, "COVERAGE <target> lines <pct> (<covered>/<total>) branches <pct>
# (<covered>/<total>) after <s> s", also written to $SPP_COVERAGE_OUT/summary.txt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
build=${SPP_COVERAGE_BUILD_DIR:-${TMPDIR:-/tmp}/spicepower-coverage}
out=${SPP_COVERAGE_OUT:-$build/coverage}
profdata=${LLVM_PROFDATA:-llvm-profdata-14}
cov=${LLVM_COV:-llvm-cov-14}

die() { echo "coverage.sh: $*" >&2; exit 1; }
command -v "$profdata" >/dev/null || die "$profdata not found (Debian package llvm-14)"
command -v "$cov" >/dev/null || die "$cov not found (Debian package llvm-14)"
command -v clang-14 >/dev/null || die "clang-14 not found"

if [ "${SPP_COVERAGE_NO_BUILD:-0}" != 1 ]; then
    # SPP_OSS_FUZZ takes the flags from CFLAGS/CXXFLAGS/LIB_FUZZING_ENGINE, as oss-fuzz's own
    # coverage builds do.
    flags="-O1 -g -fno-omit-frame-pointer -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link"
    # shellcheck disable=SC2086
    CC=clang-14 CXX=clang++-14 CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE="-fsanitize=fuzzer" \
        cmake -S "$repo" -B "$build" -G Ninja -DWITH_FUZZERS=ON -DSPP_OSS_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo ${SPP_COVERAGE_CMAKE_ARGS:-} >"$build.configure.log" 2>&1 ||
        { tail -30 "$build.configure.log"; die "configure failed (log: $build.configure.log)"; }
    # Only the fuzz targets: the rest of the tree is not needed here.
    targets_all=$(cut -f1 "$build/fuzz/fuzz-targets.tsv" | tr '\n' ' ')
    # shellcheck disable=SC2086
    cmake --build "$build" --target $targets_all >"$build.build.log" 2>&1 ||
        { tail -30 "$build.build.log"; die "build failed (log: $build.build.log)"; }
fi
manifest=$build/fuzz/fuzz-targets.tsv
[ -f "$manifest" ] || die "no $manifest: configure with -DWITH_FUZZERS=ON first"

selected=("$@")
if [ ${#selected[@]} -eq 0 ]; then
    mapfile -t selected < <(cut -f1 "$manifest")
fi
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"

for t in "${selected[@]}"; do
    line=$(awk -F'\t' -v t="$t" '$1 == t' "$manifest")
    [ -n "$line" ] || { echo "coverage.sh: $t is not a built fuzz target; skipped" >&2; continue; }
    IFS=$'\t' read -r name bin corpus sources _rate _unit <<<"$line"
    [ -x "$bin" ] || { echo "coverage.sh: $bin missing; skipped" >&2; continue; }
    var=SPP_COVERAGE_SECONDS_$name
    secs=${!var:-$seconds}
    dir=$out/$name
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/prof"
    args=()
    [ -f "$corpus/$name.dict" ] && args+=("-dict=$corpus/$name.dict")
    if [ -f "$corpus/$name.options" ]; then
        while IFS='=' read -r k v; do
            k=$(echo "$k" | tr -d ' '); v=$(echo "$v" | tr -d ' ')
            case "$k" in max_len|detect_leaks|timeout|rss_limit_mb) args+=("-$k=$v") ;; esac
        done < <(grep -E '^[a-z_]+ *=' "$corpus/$name.options")
    fi
    seeds=()
    [ -d "$corpus" ] && seeds+=("$corpus")
    (
        # the target's ctest environment (fuzz/env/<name>.env)
        if [ -f "$build/fuzz/env/$name.env" ]; then
            while IFS= read -r kv; do [ -n "$kv" ] && export "${kv?}"; done <"$build/fuzz/env/$name.env"
        fi
        cd "$dir"
        if [ "$secs" -gt 0 ]; then
            LLVM_PROFILE_FILE="$dir/prof/fuzz-%p.profraw" "$bin" "${args[@]}" -max_total_time="$secs" \
                -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "${seeds[@]}" >"$dir/fuzz.log" 2>&1 ||
                echo "coverage.sh: $name: fuzzing stopped early (finding?), see $dir/fuzz.log" >&2
        fi
        LLVM_PROFILE_FILE="$dir/prof/replay-%p.profraw" "$bin" "${args[@]}" -runs=0 \
            "$dir/corpus" "${seeds[@]}" >"$dir/replay.log" 2>&1 ||
            echo "coverage.sh: $name: replay failed, see $dir/replay.log" >&2
    )
    "$profdata" merge -sparse -o "$dir/merged.profdata" "$dir"/prof/*.profraw
    filters=()
    if [ -n "$sources" ]; then
        IFS=',;' read -r -a parts <<<"$sources"
        for p in "${parts[@]}"; do
            case "$p" in
                "") ;;
                /*) filters+=("$p") ;;          # absolute, e.g. generated files in the build tree
                *) filters+=("$repo/$p") ;;
            esac
        done
    fi
    "$cov" export -summary-only -instr-profile="$dir/merged.profdata" "$bin" "${filters[@]}" >"$dir/summary.json"
    "$cov" report -instr-profile="$dir/merged.profdata" "$bin" "${filters[@]}" >"$dir/report.txt"
    if [ "${SPP_COVERAGE_HTML:-0}" = 1 ]; then
        "$cov" show -format=html -output-dir="$dir/html" -instr-profile="$dir/merged.profdata" "$bin" "${filters[@]}"
    fi
    python3 - "$dir/summary.json" "$name" "$secs" "${sources:-whole binary}" <<'EOF' | tee -a "$summary"
import json, sys
t = json.load(open(sys.argv[1]))["data"][0]["totals"]
l, b = t["lines"], t["branches"]
pct = lambda d: 100.0 * d["covered"] / d["count"] if d["count"] else 0.0
print("COVERAGE %s lines %.1f%% (%d/%d) branches %.1f%% (%d/%d) after %s s [%s]" % (
    sys.argv[2], pct(l), l["covered"], l["count"], pct(b), b["covered"], b["count"], sys.argv[3], sys.argv[4]))
EOF
done
echo "coverage.sh: reports in $out (report.txt per target)"
