#!/usr/bin/env bash
# Every numbered section of the specs that states a requirement (MUST, MUST NOT, SHOULD, SHOULD NOT,
# REQUIRED, SHALL) has a case or a VC_REQ citing it, or is listed in conformance/untestable.txt with
# the reason it cannot be checked from outside. Prints the uncovered sections and fails on any.
# usage: coverage.sh DOCS_DIR UNTESTABLE_FILE   (VMCONFORM in the environment)
set -euo pipefail
docs=$1 untestable=$2

# "<doc> <section>" for every heading whose own text (up to the next heading) states a requirement
requirement_sections() {
    local doc
    for doc in power-channel.md snapshot-jobs.md; do
        awk -v doc="$doc" '
            /^###?#? [0-9]/ { if (sec != "" && req) print doc, sec; sec = $2; sub(/\.$/, "", sec); req = 0; next }
            /^#/ { if (sec != "" && req) print doc, sec; sec = ""; req = 0; next }
            sec != "" && /(^|[^A-Za-z])(MUST|SHOULD|REQUIRED|SHALL)([^A-Za-z]|$)/ { req = 1 }
            END { if (sec != "" && req) print doc, sec }' "$docs/$doc"
    done
}

# "<doc> <section>" for every citation of a case or a VC_REQ, items like 6.9(a) counted for 6.9
cited_sections() {
    { "$VMCONFORM" --list; "$VMCONFORM" --list-citations; } | cut -f2 |
        sed -n 's/^\([^ ]*\) §\([0-9.]*[0-9]\).*/\1 \2/p' | sort -u
}

# "<doc> <section>" listed as not testable from outside, each with a reason
listed_untestable() {
    { grep -v '^[[:space:]]*\(#\|$\)' "$untestable" || true; } | while IFS=$'\t' read -r where reason; do
        [ -n "${reason:-}" ] || { echo "FAIL: $untestable: '$where' has no reason" >&2; exit 1; }
        sed 's/ §/ /' <<<"$where"
    done
}

required=$(requirement_sections | sort -u)
covered=$( (cited_sections; listed_untestable) | sort -u)
missing=$(comm -23 <(echo "$required") <(echo "$covered"))
total=$(grep -c . <<<"$required")
if [ -n "$missing" ]; then
    echo "FAIL: $(grep -c . <<<"$missing") of $total sections with a requirement have no case, no VC_REQ and no entry in untestable.txt:"
    sed 's/^\([^ ]*\) /  \1 §/' <<<"$missing"
    exit 1
fi
stale=$(comm -13 <(echo "$required") <(listed_untestable | sort -u))
[ -z "$stale" ] || { echo "FAIL: untestable.txt lists sections that state no requirement:"; echo "$stale"; exit 1; }
echo "coverage: all $total sections with a requirement are cited by a case or listed as untestable"
