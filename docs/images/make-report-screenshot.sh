#!/bin/sh
# Regenerates docs/images/vmconform-report.png: vmconform's HTML report of a few cases (among them
# the two that reveal D2 and D4) on bookworm's QEMU 7.2, trixie's 10.0 and trixie-backports' 11.1,
# as headless Chromium renders it.
#
#   docs/images/make-report-screenshot.sh BUILD_DIR [OUT.png]
#
# BUILD_DIR is a build tree where `CONFORMANCE_RELEASES=trixie,trixie-backports ./run conformance`
# (or ctest conformance.releases) has made the roots. A doc artifact only: CI does not run this.
# Needs (Debian): chromium.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: $0 BUILD_DIR [OUT.png]}
out=${2:-$here/vmconform-report.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for release in trixie trixie-backports; do
    "$here/../../tools/root-qemu.sh" "$build/roots/$release" "$work/qemu-$release" >/dev/null
done
"$build/conformance/vmconform" --qemu qemu-system-x86_64 --qemu "$work/qemu-trixie" \
    --qemu "$work/qemu-trixie-backports" --case 'power.reset_reboots_guest' --case 'power.caps_*' \
    --case 'qmp-power.*' --case 'snapshot.long_tag_is_kept_whole' --case 'snapshot.load_rewinds*' \
    --case 'snapshot.save_of_tag_existing_on_some_devices_fails' --case 'snapshot.save_while_running*' \
    --html "$work/report.html" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
HOME=$work chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,720 \
    --screenshot="$out" "file://$work/report.html" >/dev/null 2>&1
[ -s "$out" ] || { echo "make-report-screenshot: chromium wrote no $out" >&2; exit 1; }
echo "wrote $out"
