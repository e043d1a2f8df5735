# Sourced by the scripts that build Debian source packages with our patch series
# (qemu-harness/spice/build-stack.sh, qemu-harness/qemu/build-qemu.sh): how a source package is
# unpacked with Debian's own patches, and how a series of ours goes on top. POSIX sh. The caller
# defines die MESSAGE (prints it and exits non-zero).

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

# debian_source_series_apply DIR SERIESDIR MODE: our patches, in the order of SERIESDIR/series,
# with git apply (MODE apply, or check: also print "ok PATCH" for each). Inside another git work
# tree (a build directory in the project's clone) git apply resolves paths against that tree's top
# and silently skips every hunk outside the current directory: DIR gets a repository of its own.
debian_source_series_apply() {
    dir=$1 sdir=$2 mode=$3
    [ -f "$sdir/series" ] || die "no series file in $sdir"
    sdir=$(cd "$sdir" && pwd) # git -C below runs in another directory
    [ -d "$dir/.git" ] || git -C "$dir" init -q
    grep -v '^[[:space:]]*\(#\|$\)' "$sdir/series" | while read -r p; do
        [ -f "$sdir/$p" ] || die "series lists $p, which is not in $sdir"
        git -C "$dir" apply --check "$sdir/$p" || die "$(basename "$sdir")/$p does not apply"
        git -C "$dir" apply "$sdir/$p"
        if [ "$mode" = check ]; then echo "ok $(basename "$sdir")/$p"; fi
    done
}
