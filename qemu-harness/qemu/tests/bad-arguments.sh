#!/usr/bin/env bash
# build-qemu.sh's bad command lines: a one-line error that names the problem, and exit status 2,
# before anything is downloaded or written.
set -uo pipefail
script=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() {
    local pattern=$1; shift
    local err status
    err=$(timeout 10 "$script" "$@" 2>&1 >/dev/null); status=$?
    if [ "$status" -ne 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || ! grep -q -- "$pattern" <<<"$err"; then
        echo "FAIL: $* -> status $status: $err"; fail=1
    else
        echo "ok: $* -> $err"
    fi
}
check "no command given"
check "unknown command 'bogus'" bogus "$work"
check "unknown command 'fetch|prepare'" 'fetch|prepare' "$work"
check "check: no WORK directory given" check
check "prepare: no PATCHES directory given" prepare "$work"
check "build: no SPICE_PREFIX given" build "$work"
check "check-release: no RELEASE given" check-release "$work" /patches
check "'tri xie' is not a Debian release name" check-release "$work" /patches "tri xie"
check "prepare-release: no RELEASE given" prepare-release "$work" /patches
check "'../x' is not a Debian release name" prepare-release "$work" /patches ../x
check "newest-release: no RELEASE given" newest-release "$work"
check "'Tri' is not a Debian release name" newest-release "$work" Tri
if [ -n "$(ls -A "$work")" ]; then
    echo "FAIL: bad command lines wrote into WORK: $(ls -A "$work")"; fail=1
fi
exit $fail
