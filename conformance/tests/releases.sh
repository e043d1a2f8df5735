#!/usr/bin/env bash
# vmconform on three QEMU releases in one run: bookworm's 7.2 (the host's), trixie's 10.0 and
# trixie-backports' 11.1, each from a Debian root made once in the build tree (tools/debian-root.sh)
# and run with that root's loader and libraries (tools/root-qemu.sh). Every case runs on every
# release; the run exits 0 with each release's known deviations (the registry's D2 and D4) reported
# as such, and the reports name each target and what it tolerates.
#
# usage: releases.sh ROOTS_DIR PROJECT_SOURCE_DIR   (VMCONFORM in the environment)
# Exit 77 (ctest's skip) when not run as root: debootstrap and chroot need it.
set -euo pipefail
roots=$1 src=$2
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: making Debian roots needs root (debootstrap, chroot)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
qemus=(--qemu qemu-system-x86_64)
for release in trixie trixie-backports; do
    "$src/tools/debian-root.sh" "$roots/$release" "$release" qemu-system-x86 >"$work/root-$release.log" 2>&1 ||
        { cat "$work/root-$release.log"; echo "FAIL: cannot make the $release root"; exit 1; }
    "$src/tools/root-qemu.sh" "$roots/$release" "$work/qemu-$release"
    qemus+=(--qemu "$work/qemu-$release")
done

status=0
"$VMCONFORM" "${qemus[@]}" --json "$work/report.json" --junit "$work/report.xml" >"$work/tap" 2>"$work/err" || status=$?
grep -v '^  \|^    ' "$work/tap" | grep -v '^ok ' || true
[ "$status" -eq 0 ] || { grep -A12 '^not ok' "$work/tap" | head -80; tail -20 "$work/err"; echo "FAIL: exit $status"; exit 1; }
xmllint --noout --schema "$(dirname "$0")/junit.xsd" "$work/report.xml" || { echo "FAIL: JUnit report not valid"; exit 1; }
python3 - "$work/report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
labels = [t["label"] for t in d["targets"]]
assert labels == ["qemu-7.2", "qemu-10.0", "qemu-11.1"], labels
per = {l: [c for c in d["cases"] if c["target"] == l] for l in labels}
n = len(per["qemu-7.2"])
assert n >= 40 and all(len(v) == n for v in per.values()), {l: len(v) for l, v in per.items()}
for t in d["targets"]:
    assert {"D2", "D4"} <= set(t["tolerated_deviations"]), t
    known = sorted(c["suite"] + "." + c["name"] for c in per[t["label"]] if "known_deviation" in c)
    assert any("D2" in c.get("known_deviation", "") for c in per[t["label"]]), (t["label"], known)
    assert any("D4" in c.get("known_deviation", "") for c in per[t["label"]]), (t["label"], known)
print("releases:", ", ".join(f'{l}: {len(v)} cases, known deviations ' +
      " ".join(sorted({c["known_deviation"].split(":")[0].split("/")[-1] for c in v if "known_deviation" in c}))
      for l, v in per.items()))
PY
