#!/usr/bin/env bash
# vmconform catches a QEMU that breaks one contract point: the real QEMU behind a relay that lists
# query-jobs oldest first (qmp-contract-breaker.py; snapshot-jobs.md §4.10 wants newest first). The
# snapshot suite must exit 1 with exactly the case that covers §4.10 failing, every other case as on
# the real QEMU (known deviations tolerated).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
BREAK=reverse-query-jobs "$VMCONFORM" --qemu "$(dirname "$0")/qmp-contract-breaker.py" --suite snapshot \
    >"$work/tap" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] || { cat "$work/tap" "$work/err" | tail -40; echo "FAIL: exit $status, expected 1"; exit 1; }
failed=$(grep '^not ok' "$work/tap" | grep -v '# TODO' | sed 's/^not ok [0-9]* - //')
[ "$failed" = "snapshot.query_jobs_lists_newest_first" ] || { echo "FAIL: unexpected failures: ${failed:-none}"; exit 1; }
grep -A8 '^not ok .* snapshot.query_jobs_lists_newest_first' "$work/tap" | grep -q 'requirement: "snapshot-jobs.md §4.10"' ||
    { echo "FAIL: the failure does not cite §4.10"; exit 1; }
echo "broken-contract: query-jobs oldest first fails snapshot.query_jobs_lists_newest_first (§4.10) and nothing else"
