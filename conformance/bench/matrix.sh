#!/usr/bin/env bash
# The release matrix (every case on QEMU 7.2, 10.0 and 11.1 in one vmconform run) against, measured
# in the same run: the sum of three runs of one release each, and one bare boot per case (each
# release's median boot to the first serial line, times the boots its run made). Not a test.
# usage: matrix.sh VMCONFORM BARE_BOOT ROOTS_DIR TOOLS_DIR   (the roots as conformance.releases makes them)
set -euo pipefail
vmconform=$1 bare_boot=$2 roots=$3 tools=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
qemus=(qemu-system-x86_64)
for release in trixie trixie-backports; do
    "$tools/debian-root.sh" "$roots/$release" "$release" qemu-system-x86 >/dev/null
    "$tools/root-qemu.sh" "$roots/$release" "$work/qemu-$release" >/dev/null
    qemus+=("$work/qemu-$release")
done
now() { date +%s.%N; }
timed_run() { # label, then --qemu arguments; prints "seconds boots status"
    local label=$1 t0 t1 status=0
    shift
    t0=$(now)
    "$vmconform" "$@" >"$work/$label.tap" 2>"$work/$label.err" || status=$?
    t1=$(now)
    echo "$(python3 -c "print($t1 - $t0)") $(grep -c ': booting QEMU' "$work/$label.err" || true) $status"
}
matrix_args=()
for q in "${qemus[@]}"; do matrix_args+=(--qemu "$q"); done
read -r matrix matrix_boots matrix_status < <(timed_run matrix "${matrix_args[@]}")
singles=() bare=()
for i in "${!qemus[@]}"; do
    singles+=("$(timed_run "single$i" --qemu "${qemus[$i]}")")
    bare+=("$("$bare_boot" 5 "${qemus[$i]}")")
done
python3 - "$matrix" "$matrix_boots" "$matrix_status" "${singles[@]}" -- "${bare[@]}" <<'PY'
import sys
args = sys.argv[1:]
sep = args.index("--")
matrix, boots, status = float(args[0]), int(args[1]), int(args[2])
singles = [tuple(map(float, s.split())) for s in args[3:sep]]
bare = [float(b) for b in args[sep + 1:]]
names = ["7.2", "10.0", "11.1"]
total = sum(s[0] for s in singles)
floor = sum(s[1] * b for s, b in zip(singles, bare))
for n, s, b in zip(names, singles, bare):
    print(f"QEMU {n}: alone {s[0]:.1f} s, {int(s[1])} boots, exit {int(s[2])}; bare boot {b*1000:.0f} ms (median of 5)")
print(f"matrix (one run, three QEMUs): {matrix:.1f} s, {boots} boots, exit {status}")
print(f"ratio matrix / sum of the three runs alone ({total:.1f} s): {matrix / total:.2f}")
print(f"ratio matrix / one bare boot per case ({floor:.1f} s): {matrix / floor:.2f}")
PY
