#!/usr/bin/env bash
# expect-leak.sh <fuzzer with a planted leak> <corpus> [libFuzzer args...]
# The fuzz ctests' leak settings work: replaying the corpus through a target that leaks on every
# connection-mode input must fail with LeakSanitizer's report of that allocation.
set -uo pipefail
fuzzer=$1 corpus=$2
shift 2
out=$("$fuzzer" -runs=0 "$@" "$corpus" 2>&1)
status=$?
[ "$status" -ne 0 ] || { echo "FAIL: the planted leak went unreported (exit 0)"; exit 1; }
grep -q "ERROR: LeakSanitizer: detected memory leaks" <<<"$out" || { tail -20 <<<"$out"; echo "FAIL: exit $status without a leak report"; exit 1; }
grep -q "Direct leak of [0-9]* byte(s) in [0-9]* object(s)" <<<"$out" || { echo "FAIL: no direct leak listed"; exit 1; }
echo "expect-leak: the planted leak was reported (exit $status)"
