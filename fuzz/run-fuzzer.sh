#!/usr/bin/env bash
# run-fuzzer.sh replay|smoke <fuzzer> <corpus-dir> [libFuzzer args...]
#   replay: run every seed once (-runs=0); fails on any crash, leak or sanitizer report.
#   smoke:  fuzz for a short time; new inputs go to a scratch directory, so the checked-in corpus
#           never grows; a finding leaves its reproducer in the scratch directory and fails.
set -euo pipefail
mode=$1 fuzzer=$2 corpus=$3
shift 3
[ -d "$corpus" ] || { echo "run-fuzzer: no corpus directory $corpus"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
case "$mode" in
    replay) exec "$fuzzer" -runs=0 "$@" "$corpus" ;;
    smoke)
        status=0
        "$fuzzer" -artifact_prefix="$scratch/" -print_final_stats=1 "$@" "$scratch" "$corpus" || status=$?
        if ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-* >/dev/null 2>&1; then
            echo "run-fuzzer: findings:"; ls -la "$scratch"; for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do [ -f "$f" ] && od -A x -t x1z "$f" | head -20; done
            exit 1
        fi
        exit "$status" ;;
    *) echo "run-fuzzer: unknown mode $mode"; exit 2 ;;
esac
