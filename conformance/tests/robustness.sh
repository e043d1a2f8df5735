#!/usr/bin/env bash
# A case past its deadline and a QEMU that crashes each fail their own case; the run goes on,
# exits 1, and leaves no process or temporary file behind.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/tmp"

status=0
# The real QEMU, with a deadline far shorter than the case needs (it waits for 30 guest ticks).
TMPDIR="$work/tmp" "$VMCONFORM" --timeout 0.5 --case '*load_rewinds_ram_and_disk' >"$work/tap" || status=$?
cat "$work/tap"
[ "$status" -eq 1 ] || { echo "FAIL: deadline run exited $status, expected 1"; exit 1; }
grep -q 'status: "timeout"' "$work/tap" || { echo "FAIL: expected a timeout"; exit 1; }

# A "QEMU" that hangs: it never opens its QMP socket.
cat >"$work/hanging-qemu" <<'QEMU'
#!/bin/sh
[ "$1" = "--version" ] && { echo "QEMU emulator version 7.2.0"; exit 0; }
exec sleep 1000
QEMU
chmod +x "$work/hanging-qemu"
status=0
TMPDIR="$work/tmp" "$VMCONFORM" --qemu "$work/hanging-qemu" --timeout 1 --case '*system_reset_reboots_guest' --case '*stop_then_reset*' >"$work/tap1" || status=$?
cat "$work/tap1"
[ "$status" -eq 1 ] || { echo "FAIL: hanging-QEMU run exited $status, expected 1"; exit 1; }
[ "$(grep -c '^not ok' "$work/tap1")" -eq 2 ] || { echo "FAIL: both cases should fail and be reported"; exit 1; }

# A "QEMU" that reports a version and then dies of SIGSEGV whenever it is started.
cat >"$work/crashing-qemu" <<'QEMU'
#!/bin/sh
[ "$1" = "--version" ] && { echo "QEMU emulator version 7.2.0"; exit 0; }
kill -SEGV $$
QEMU
chmod +x "$work/crashing-qemu"
status=0
TMPDIR="$work/tmp" "$VMCONFORM" --qemu "$work/crashing-qemu" --suite qmp-power --timeout 20 >"$work/tap2" || status=$?
cat "$work/tap2"
[ "$status" -eq 1 ] || { echo "FAIL: crashing-QEMU run exited $status, expected 1"; exit 1; }
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$work/tap2")
[ "$(grep -c '^not ok' "$work/tap2")" -eq "$planned" ] || { echo "FAIL: every case should fail and be reported"; exit 1; }

[ -z "$(ls -A "$work/tmp")" ] || { echo "FAIL: temporary files left:"; ls -laR "$work/tmp"; exit 1; }
if pgrep -f -- "$work/tmp" >/dev/null; then echo "FAIL: processes survive:"; pgrep -af -- "$work/tmp"; exit 1; fi
echo "robustness: timeouts and crashes reported per case, nothing left behind"
