#!/usr/bin/env bash
# Bad command lines: one line on stderr naming the problem, exit status 2.
set -uo pipefail
fail=0
expect_usage_error() {
    local pattern=$1; shift
    local err status
    err=$("$VMCONFORM" "$@" 2>&1 >/dev/null); status=$?
    if [ "$status" -ne 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || ! grep -q -- "$pattern" <<<"$err"; then
        echo "FAIL: vmconform $* -> status $status, stderr: $err"; fail=1
    else
        echo "ok: vmconform $* -> $err"
    fi
}
expect_usage_error "Unknown option" --bogus
expect_usage_error "unknown suite 'nope'" --suite nope
expect_usage_error "no case matches" --case 'no-such-case*'
expect_usage_error "timeout" --timeout -1
expect_usage_error "QEMU binary '/nonexistent/qemu' not found" --qemu /nonexistent/qemu
expect_usage_error "password-file needs --spice" --password-file /dev/null
expect_usage_error "give one of them" --spice 127.0.0.1:5930 --power-qemu qemu-system-x86_64
expect_usage_error "QEMU binary '/nonexistent/qemu' not found" --power-qemu /nonexistent/qemu
expect_usage_error "unexpected argument" extra
expect_usage_error "--jobs must be between 1 and 64, got 0" -j0
expect_usage_error "Cannot parse integer value .two. for -j" -jtwo
# -j2 is -j 2, as for make, ninja and ctest
if "$VMCONFORM" -j2 --list >/dev/null 2>&1; then echo "ok: vmconform -j2 --list"; else echo "FAIL: vmconform -j2 --list"; fail=1; fi
exit $fail
