#!/usr/bin/env bash
# Bad command lines: a one-line error that names the problem, and exit status 2.
set -uo pipefail
bridge=$1
fail=0
check() {
    local pattern=$1; shift
    local err status
    err=$(timeout 5 "$bridge" "$@" 2>&1 >/dev/null); status=$?
    if [ "$status" -ne 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || ! grep -q -- "$pattern" <<<"$err"; then
        echo "FAIL: $* -> status $status: $err"; fail=1
    else
        echo "ok: $* -> $err"
    fi
}
check "Unknown option" --bogus
check "--qmp unix:PATH is required" --listen 127.0.0.1:5930 --disable-ticketing
check "--qmp unix:PATH is required" --qmp tcp:1 --listen 127.0.0.1:5930 --disable-ticketing
check "--listen wants ADDR:PORT" --qmp unix:/q --listen 5930 --disable-ticketing
check "--listen wants ADDR:PORT" --qmp unix:/q --listen 127.0.0.1:70000 --disable-ticketing
check "exactly one of --password-file" --qmp unix:/q --listen 127.0.0.1:5930
check "--password-file:" --qmp unix:/q --listen 127.0.0.1:5930 --password-file /nonexistent/pw
check "unknown action 'reboot'" --qmp unix:/q --listen 127.0.0.1:5930 --disable-ticketing --actions reset,reboot
check "TLS options need --tls-port" --qmp unix:/q --listen 127.0.0.1:5930 --disable-ticketing --tls-channel power
exit $fail
