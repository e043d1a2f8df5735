#!/usr/bin/env bash
# A failure citing VC_REQ reports "<doc> §<section>: <text>", and its JSON report also carries the
# citation's parts and where it is written; a failed scenario step (VC_STEP) reports its text and
# no citation; --list-citations lists every citation, including one that never fails, and no step,
# and each resolves against docs/.
set -euo pipefail
docs=$1
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$CITATION_FIXTURE" run "$work/report.json" >"$work/tap"
cat "$work/tap"
for expected in 'spec_requires: "power-channel.md §11.8: RESULT carries 6 bytes"' 'got: "RESULT of 7 bytes"' \
    'spec_requires: "snapshot-jobs.md §6.9(a): cont resumes after a failed load"' 'got: "cont refused"' \
    'spec_requires: "stop succeeds"' 'got: "stop refused: busy"'; do
    grep -qF -- "$expected" "$work/tap" || { echo "FAIL: TAP lacks $expected"; exit 1; }
done
line_of() { grep -n -- "$1" "$here/citation-fixture.c" | head -1 | cut -d: -f1; }
python3 - "$work/report.json" "$(line_of '"11.8", "RESULT carries')" <<'PY' || { echo "FAIL: JSON report"; exit 1; }
import json, sys
cases = {c["name"]: c for c in json.load(open(sys.argv[1]))["cases"]}
cited = cases["cited_failure"]
assert cited["spec_requires"] == "power-channel.md §11.8: RESULT carries 6 bytes", cited
assert cited["spec_requires_citation"] == {
    "spec": "power-channel.md", "section": "11.8", "text": "RESULT carries 6 bytes",
    "source": "conformance/tests/citation-fixture.c:" + sys.argv[2]}, cited
assert cases["cited_error"]["spec_requires_citation"]["section"] == "6.9(a)", cases["cited_error"]
step = cases["step_failure"]
assert step["spec_requires"] == "stop succeeds", step
assert "spec_requires_citation" not in step, step
assert cases["never_fails"]["status"] == "pass" and "spec_requires" not in cases["never_fails"]
PY

listed=$("$CITATION_FIXTURE" list)
printf '%s\n' "$listed"
[ "$(wc -l <<<"$listed")" -eq 3 ] || { echo "FAIL: expected the fixture's 3 citations"; exit 1; }
grep -qxF "conformance/tests/citation-fixture.c:$(line_of '"3", "a valid power link')	power-channel.md §3	a valid power link is accepted" <<<"$listed" \
    || { echo "FAIL: a citation that never fails is not listed, or not as file:line, doc §section, text"; exit 1; }
"$here/resolve-citations.sh" "$docs" citations <<<"$listed"
echo "citations: cited failures report text and parts; every citation listed and resolved"
