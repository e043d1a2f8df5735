#!/bin/sh
# build-qemu.sh check refuses a series that QEMU's scripts/checkpatch.pl objects to: a copy of the
# series with a C99 comment planted on one added line (the line count stays, so it still applies)
# must fail, naming the patch; the series as it is must pass (qemu-patches-apply).
# usage: checkpatch-catches.sh BUILD_QEMU_SH WORK PATCHES
set -eu
# shellcheck source=SCRIPTDIR/../../../tools/debian-source.sh
. "$(dirname "$0")/../../../tools/debian-source.sh"
script=$1 work=$2 patches=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$patches" "$tmp/series"
first=$(debian_source_series_list "$tmp/series" | head -n 1)
# the first added line of C code that ends in ';'
line=$(grep -n '^+    .*;$' "$tmp/series/$first" | head -n 1 | cut -d: -f1)
[ -n "$line" ] || { echo "FAIL: no added C line in $first"; exit 1; }
sed -i "${line}s|\$| // planted|" "$tmp/series/$first"
status=0
"$script" check "$work" "$tmp/series" >"$tmp/out" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
    cat "$tmp/out"
    echo "FAIL: a series with a C99 comment passed the check"
    exit 1
fi
grep -q "checkpatch.pl of qemu objects to series/$first" "$tmp/out" || {
    cat "$tmp/out"
    echo "FAIL: the check failed, but not on checkpatch's objection to $first"
    exit 1
}
echo "checkpatch-catches: a planted C99 comment in $first is refused (exit $status)"
