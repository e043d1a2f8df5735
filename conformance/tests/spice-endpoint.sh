#!/usr/bin/env bash
# --spice HOST:PORT: the power suite against an endpoint vmconform did not start (here a bridge on a
# QEMU started by hand, as a user would). Cases that need the VM or the server's configuration skip;
# the rest must pass, and a wrong --password-file must make them fail.
set -euo pipefail
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cp "$GUEST_IMAGE" "$work/disk.img"
truncate -s 1M "$work/disk.img"
qemu-system-x86_64 -machine pc,accel=tcg -nodefaults -display none -m 64 \
    -drive file="$work/disk.img",format=raw,if=ide \
    -qmp unix:"$work/bridge.sock",server=on,wait=off -qmp unix:"$work/admin.sock",server=on,wait=off \
    </dev/null >/dev/null 2>&1 &
pids+=($!)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The bridge refuses a ticket file that group or others can read.
(umask 077 && printf 'sesame\n' >"$work/ticket")
for _ in $(seq 50); do [ -S "$work/bridge.sock" ] && break; sleep 0.1; done
"$BRIDGE" --qmp unix:"$work/bridge.sock" --listen 127.0.0.1:"$port" --password-file "$work/ticket" 2>"$work/bridge.log" &
pids+=($!)
sleep 0.5

status=0
"$VMCONFORM" --suite power --spice 127.0.0.1:"$port" --password-file "$work/ticket" >"$work/tap" || status=$?
cat "$work/tap"
[ "$status" -eq 0 ] || { echo "FAIL: --spice run exited $status"; cat "$work/bridge.log"; exit 1; }
passed=$(grep -c '^ok .* - power\.[a-z_0-9]*$' "$work/tap" || true)
skipped=$(grep -c '# SKIP' "$work/tap" || true)
[ "$passed" -ge 10 ] && [ "$skipped" -ge 3 ] || { echo "FAIL: expected passes and skips, got $passed passed, $skipped skipped"; exit 1; }

printf 'wrong\n' >"$work/wrong"
status=0
"$VMCONFORM" --suite power --case '*state_is_first*' --spice 127.0.0.1:"$port" --password-file "$work/wrong" >"$work/tap2" 2>&1 || status=$?
[ "$status" -eq 1 ] || { cat "$work/tap2"; echo "FAIL: a wrong ticket should fail the case (exit $status)"; exit 1; }
echo "spice-endpoint: $passed passed and $skipped skipped against a hand-started bridge; a wrong ticket fails"
