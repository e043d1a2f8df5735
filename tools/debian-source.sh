# shellcheck shell=sh
# Sourced by the scripts that build Debian source packages with our patch series
# (qemu-harness/spice/build-stack.sh, qemu-harness/qemu/build-qemu.sh, qemu-harness/gtk/build-gtk.sh):
# their messages and command line, how a source package is downloaded and unpacked with Debian's own
# patches, how a series of ours goes on top, and how another release's packages are downloaded
# without touching the machine's apt sources. POSIX sh.

# Messages start with the script's name. die: a failure (exit 1); usage_error: a bad command line
# (exit 2); skip: what cannot be had here, such as another release's sources without network
# (exit 77, ctest's skip); log: progress, on stdout.
DEBIAN_SOURCE_SCRIPT=${0##*/}
EXIT_SKIP=77
die() { echo "$DEBIAN_SOURCE_SCRIPT: $*" >&2; exit 1; }
usage_error() { echo "$DEBIAN_SOURCE_SCRIPT: $*" >&2; exit 2; }
skip() { echo "$DEBIAN_SOURCE_SCRIPT: SKIP: $*" >&2; exit "$EXIT_SKIP"; }
log() { echo "$DEBIAN_SOURCE_SCRIPT: $*"; }

# debian_source_command_line COMMANDS ARGUMENTS [COMMAND [WORK]]: sets cmd to COMMAND, which must
# be one of COMMANDS ("fetch|prepare|..."), and WORK to the absolute path of the work directory WORK
# (created). ARGUMENTS ("WORK [PATCHES]") follow the commands in the usage message.
debian_source_command_line() {
    _commands=$1 _usage="$1 $2"
    cmd=${3:-} WORK=${4:-}
    [ -n "$cmd" ] || usage_error "no command given (usage: $DEBIAN_SOURCE_SCRIPT $_usage)"
    case "|$_commands|" in
    *"|$cmd|"*) [ "${cmd#*|}" = "$cmd" ] || usage_error "unknown command '$cmd' (usage: $DEBIAN_SOURCE_SCRIPT $_usage)" ;;
    *) usage_error "unknown command '$cmd' (usage: $DEBIAN_SOURCE_SCRIPT $_usage)" ;;
    esac
    [ -n "$WORK" ] || usage_error "$cmd: no WORK directory given"
    mkdir -p "$WORK"
    WORK=$(cd "$WORK" && pwd)
}

# need VALUE WHAT: a required argument of command $cmd is there
need() { [ -n "$1" ] || usage_error "$cmd: no $2 given"; }

# debian_source_dsc PACKAGE VERSION: the name of the .dsc apt-get source writes (no epoch in it)
debian_source_dsc() {
    echo "${1}_${2#*:}.dsc"
}

# debian_source_fetch DIR PACKAGE=VERSION...: bookworm's source packages, through the machine's apt
# sources, into DIR (apt-get source --download-only), once per build tree: nothing is downloaded
# when every .dsc is there already.
debian_source_fetch() {
    _dir=$1
    shift
    mkdir -p "$_dir"
    _missing=0
    for _pv in "$@"; do
        [ -f "$_dir/$(debian_source_dsc "${_pv%%=*}" "${_pv#*=}")" ] || _missing=1
    done
    [ "$_missing" = 1 ] || return 0
    command -v apt-get >/dev/null || die "apt-get not found"
    log "downloading $* (needs a deb-src entry for bookworm)"
    (cd "$_dir" && apt-get source --download-only "$@") ||
        die "apt-get source failed: add a 'Types: deb-src' entry for bookworm (./run deps does) and run apt-get update"
    for _pv in "$@"; do
        _dsc=$(debian_source_dsc "${_pv%%=*}" "${_pv#*=}")
        [ -f "$_dir/$_dsc" ] || die "$_dsc missing after download"
    done
}

# debian_source_unpack DSC DEST: pristine upstream plus Debian's debian/patches, in series order,
# into DEST (replaced). The orig tarball dpkg-source leaves beside DEST is removed.
debian_source_unpack() {
    dsc=$1 dest=$2
    rm -rf "$dest"
    mkdir -p "$(dirname "$dest")"
    dpkg-source --skip-patches -x "$dsc" "$dest" >/dev/null 2>&1 || die "dpkg-source -x $(basename "$dsc") failed"
    src_name=$(basename "$dsc")
    rm -f "$(dirname "$dest")/${src_name%%_*}_"*.orig.tar.*
    [ -f "$dest/debian/patches/series" ] || return 0
    # series lines may carry options after the name (-p1); comments and blank lines are skipped
    sed -e 's/#.*//' "$dest/debian/patches/series" | while read -r p _; do
        [ -n "$p" ] || continue
        patch -d "$dest" -p1 -s --no-backup-if-mismatch <"$dest/debian/patches/$p" ||
            die "$(basename "$dest"): Debian patch $p does not apply"
    done
}

# debian_source_series_list SERIESDIR: the patches SERIESDIR/series names, in order, one per line
# (comments and blank lines left out)
debian_source_series_list() {
    grep -v '^[[:space:]]*\(#\|$\)' "$1/series"
}

# debian_source_series_apply DIR SERIESDIR MODE: our patches, in the order of SERIESDIR/series,
# with git apply (MODE apply, or check: also print "ok PATCH" for each). Inside another git work
# tree (a build directory in the project's clone) git apply resolves paths against that tree's top
# and silently skips every hunk outside the current directory: DIR gets a repository of its own.
debian_source_series_apply() {
    dir=$1 sdir=$2 mode=$3
    [ -f "$sdir/series" ] || die "no series file in $sdir"
    sdir=$(cd "$sdir" && pwd) # git -C below runs in another directory
    [ -d "$dir/.git" ] || git -C "$dir" init -q
    debian_source_series_list "$sdir" | while read -r p; do
        [ -f "$sdir/$p" ] || die "series lists $p, which is not in $sdir"
        git -C "$dir" apply --check "$sdir/$p" || die "$(basename "$sdir")/$p does not apply"
        git -C "$dir" apply "$sdir/$p"
        if [ "$mode" = check ]; then echo "ok $(basename "$sdir")/$p"; fi
    done
}

# Another release's packages (sid's spice 0.16.0 for the rebased spice series, trixie's qemu) come
# through an apt configuration of our own in a directory RDIR: sources list, index and cache there,
# so that the machine's apt sources stay as they are. KIND is deb-src (source packages) or deb-all
# (binary packages of architecture all). A release the mirror does not serve is not our failure:
# skip, not die.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian).

# debian_release_apt RDIR KIND PROGRAM ARG...: apt-get or apt-cache on RDIR's KIND index
debian_release_apt() {
    _rdir=$1 _kind=$2 _prog=$3
    shift 3
    "$_prog" -o "Dir::Etc::SourceList=$_rdir/$_kind.list" -o Dir::Etc::SourceParts=/dev/null \
        -o "Dir::State::Lists=$_rdir/lists-$_kind" -o "Dir::Cache=$_rdir/cache" \
        -o Debug::NoLocking=1 "$@"
}

# debian_release_update RELEASE RDIR KIND: downloads RELEASE's KIND index of main (signed by
# Debian's archive key) into RDIR; apt's output goes to RDIR/apt.log
debian_release_update() {
    _release=$1 _rdir=$2 _kind=$3
    _mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
    _keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$_keyring" ] || skip "no $_keyring (Debian package debian-archive-keyring): cannot verify $_release's packages"
    mkdir -p "$_rdir/lists-$_kind/partial" "$_rdir/cache/archives/partial" "$_rdir/dl"
    case $_kind in
    deb-src) echo "deb-src [signed-by=$_keyring] $_mirror $_release main" ;;
    deb-all) echo "deb [signed-by=$_keyring arch=all] $_mirror $_release main" ;;
    *) die "debian_release_update: unknown index kind $_kind" ;;
    esac >"$_rdir/$_kind.list"
    debian_release_apt "$_rdir" "$_kind" apt-get -qq --error-on=any update >>"$_rdir/apt.log" 2>&1 ||
        skip "apt-get update for $_release ($_kind) failed (no network to $_mirror?): see $_rdir/apt.log"
}

# debian_release_newest RDIR KIND PACKAGE [UPSTREAM]: the newest version of PACKAGE (a source
# package for deb-src, a binary one for deb-all) in RDIR's index, or the newest Debian revision
# of upstream version UPSTREAM; empty when there is none
debian_release_newest() {
    _rdir=$1 _kind=$2 _pkg=$3 _upstream=${4:-}
    if [ "$_kind" = deb-src ]; then set -- showsrc --only-source; else set -- show; fi
    debian_release_apt "$_rdir" "$_kind" apt-cache "$@" "$_pkg" 2>>"$_rdir/apt.log" |
        sed -n 's/^Version: //p' | sort -uV |
        while read -r _v; do
            _up=${_v#*:}
            [ -z "$_upstream" ] || [ "${_up%-*}" = "$_upstream" ] && echo "$_v"
        done | tail -n 1
}

# debian_release_download RDIR KIND PACKAGE VERSION: the source package (deb-src: apt-get source
# --download-only) or binary package (deb-all: apt-get download) into RDIR/dl, once: a second call
# finds it there. Prints the .dsc or .deb; returns 1, leaving nothing, when the mirror does not
# serve it.
debian_release_download() {
    _rdir=$1 _kind=$2 _pkg=$3 _version=$4
    case $_kind in
    deb-src) _file=${_pkg}_${_version#*:}.dsc && set -- source --download-only ;;
    *) _file=${_pkg}_${_version#*:}_all.deb && set -- download ;;
    esac
    if [ ! -f "$_rdir/dl/$_file" ]; then
        # into a directory of its own first: a source package is several files, all or none
        rm -rf "$_rdir/dl/.part" && mkdir -p "$_rdir/dl/.part"
        if ! (cd "$_rdir/dl/.part" && debian_release_apt "$_rdir" "$_kind" apt-get -qq "$@" "$_pkg=$_version") \
            >>"$_rdir/apt.log" 2>&1; then
            rm -rf "$_rdir/dl/.part"
            return 1
        fi
        [ -f "$_rdir/dl/.part/$_file" ] || die "$_file missing after download"
        mv "$_rdir/dl/.part/"* "$_rdir/dl/" && rmdir "$_rdir/dl/.part"
    fi
    echo "$_rdir/dl/$_file"
}
