#!/usr/bin/env bash
# Runs a command inside a root made by tools/debian-root.sh, with /proc, /dev and the given host
# directories mounted, in a mount namespace of its own: the mounts vanish with the command, whatever
# way it ends, and never show on the host.
#
# usage: tools/in-debian-root.sh DIR [--bind HOST_DIR:ROOT_DIR[:ro]]... -- COMMAND [ARG...]
# The command runs as root with a clean environment (PATH, HOME=/root, LANG=C.UTF-8), plus every
# VAR=value given as --env VAR=value.
set -euo pipefail

die() { echo "in-debian-root: $1" >&2; exit "${2:-1}"; }

[ $# -ge 1 ] || die "usage: tools/in-debian-root.sh DIR [--bind HOST:ROOT[:ro]]... [--env VAR=value]... -- COMMAND..." 2
dir=$1
shift
# The stamp, or while debian-root.sh installs packages, the stamp it is writing.
[ -f "$dir/.spicepower-root" ] || [ -f "$dir/.spicepower-root.partial" ] \
    || die "$dir is not a root made by tools/debian-root.sh" 2
[ "$(id -u)" -eq 0 ] || die "needs root (mount namespaces and chroot)" 2
binds=() envs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case "$1" in
        --bind) [ $# -ge 2 ] || die "--bind needs HOST_DIR:ROOT_DIR" 2; binds+=("$2"); shift 2 ;;
        --env) [[ "${2:-}" == *=* ]] || die "--env needs VAR=value" 2; envs+=("$2"); shift 2 ;;
        *) die "unknown option '$1'" 2 ;;
    esac
done
[ "${1:-}" = "--" ] && [ $# -ge 2 ] || die "no command given after --" 2
shift

# The mount script runs in the new namespace; private propagation keeps every mount out of the host's.
mounts="mount --make-rprivate / && mount -t proc proc '$dir/proc' && mount --rbind /dev '$dir/dev'"
for spec in "${binds[@]}"; do
    IFS=: read -r host inside mode <<<"$spec"
    [ -d "$host" ] || die "--bind: $host is not a directory" 2
    [[ "$inside" == /* ]] || die "--bind: $inside must be an absolute path inside the root" 2
    mkdir -p "$dir$inside"
    mounts+=" && mount --bind '$host' '$dir$inside'"
    [ "${mode:-}" != ro ] || mounts+=" && mount -o remount,bind,ro '$dir$inside'"
done
exec unshare --mount -- /bin/sh -c "$mounts && exec chroot '$dir' /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \"\$@\"" in-debian-root "${envs[@]}" "$@"
