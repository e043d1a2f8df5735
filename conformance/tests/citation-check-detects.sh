#!/usr/bin/env bash
# The citation check can fail: with a cited heading renumbered in a copy of docs/, list.sh fails naming
# the case, and the resolver it runs on --list-citations fails naming the citation's file:line. Proven
# for a case of the registry, for the citation fixture's VC_REQ, and for vmconform's own VC_REQ once it
# has any.
set -uo pipefail
docs=$1
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Copies docs/ to $work/docs and renumbers the heading that the citation "<where>\t<doc> §<section>\t..."
# cites; prints the message the check must give.
break_citation() {
    local where cite doc section number
    IFS=$'\t' read -r where cite _ <<<"$1"
    doc=${cite%% *} section=${cite#*§} number=${section%%(*}
    rm -rf "$work/docs" && cp -r "$docs" "$work/docs"
    sed -i -E "s/^(#{2,4}) ${number//./\\.}(\.?) /\1 9${number}\2 /" "$work/docs/$doc"
    ! cmp -s "$docs/$doc" "$work/docs/$doc" || { echo "FAIL: found no heading §$number in $doc to renumber" >&2; exit 1; }
    echo "FAIL: $where cites $doc §$section, which does not exist"
}

expect_failure() {
    local what=$1 expected=$2; shift 2
    local out status=0
    out=$("$@" 2>&1) || status=$?
    if [ "$status" -eq 0 ] || ! grep -qF -- "$expected" <<<"$out"; then
        echo "FAIL: $what: status $status, expected '$expected', got: $out"; exit 1
    fi
    echo "ok: $what -> $expected"
}

expected=$(break_citation "$("$VMCONFORM" --list | head -1)") || exit 1
expect_failure "list.sh with a case's heading renumbered" "$expected" "$here/list.sh" "$work/docs"

expected=$(break_citation "$("$CITATION_FIXTURE" list | head -1)") || exit 1
expect_failure "the fixture's VC_REQ with its heading renumbered" "$expected" \
    bash -c '"$CITATION_FIXTURE" list | "$1" "$2"' _ "$here/resolve-citations.sh" "$work/docs"

first=$("$VMCONFORM" --list-citations | head -1)
if [ -n "$first" ]; then
    expected=$(break_citation "$first") || exit 1
    expect_failure "vmconform's VC_REQ with its heading renumbered" "$expected" \
        bash -c '"$VMCONFORM" --list-citations | "$1" "$2"' _ "$here/resolve-citations.sh" "$work/docs"
fi
echo "citation check: a renumbered heading fails naming the citation"
