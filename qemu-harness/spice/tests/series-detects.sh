#!/bin/sh
# check-release must fail when a patch of the rebased series does not apply, not build, and leave
# the build of the real series as it was. The fixture is a copy of PATCHES whose spice-X.Y series
# carries, in place of PATCH, the form made for Debian bookworm's spice 0.15.1 (PATCHES/spice/),
# which is what a series that was not rebased looks like.
#
# usage: series-detects.sh BUILD_STACK WORK PATCHES RELEASE VERSION PATCH
# Exit 77 (ctest's skip) when check-release cannot fetch the release's sources.
set -eu
me="series-detects.sh"
[ $# -eq 6 ] || { echo "usage: $me BUILD_STACK WORK PATCHES RELEASE VERSION PATCH" >&2; exit 2; }
script=$1 work=$2 patches=$3 release=$4 version=$5 patch=$6
series=spice-${version%.*}
for f in "$patches/spice/$patch" "$patches/$series/$patch"; do
    [ -f "$f" ] || { echo "$me: no $f" >&2; exit 2; }
done
# the same patch in both series would apply and prove nothing
if cmp -s "$patches/spice/$patch" "$patches/$series/$patch"; then
    echo "FAIL: $patch is the same in spice/ and $series/: pick one the rebase changed"
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$patches/spice-protocol" "$patches/$series" "$tmp/"
cp "$patches/spice/$patch" "$tmp/$series/$patch"
stamp=$work/$release-spice-$version/passed.stamp
before=$(cat "$stamp" 2>/dev/null || echo none)

rc=0
"$script" check-release "$work" "$tmp" "$release" "$version" >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"
[ "$rc" -ne 77 ] || exit 77
fail() { echo "FAIL: $*"; exit 1; }
[ "$rc" -ne 0 ] || fail "check-release passed a $series series with the 0.15.1 form of $patch"
grep -qF "$series/$patch does not apply" "$tmp/out" || fail "check-release failed (exit $rc) without naming $series/$patch"
! grep -q "built in" "$tmp/out" || fail "check-release built although $patch did not apply"
[ "$(cat "$stamp" 2>/dev/null || echo none)" = "$before" ] || fail "the stamp of the real series' build changed"
echo "PASS: check-release refuses $series with the 0.15.1 form of $patch (exit $rc), the real build untouched"
