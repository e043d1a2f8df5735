#!/usr/bin/env bash
# The JUnit report is valid against conformance/tests/junit.xsd for every kind of result: passes,
# a failure (a 7.2 deviation with --expect none), and the totals agree with the JSON report.
set -euo pipefail
xsd="$(dirname "$0")/junit.xsd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
"$VMCONFORM" --expect none --case 'snapshot.save_of_tag_existing_on_some_devices_fails' \
    --case 'power.reset_reboots_guest' --case 'snapshot.save_with_malformed_job_id_is_refused' \
    --junit "$work/report.xml" --json "$work/report.json" >"$work/tap" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] || { cat "$work/tap" "$work/err"; echo "FAIL: expected one failing case (exit 1), got $status"; exit 1; }
xmllint --noout --schema "$xsd" "$work/report.xml" || { cat "$work/report.xml"; echo "FAIL: JUnit report not valid"; exit 1; }
python3 - "$work/report.xml" "$work/report.json" <<'PY'
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = json.load(open(sys.argv[2]))["cases"]
xml_cases = root.findall("./testsuite/testcase")
assert len(xml_cases) == len(cases), (len(xml_cases), len(cases))
failed = [c for c in xml_cases if c.find("failure") is not None]
assert len(failed) == 1, [c.get("name") for c in failed]
for s in root.findall("testsuite"):
    assert int(s.get("tests")) == len(s.findall("testcase")), s.get("name")
    assert int(s.get("failures")) == len(s.findall("testcase/failure")), s.get("name")
PY
echo "junit-schema: report valid, one failure, totals agree with the JSON report"
