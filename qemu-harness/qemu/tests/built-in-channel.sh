#!/usr/bin/env bash
# QEMU's own power channel judged like any other endpoint: the patched QEMU runs the project's
# guest with -spice ...,power-control=on, and
#   conformance: vmconform's whole power suite runs against it (--power-qemu: vmconform starts
#                QEMU for each case and watches the VM, no bridge) and passes; the report names
#                the target;
#   hostile:     spp-hostile's attacks run against it; after each, QEMU is alive, its memory
#                bounded, and a legitimate client links and resets within 2 s (all of them,
#                unread_flood included since the series' patch 0003: docs/hostile.md).
# usage: built-in-channel.sh conformance|hostile QEMU GUEST_IMAGE TOOL
set -euo pipefail
mode=$1 qemu=$2 guest=$3 tool=$4
work=$(mktemp -d)
qemu_pid=
cleanup() { [ -z "$qemu_pid" ] || kill -9 "$qemu_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

if [ "$mode" = conformance ]; then
    status=0
    "$tool" --suite power --power-qemu "$qemu" --guest "$guest" >"$work/tap" 2>"$work/err" || status=$?
    grep -E '^(not ok|ok .*# SKIP|# total|# target)' "$work/tap" || true
    [ "$status" -eq 0 ] || { grep -A10 '^not ok' "$work/tap" | head -60; tail "$work/err"; echo "FAIL: exit $status"; exit 1; }
    grep -q '^# target qemu-[0-9.]*+power-control: ' "$work/tap" || { echo "FAIL: the report does not name the target"; exit 1; }
    passed=$(grep -c '^ok [0-9]* - power\.[a-z_0-9]*$' "$work/tap" || true)
    [ "$passed" -ge 29 ] || { echo "FAIL: only $passed cases passed"; exit 1; }
    echo "built-in-channel: the power suite passes against QEMU's own channel ($passed cases, the rest skip)"
    exit 0
fi
cp "$guest" "$work/disk.img"
truncate -s 1M "$work/disk.img"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$qemu" -machine pc,accel=tcg -nodefaults -display none -m 64 \
    -drive file="$work/disk.img",format=raw,if=ide \
    -spice port="$port",addr=127.0.0.1,disable-ticketing=on,power-control=on \
    -qmp unix:"$work/qmp.sock",server=on,wait=off </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
    kill -0 "$qemu_pid" 2>/dev/null || { cat "$work/qemu.log"; echo "FAIL: QEMU exited"; exit 1; }
    sleep 0.1
done
status=0
case $mode in
hostile)
    "$tool" --spice 127.0.0.1:"$port" --pid "$qemu_pid" link_close link_reset vanish_queued half_open garbage_link \
        unread_flood malformed_power malformed_main >"$work/tap" 2>"$work/err" || status=$?
    cat "$work/tap"
    [ "$status" -eq 0 ] || { tail "$work/err"; tail "$work/qemu.log"; echo "FAIL: exit $status"; exit 1; }
    kill -0 "$qemu_pid" || { echo "FAIL: QEMU is gone"; exit 1; }
    echo "built-in-channel: every attack left QEMU running and a legitimate client served"
    ;;
*) echo "usage: built-in-channel.sh conformance|hostile QEMU GUEST_IMAGE TOOL" >&2; exit 2 ;;
esac
