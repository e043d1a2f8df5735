#!/usr/bin/env bash
# coverage.sh can fail: against a copy of docs/ with one more section stating a MUST it names that
# section; an untestable.txt entry without a reason, or for a section that states no requirement,
# fails it too. The unchanged docs and list pass.
# usage: coverage-detects.sh DOCS_DIR UNTESTABLE_FILE   (VMCONFORM in the environment)
set -uo pipefail
docs=$1 untestable=$2
coverage="$(dirname "$0")/coverage.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect() {
    local what=$1 want_status=$2 expected=$3; shift 3
    local out status=0
    out=$("$@" 2>&1) || status=$?
    if [ "$status" -ne "$want_status" ] || ! grep -qF -- "$expected" <<<"$out"; then
        echo "FAIL: $what: status $status (expected $want_status), expected '$expected', got: $out"; exit 1
    fi
    echo "ok: $what -> $expected"
}

expect "the project's docs and list" 0 "coverage: all" "$coverage" "$docs" "$untestable"

cp -r "$docs" "$work/docs"
printf '\n### 12.99 Planted\n\nA server MUST answer the planted message.\n' >>"$work/docs/power-channel.md"
expect "a planted MUST section" 1 "power-channel.md §12.99" "$coverage" "$work/docs" "$untestable"

printf 'snapshot-jobs.md §2\n' >"$work/no-reason.txt"
cat "$untestable" >>"$work/no-reason.txt"
expect "an untestable entry without a reason" 1 "has no reason" "$coverage" "$docs" "$work/no-reason.txt"

cp "$untestable" "$work/stale.txt"
printf 'snapshot-jobs.md §9\tinformative, states nothing\n' >>"$work/stale.txt"
expect "an untestable entry for a section without a requirement" 1 "snapshot-jobs.md 9" \
    "$coverage" "$docs" "$work/stale.txt"
echo "coverage check: an uncited requirement and a bad untestable.txt entry each fail it"
