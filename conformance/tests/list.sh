#!/usr/bin/env bash
# --list names every case once and cites a section that exists in the spec it names.
set -euo pipefail
docs=$1
list=$("$VMCONFORM" --list)
count=$(wc -l <<<"$list")
[ "$count" -ge 40 ] || { echo "FAIL: only $count cases listed"; exit 1; }
[ "$(cut -f1 <<<"$list" | sort | uniq -d)" = "" ] || { echo "FAIL: duplicate case names"; exit 1; }
while IFS=$'\t' read -r id cite summary; do
    doc=${cite%% *}; section=${cite#*§}
    grep -qE "^#{2,4} ${section//./\\.}\.? " "$docs/$doc" || { echo "FAIL: $id cites $doc §$section, which does not exist"; exit 1; }
    [ -n "$summary" ] || { echo "FAIL: $id has no summary"; exit 1; }
done <<<"$list"
[ "$("$VMCONFORM" --list --suite qmp-power | cut -f1 | grep -vc '^qmp-power\.')" -eq 0 ] || { echo "FAIL: --suite filter"; exit 1; }
[ "$("$VMCONFORM" --list --case '*load_rewinds*' | wc -l)" -eq 1 ] || { echo "FAIL: --case filter"; exit 1; }
echo "list: $count cases, every citation resolves"
