#!/usr/bin/env bash
# Writes OUT, an executable that runs the qemu-system-x86_64 of the Debian root ROOT (made by
# tools/debian-root.sh with the package qemu-system-x86) on this machine: with the root's own
# dynamic loader, libraries, modules and firmware, but the host's file system, so that every path
# a caller passes (QMP sockets, disk images, serial files) stays valid. A chroot would hide them.
# With QEMU, that binary instead: one built inside the root (qemu-harness/qemu/tests/on-release.sh),
# its libraries looked up in each LIBRARY_DIR (our spice-server) before the root's.
#
# usage: tools/root-qemu.sh ROOT OUT [QEMU [LIBRARY_DIR...]]
set -euo pipefail
usage="usage: tools/root-qemu.sh ROOT OUT [QEMU [LIBRARY_DIR...]]"
die() { echo "root-qemu: $1" >&2; exit "${2:-1}"; }
[ $# -ge 2 ] || die "$usage" 2
root=$(cd "$1" 2>/dev/null && pwd) || die "no root at '$1'" 2
out=$2
loader=$root/lib64/ld-linux-x86-64.so.2
qemu=${3:-$root/usr/bin/qemu-system-x86_64}
shift $(($# < 3 ? $# : 3))
libraries=
for dir in "$@"; do
    [ -d "$dir" ] || die "no library directory '$dir'" 2
    libraries+="$(cd "$dir" && pwd):"
done
libraries+="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"
[ -x "$loader" ] || die "$root has no dynamic loader ($loader): not a Debian root?"
[ -x "$qemu" ] || die "no $qemu: make the root with the package qemu-system-x86, or build it"
tmp=$(mktemp "$out.XXXXXX")
cat >"$tmp" <<WRAPPER
#!/bin/sh
# $qemu with the Debian root $root, written by tools/root-qemu.sh
export QEMU_MODULE_DIR='$root/usr/lib/x86_64-linux-gnu/qemu'
exec '$loader' --library-path '$libraries' \\
    '$qemu' -L '$root/usr/share/qemu' -L '$root/usr/share/seabios' "\$@"
WRAPPER
chmod 755 "$tmp"
mv "$tmp" "$out"
"$out" --version | head -n 1
