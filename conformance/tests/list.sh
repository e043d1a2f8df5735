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
# --exclude applies after --case and --suite; excluding everything is "no case matches" (exit 2)
power=$("$VMCONFORM" --list --suite power | wc -l)
[ "$("$VMCONFORM" --list --suite power --exclude 'power.*' --case '*' 2>/dev/null | wc -l)" -eq 0 ] || { echo "FAIL: --exclude of a whole suite"; exit 1; }
status=0; "$VMCONFORM" --list --suite power --exclude 'power.*' >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || { echo "FAIL: a selection emptied by --exclude exits $status, not 2"; exit 1; }
[ "$("$VMCONFORM" --list --suite power --exclude '*load_rewinds*' | wc -l)" -eq "$power" ] || { echo "FAIL: --exclude of another suite's case changed the power suite"; exit 1; }
one=$("$VMCONFORM" --list --suite power | head -1 | cut -f1)
[ "$("$VMCONFORM" --list --suite power --exclude "$one" | wc -l)" -eq $((power - 1)) ] || { echo "FAIL: --exclude $one"; exit 1; }
[ "$("$VMCONFORM" --list --suite power --exclude "${one#power.}" | wc -l)" -eq $((power - 1)) ] || { echo "FAIL: --exclude by bare name"; exit 1; }
echo "list: $count cases and $(grep -c . <<<"$citations") VC_REQ citations, every citation resolves"
