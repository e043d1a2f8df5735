#!/usr/bin/env bash
# --list names every case once, and every citation resolves to a numbered heading of the spec it
# names: each case's (--list) and each VC_REQ compiled into vmconform (--list-citations).
set -euo pipefail
docs=$1
resolve="$(dirname "$0")/resolve-citations.sh"
list=$("$VMCONFORM" --list)
count=$(wc -l <<<"$list")
[ "$count" -ge 40 ] || { echo "FAIL: only $count cases listed"; exit 1; }
[ "$(cut -f1 <<<"$list" | sort | uniq -d)" = "" ] || { echo "FAIL: duplicate case names"; exit 1; }
"$resolve" "$docs" cases <<<"$list"
citations=$("$VMCONFORM" --list-citations)
[ -z "$citations" ] || "$resolve" "$docs" citations <<<"$citations"
[ "$("$VMCONFORM" --list --suite qmp-power | cut -f1 | grep -vc '^qmp-power\.')" -eq 0 ] || { echo "FAIL: --suite filter"; exit 1; }
[ "$("$VMCONFORM" --list --case '*load_rewinds*' | wc -l)" -eq 1 ] || { echo "FAIL: --case filter"; exit 1; }
echo "list: $count cases and $(grep -c . <<<"$citations") VC_REQ citations, every citation resolves"
