#!/usr/bin/env bash
# The smoke subset against the system QEMU: exit 0, a complete TAP stream, JUnit and JSON reports,
# and no QEMU process or temporary file left afterwards.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"
status=0
TMPDIR="$work/tmp" "$VMCONFORM" --smoke --junit "$work/report.xml" --json "$work/report.json" >"$work/tap" || status=$?
cat "$work/tap"
[ "$status" -eq 0 ] || { echo "FAIL: vmconform --smoke exited $status"; exit 1; }
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$work/tap")
points=$(grep -cE '^(ok|not ok) [0-9]+ - ' "$work/tap")
[ -n "$plan" ] && [ "$plan" -ge 4 ] && [ "$plan" -eq "$points" ] || { echo "FAIL: plan '$plan' vs $points test points"; exit 1; }
head -1 "$work/tap" | grep -qx 'TAP version 14' || { echo "FAIL: no TAP 14 header"; exit 1; }
grep -q '<testsuites' "$work/report.xml" && grep -q "tests=\"" "$work/report.xml" || { echo "FAIL: JUnit report"; exit 1; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2]); assert len(d["cases"])==n, d; assert all(c["status"] in ("pass","skip") or "known_deviation" in c for c in d["cases"])' "$work/report.json" "$plan" \
  || { echo "FAIL: JSON report"; exit 1; }
[ -z "$(ls -A "$work/tmp")" ] || { echo "FAIL: temporary files left:"; ls -la "$work/tmp"; exit 1; }
if pgrep -f -- "$work/tmp" >/dev/null; then echo "FAIL: a QEMU from the run survives"; pgrep -af -- "$work/tmp"; exit 1; fi
echo "smoke: $plan cases passed, reports written, nothing left behind"
