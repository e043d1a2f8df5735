#!/usr/bin/env bash
# Bad command lines: a one-line error that names the problem, and exit status 2.
set -uo pipefail
bridge=$1
fail=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
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
check "--password-file /nonexistent/pw: No such file" --qmp unix:/q --listen 127.0.0.1:5930 --password-file /nonexistent/pw
check "unknown action 'reboot'" --qmp unix:/q --listen 127.0.0.1:5930 --disable-ticketing --actions reset,reboot
check "TLS options need --tls-port" --qmp unix:/q --listen 127.0.0.1:5930 --disable-ticketing --tls-channel power
check "--qmp: the socket path is longer" --qmp "unix:/$(printf 'q%.0s' {1..120})" --listen 127.0.0.1:5930 --disable-ticketing

# Without a ticket, only on loopback (127.0.0.0/8, ::1, names that resolve to nothing else)...
check "--disable-ticketing on 0.0.0.0, not a loopback address" --qmp unix:/q --listen 0.0.0.0:5930 --disable-ticketing
check "--disable-ticketing on ::, not a loopback address" --qmp unix:/q --listen :::5930 --disable-ticketing
check "--disable-ticketing on 192.0.2.1, not a loopback address" --qmp unix:/q --listen 192.0.2.1:5930 --disable-ticketing
# ...unless asked for; a later error shows the policy let these through.
check "TLS options need --tls-port" --qmp unix:/q --listen 0.0.0.0:5930 --disable-ticketing \
    --allow-remote-without-password --tls-channel power
for loopback in 127.0.0.2 ::1 localhost; do
    check "TLS options need --tls-port" --qmp unix:/q --listen $loopback:5930 --disable-ticketing --tls-channel power
done

# The password file: private to its owner, and not empty.
printf 'secret\n' >"$dir/shared"; chmod 644 "$dir/shared"
check "--password-file $dir/shared: readable by group or others (mode 0644)" \
    --qmp unix:/q --listen 127.0.0.1:5930 --password-file "$dir/shared"
printf 'secret\n' >"$dir/group"; chmod 640 "$dir/group"
check "--password-file $dir/group: readable by group or others (mode 0640)" \
    --qmp unix:/q --listen 0.0.0.0:5930 --password-file "$dir/group"
printf '\nsecret\n' >"$dir/empty"; chmod 600 "$dir/empty"
check "--password-file $dir/empty: the password (its first line) is empty" \
    --qmp unix:/q --listen 127.0.0.1:5930 --password-file "$dir/empty"
: >"$dir/nothing"; chmod 600 "$dir/nothing"
check "--password-file $dir/nothing: the password (its first line) is empty" \
    --qmp unix:/q --listen 127.0.0.1:5930 --password-file "$dir/nothing"
check "--password-file $dir: not a regular file" --qmp unix:/q --listen 127.0.0.1:5930 --password-file "$dir"
printf 'secret\n' >"$dir/private"; chmod 600 "$dir/private"
check "TLS options need --tls-port" --qmp unix:/q --listen 0.0.0.0:5930 --password-file "$dir/private" --tls-channel power
exit $fail
