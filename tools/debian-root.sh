#!/usr/bin/env bash
# Makes (once) a Debian root of another release with debootstrap from Debian's mirror, and installs the
# named packages into it. The project uses such roots to build and test against other releases'
# Wireshark and QEMU, built and run inside the root (tools/in-debian-root.sh; tools/README.md).
#
# usage: tools/debian-root.sh DIR RELEASE [PACKAGE...]
#   RELEASE: bookworm, trixie, trixie-backports (trixie plus its backports, which packages come from
#            first) or sid.
#
# A second run with the same release and packages already installed costs nothing: DIR/.spicepower-root
# records what was made. Other packages are installed into the existing root. Runs as root (debootstrap
# and chroot need it); concurrent runs on one DIR wait for each other.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

die() { echo "debian-root: $1" >&2; exit "${2:-1}"; }

[ $# -ge 2 ] || die "usage: tools/debian-root.sh DIR RELEASE [PACKAGE...]" 2
dir=$1 release=$2
shift 2
case "$release" in
    bookworm | trixie | sid) suite=$release backports= ;;
    trixie-backports) suite=trixie backports=trixie-backports ;;
    *) die "unknown release '$release' (known: bookworm, trixie, trixie-backports, sid)" 2 ;;
esac
for pkg in "$@"; do
    [[ "$pkg" =~ ^[a-z0-9][a-z0-9.+-]*$ ]] || die "'$pkg' is not a Debian package name" 2
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)" 2
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
stamp="$dir/.spicepower-root"

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9

# The packages the stamp says are in the root already; none when there is no root yet.
recorded_packages() {
    [ -f "$stamp" ] || return 0
    sed -n 's/^package=//p' "$stamp"
}

if [ -f "$stamp" ]; then
    made=$(sed -n 's/^release=//p' "$stamp")
    [ "$made" = "$release" ] || die "$dir holds a $made root, not $release: remove it or use another directory" 2
fi
missing=()
for pkg in "$@"; do
    recorded_packages | grep -qxF "$pkg" || missing+=("$pkg")
done
if [ -f "$stamp" ] && [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

started=$(date +%s)
# A command in the root, run by in-debian-root.sh (its own mount namespace: nothing stays mounted
# on the host, however the command ends).
in_root() {
    "$(dirname "$0")/in-debian-root.sh" "$dir" --env DEBIAN_FRONTEND=noninteractive -- "$@"
}

if [ ! -f "$stamp" ]; then
    rm -rf "$dir"
    echo "debian-root: debootstrap $suite into $dir" >&2
    debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$dir.debootstrap.log" 2>&1 \
        || die "debootstrap $suite failed; its log: $dir.debootstrap.log"
    # testing's and sid's Release files on the mirror may be past their Valid-Until date
    echo 'Acquire::Check-Valid-Until "false";' >"$dir/etc/apt/apt.conf.d/90spicepower-valid-until"
    # no service of the root starts during installs
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
    chmod 0755 "$dir/usr/sbin/policy-rc.d"
    {
        echo "deb $mirror $suite main"
        [ -z "$backports" ] || echo "deb $mirror $backports main"
    } >"$dir/etc/apt/sources.list"
    printf 'release=%s\n' "$release" >"$stamp.partial"
else
    cp "$stamp" "$stamp.partial"
fi

if [ ${#missing[@]} -gt 0 ]; then
    in_root apt-get update -qq || die "apt-get update in the $release root failed"
    echo "debian-root: installing into the $release root:" "${missing[@]}" >&2
    in_root apt-get install -y -qq --no-install-recommends ${backports:+-t "$backports"} "${missing[@]}" </dev/null \
        >"$dir.apt.log" 2>&1 || die "installing ${missing[*]} in the $release root failed; its log: $dir.apt.log"
    in_root apt-get clean
    printf 'package=%s\n' "${missing[@]}" >>"$stamp.partial"
fi
mv "$stamp.partial" "$stamp"
echo "debian-root: $release root ready in $dir ($(($(date +%s) - started)) s)" >&2
