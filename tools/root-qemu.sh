#!/usr/bin/env bash
# Writes OUT, an executable that runs the qemu-system-x86_64 of the Debian root ROOT (made by
# tools/debian-root.sh with the package qemu-system-x86) on this machine: with the root's own
# dynamic loader, libraries, modules and firmware, but the host's file system, so that every path
# a caller passes (QMP sockets, disk images, serial files) stays valid. A chroot would hide them.
#
# usage: tools/root-qemu.sh ROOT OUT
set -euo pipefail
die() { echo "root-qemu: $1" >&2; exit "${2:-1}"; }
[ $# -eq 2 ] || die "usage: tools/root-qemu.sh ROOT OUT" 2
root=$(cd "$1" 2>/dev/null && pwd) || die "no root at '$1'" 2
out=$2
loader=$root/lib64/ld-linux-x86-64.so.2
qemu=$root/usr/bin/qemu-system-x86_64
[ -x "$loader" ] || die "$root has no dynamic loader ($loader): not a Debian root?"
[ -x "$qemu" ] || die "$root has no $qemu: make the root with the package qemu-system-x86"
tmp=$(mktemp "$out.XXXXXX")
cat >"$tmp" <<WRAPPER
#!/bin/sh
# qemu-system-x86_64 of the Debian root $root, written by tools/root-qemu.sh
export QEMU_MODULE_DIR='$root/usr/lib/x86_64-linux-gnu/qemu'
exec '$loader' --library-path '$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu' \\
    '$qemu' -L '$root/usr/share/qemu' -L '$root/usr/share/seabios' "\$@"
WRAPPER
chmod 755 "$tmp"
mv "$tmp" "$out"
"$out" --version | head -n 1
