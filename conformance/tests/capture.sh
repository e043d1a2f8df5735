#!/usr/bin/env bash
# --capture records the power suite's traffic and the report carries it decoded by the plugin.
set -euo pipefail
work=$(mktemp -d)
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT
"$VMCONFORM" --case power.reset_reboots_guest --capture "$work/power.pcap" --json "$work/report.json" \
    --junit "$work/report.xml" >"$work/tap"
# the decoded capture rides in the JUnit report too, where a JUnit reader accepts it
xmllint --noout --schema "$(dirname "$0")/junit.xsd" "$work/report.xml" || { echo "FAIL: JUnit report with a capture is not valid"; exit 1; }
grep -q '<system-out>' "$work/report.xml" || { echo "FAIL: no decoded capture in the JUnit report"; exit 1; }
cat "$work/tap"
grep -q '^# capture: ' "$work/tap" || { echo "FAIL: no capture section in the TAP output"; exit 1; }
for want in 'LINK POWER:0' 'STATE ON' 'RESET' 'RESULT OK'; do
    grep -q "^#  .*$want" "$work/tap" || { echo "FAIL: the decoded capture lacks '$want'"; exit 1; }
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any("RESULT OK" in l for l in d["capture"]["decoded"])' "$work/report.json" \
  || { echo "FAIL: the JSON report lacks the decoded capture"; exit 1; }
echo "capture: the power traffic is recorded and decoded in the report"
