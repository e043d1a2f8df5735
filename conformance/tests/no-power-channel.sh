#!/usr/bin/env bash
# --spice at a SPICE server without a power channel (stock QEMU's own): the run says so once, up
# front, naming the channels the server does offer, and exits 2 without running a case.
set -euo pipefail
work=$(mktemp -d)
qemu_pid=
cleanup() { [ -z "$qemu_pid" ] || kill -9 "$qemu_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -display none -m 64 -S \
    -spice port="$port",addr=127.0.0.1,disable-ticketing=on </dev/null >"$work/qemu.log" 2>&1 &
qemu_pid=$!
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break
    sleep 0.1
done

status=0
"$VMCONFORM" --suite power --spice 127.0.0.1:"$port" >"$work/tap" 2>"$work/err" || status=$?
cat "$work/err"
[ "$status" -eq 2 ] || { cat "$work/tap"; echo "FAIL: exit status $status, expected 2"; exit 1; }
[ "$(wc -l <"$work/err")" -eq 1 ] || { echo "FAIL: expected one line on stderr"; exit 1; }
grep -q "has no power channel (it offers: .*inputs" "$work/err" || { echo "FAIL: the message does not name the offered channels"; exit 1; }
[ ! -s "$work/tap" ] || { cat "$work/tap"; echo "FAIL: cases ran"; exit 1; }
echo "no-power-channel: one line, exit 2, no case run"
