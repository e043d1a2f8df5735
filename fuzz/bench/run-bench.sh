#!/usr/bin/env bash
# fuzz/bench/run-bench.sh BUILD_DIR
#
# Benchmarks every fuzz target built in BUILD_DIR (fuzz/fuzz-targets.tsv) against the empty
# harness (fuzz/empty_harness.c, same flags) in one run: each target fuzzes from its seeds for
# SPP_BENCH_SECONDS (default 30) into a scratch corpus, one process at a time; the empty harness
# runs before and after the targets and the ceiling is the mean of the two (load drifts on a
# shared machine). Prints exec/s (wall clock) and executions per CPU-second (robust under load),
# each with its ratio to the ceiling, and for targets that report their own rate, that rate. Then coverage via fuzz/coverage.sh in its own build dir, per target for
# SPP_COVERAGE_SECONDS_<target> seconds (defaults: fuzz_power_parser 60, fuzz_dissector 300,
# others SPP_BENCH_COVERAGE_SECONDS, default 60). SPP_BENCH_COVERAGE=0 skips coverage.
#
# Own-rate hook: a target whose exec/s is not the figure of merit (the QMP target counts
# commands) sets in its fuzz/<target>.cmake
#   set(SPP_FUZZ_BENCH_<target>_RATE_REGEX "commands/s: [0-9.]+")   # grep -E pattern, no backslashes
#   set(SPP_FUZZ_BENCH_<target>_RATE_UNIT "commands/s")
# and the last number of the last line of its output that matches is reported as its own rate.
#
# Also: SPP_BENCH_TARGETS="a b" to bench a subset; SPP_BENCH_OUT for logs (default BUILD_DIR/bench).
set -euo pipefail

build=${1:?usage: run-bench.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
secs=${SPP_BENCH_SECONDS:-30}
out=${SPP_BENCH_OUT:-$build/bench}
manifest=$build/fuzz/fuzz-targets.tsv
empty=$build/fuzz/empty_harness
[ -f "$manifest" ] || { echo "run-bench: no $manifest (configure with -DWITH_FUZZERS=ON)" >&2; exit 1; }
[ -x "$empty" ] || { echo "run-bench: $empty not built" >&2; exit 1; }
mkdir -p "$out"

# run_one NAME BIN CORPUS -> prints "exec/s exec-per-CPU-second"; log in $out/NAME.log. The CPU
# figure (executions / user+sys time of the fuzzer, start-up included) holds up on a loaded machine,
# where wall-clock exec/s mostly measures the other processes.
run_one() {
    local name=$1 bin=$2 corpus=$3 scratch args=() log=$out/$1.log
    scratch=$(mktemp -d)
    [ -f "$corpus/$name.dict" ] && args+=("-dict=$corpus/$name.dict")
    if [ -f "$corpus/$name.options" ]; then
        while IFS='=' read -r k v; do
            k=$(echo "$k" | tr -d ' '); v=$(echo "$v" | tr -d ' ')
            case "$k" in max_len|detect_leaks|timeout|rss_limit_mb) args+=("-$k=$v") ;; esac
        done < <(grep -E '^[a-z_]+ *=' "$corpus/$name.options")
    fi
    local seeds=()
    [ -d "$corpus" ] && seeds+=("$corpus")
    (
        if [ -f "$build/fuzz/env/$name.env" ] && [ "${SPP_BENCH_CTEST_ENV:-0}" = 1 ]; then
            while IFS= read -r kv; do [ -n "$kv" ] && export "${kv?}"; done <"$build/fuzz/env/$name.env"
        fi
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
        cd "$scratch"
        "$bin" "${args[@]}" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$scratch/" \
            "$scratch" "${seeds[@]}" >"$log" 2>&1 || echo "run-bench: $name exited with an error, see $log" >&2
        times >"$log.times"     # 2nd line: the children's user and system time (no pipe: a subshell has no children)
    )
    rm -rf "$scratch"
    awk -v t="$(tail -1 "$log.times")" '
        function sec(x,   m) { m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x); return m * 60 + x }
        /stat::average_exec_per_sec:/ {v=$2} /stat::number_of_executed_units:/ {n=$2}
        END { split(t, a, " "); cpu = sec(a[1]) + sec(a[2]); printf "%d %d\n", v, (cpu > 0 ? n / cpu : 0) }' "$log"
}

mapfile -t lines < <(cat "$manifest")
echo "run-bench: ${secs} s per target, one at a time; logs in $out"
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
read -r e1 c1 < <(run_one empty_harness "$empty" /nonexistent)
declare -A rate cpu own
names=()
for line in "${lines[@]}"; do
    IFS=$'\t' read -r name bin corpus _sources regex unit <<<"$line"
    if [ -n "${SPP_BENCH_TARGETS:-}" ] && [[ " $SPP_BENCH_TARGETS " != *" $name "* ]]; then continue; fi
    [ -x "$bin" ] || { echo "run-bench: $bin missing; skipped" >&2; continue; }
    names+=("$name")
    read -r "rate[$name]" "cpu[$name]" < <(run_one "$name" "$bin" "$corpus")
    own[$name]=""
    if [ -n "$regex" ]; then
        v=$(grep -E "$regex" "$out/$name.log" | tail -1 | grep -oE '[0-9]+(\.[0-9]+)?' | tail -1 || true)
        own[$name]="${v:-?} ${unit}"
    fi
done
read -r e2 c2 < <(run_one empty_harness "$empty" /nonexistent)
ceiling=$(( (e1 + e2) / 2 ))
cceiling=$(( (c1 + c2) / 2 ))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "1/%.0f", b / (a > 0 ? a : 1); else print "?" }'; }
{
    echo "load average before: $load0"
    printf '%-24s %10s %8s %14s %8s  %s\n' target exec/s ratio exec/CPU-s ratio "own rate"
    printf '%-24s %10s %8s %14s %8s  %s\n' empty_harness "$ceiling" 1 "$cceiling" 1 "(runs: $e1/$c1, $e2/$c2)"
    for n in "${names[@]}"; do
        printf '%-24s %10s %8s %14s %8s  %s\n' "$n" "${rate[$n]}" "$(ratio "${rate[$n]}" "$ceiling")" \
            "${cpu[$n]}" "$(ratio "${cpu[$n]}" "$cceiling")" "${own[$n]}"
    done
} | tee "$out/exec-rates.txt"

if [ "${SPP_BENCH_COVERAGE:-1}" != 0 ]; then
    export SPP_COVERAGE_SECONDS_fuzz_power_parser=${SPP_COVERAGE_SECONDS_fuzz_power_parser:-60}
    export SPP_COVERAGE_SECONDS_fuzz_dissector=${SPP_COVERAGE_SECONDS_fuzz_dissector:-300}
    if [ -n "${SPP_BENCH_TARGETS:-}" ]; then
        # shellcheck disable=SC2086
        "$here/../coverage.sh" "${SPP_BENCH_COVERAGE_SECONDS:-60}" $SPP_BENCH_TARGETS
    else
        "$here/../coverage.sh" "${SPP_BENCH_COVERAGE_SECONDS:-60}"
    fi
fi
