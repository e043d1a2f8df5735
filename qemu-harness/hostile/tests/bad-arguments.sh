#!/usr/bin/env bash
# spp-hostile's command line: bad input gets a one-line error that names the problem and exit
# status 2; --list names every attack.
set -uo pipefail
tool=$1
fail=0
check() {
    local pattern=$1; shift
    local err status
    err=$(timeout 5 "$tool" "$@" 2>&1 >/dev/null); status=$?
    if [ "$status" -ne 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || ! grep -q -- "$pattern" <<<"$err"; then
        echo "FAIL: $* -> status $status: $err"; fail=1
    else
        echo "ok: $* -> $err"
    fi
}
check "Unknown option" --bogus
check "--spice wants HOST:PORT" link_close
check "--spice wants HOST:PORT" --spice 127.0.0.1 link_close
check "--spice wants HOST:PORT" --spice 127.0.0.1:0 link_close
check "--spice wants HOST:PORT" --spice :5930 link_close
check "name at least one attack" --spice 127.0.0.1:5930
check "unknown attack 'nuke'" --spice 127.0.0.1:5930 nuke
check "--password-file:" --spice 127.0.0.1:5930 --password-file /nonexistent/pw link_close
check "--pid 2147483647: no such process" --spice 127.0.0.1:5930 --pid 2147483647 link_close
check "--pid" --spice 127.0.0.1:5930 --pid twelve link_close
check "--rss-limit-mib wants at least 1" --spice 127.0.0.1:5930 --rss-limit-mib 0 link_close
check "--deadline-ms wants at least 1" --spice 127.0.0.1:5930 --deadline-ms -5 link_close

list=$("$tool" --list); status=$?
for attack in link_close link_reset vanish_queued half_open garbage_link unread_flood malformed_power malformed_main; do
    if [ "$status" -ne 0 ] || ! grep -q "^$attack " <<<"$list"; then
        echo "FAIL: --list (status $status) does not name $attack"; fail=1
    fi
done
exit $fail
