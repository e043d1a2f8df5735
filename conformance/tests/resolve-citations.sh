#!/usr/bin/env bash
# Resolves citations against the specs' numbered headings. Reads lines "<where>\t<doc> §<section>\t<text>"
# on stdin — the layout of both `vmconform --list` (where = the case) and `vmconform --list-citations`
# (where = file:line of the VC_REQ) — and fails on the first one that names no heading of <doc>.
# A section is a heading number ("6", "11.8"), optionally with an item of it: "6.9(a)" also needs
# "(a)" in the text under heading 6.9.
# usage: resolve-citations.sh DOCS_DIR [WHAT]   (WHAT names the entries in the closing line)
set -euo pipefail
docs=$1 what=${2:-citations}

# The body of heading $2 in file $1: the lines after it up to the next heading.
section_body() {
    awk -v num="$2" '
        /^#/ { if (inside) exit; inside = $1 ~ /^##(#|##)?$/ && ($2 == num || $2 == num "."); next }
        inside' "$1"
}

count=0
while IFS=$'\t' read -r where cite text; do
    doc=${cite%% *} section=${cite#*§}
    [[ $cite == *" §"* && $section =~ ^([0-9]+(\.[0-9]+)*)(\(([a-z])\))?$ ]] || {
        echo "FAIL: $where cites '$cite', which is not '<doc> §<number>[(<item>)]'"; exit 1; }
    number=${BASH_REMATCH[1]} item=${BASH_REMATCH[3]}
    [ -f "$docs/$doc" ] && grep -qE "^#{2,4} ${number//./\\.}\.? " "$docs/$doc" || {
        echo "FAIL: $where cites $doc §$section, which does not exist"; exit 1; }
    [ -z "$item" ] || grep -qF -- "$item" <<<"$(section_body "$docs/$doc" "$number")" || {
        echo "FAIL: $where cites $doc §$section, which does not exist (no $item under §$number)"; exit 1; }
    [ -n "$text" ] || { echo "FAIL: $where has no summary"; exit 1; }
    count=$((count + 1))
done
echo "$count $what resolve"
