#!/usr/bin/env bash
# The HTML report as a browser shows it: headless Chromium renders the page (a screenshot must come
# out) and dumps its DOM, whose matrix cells (data-target, data-section, data-status) must say what
# the JSON report of the same run says, section by section and QEMU by QEMU; every cell's link must
# lead to a case on the page, and the deviations table must mark D2 as seen where its case failed.
# Two targets: the host's QEMU given twice (labels qemu-7.2 and qemu-7.2#2).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chromium=$(command -v chromium || true)
[ -n "$chromium" ] || { echo "FAIL: chromium not found (Debian package chromium)"; exit 1; }
status=0
"$VMCONFORM" --qemu qemu-system-x86_64 --qemu qemu-system-x86_64 \
    --case snapshot.save_of_tag_existing_on_some_devices_fails --case power.reset_reboots_guest \
    --case snapshot.save_with_malformed_job_id_is_refused --case power.channel_id_other_than_0_is_refused \
    --html "$work/report.html" --json "$work/report.json" >"$work/tap" 2>"$work/err" || status=$?
[ "$status" -eq 0 ] || { cat "$work/tap" "$work/err"; echo "FAIL: vmconform exited $status"; exit 1; }
# Chromium wants a writable home and, as root, no sandbox
export HOME="$work/home"
mkdir -p "$HOME"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,900)
"$chromium" "${flags[@]}" --screenshot="$work/report.png" "file://$work/report.html" >/dev/null 2>&1
[ "$(stat -c %s "$work/report.png" 2>/dev/null || echo 0)" -gt 20000 ] || { echo "FAIL: no screenshot of the report"; exit 1; }
"$chromium" "${flags[@]}" --dump-dom "file://$work/report.html" 2>/dev/null >"$work/dom.html"
python3 - "$work/dom.html" "$work/report.json" <<'PY'
import json, sys
from html.parser import HTMLParser

class Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.table = None
        self.cells, self.deviations, self.links, self.ids = {}, {}, [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "table":
            self.table = a.get("id")
        if tag == "td" and self.table == "matrix":
            self.cells[(a["data-target"], a["data-section"])] = a["data-status"]
        if tag == "td" and self.table == "deviations":
            self.deviations[(a["data-target"], a["data-deviation"])] = a["data-status"]
        if tag == "a" and self.table == "matrix":
            self.links.append(a["href"])

dom = Cells()
dom.feed(open(sys.argv[1]).read())
report = json.load(open(sys.argv[2]))
outcomes = {}
for c in report["cases"]:
    key = (c["target"], f'{c["spec"]} §{c["section"]}')
    if c["status"] in ("pass", "skip"):
        st = c["status"]
    else:
        st = "todo" if "known_deviation" in c else "fail"
    outcomes.setdefault(key, set()).add(st)
# a cell is its worst case: a failure, else a known deviation, else a pass, else a skip
expected = {k: next(s for s in ("fail", "todo", "pass", "skip") if s in v) for k, v in outcomes.items()}
assert dom.cells == expected, (dom.cells, expected)
assert {t for t, _ in dom.cells} == {"qemu-7.2", "qemu-7.2#2"}, dom.cells
assert "todo" in dom.cells.values(), dom.cells
missing = [l for l in dom.links if l[1:] not in dom.ids]
assert not missing, missing
assert dom.deviations[("qemu-7.2", "D2")] == "todo" and dom.deviations[("qemu-7.2#2", "D2")] == "todo", dom.deviations
print(f"html-report: {len(dom.cells)} cells as in the JSON report, {len(dom.links)} links resolve")
PY
