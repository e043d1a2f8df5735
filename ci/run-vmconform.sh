#!/usr/bin/env bash
# What the CI templates run (vmconform.gitlab-ci.yml, vmconform.github-workflow.yml): builds
# vmconform from this checkout when it is not built yet, then runs it against the QEMU binaries
# named in VMCONFORM_QEMU (a pipeline's own QEMU build) and writes the JUnit, JSON and HTML reports
# and the TAP stream into REPORT_DIR, for the pipeline to keep as artifacts.
#
# usage: ci/run-vmconform.sh REPORT_DIR [VMCONFORM_ARG...]
# Environment: VMCONFORM_QEMU (space-separated QEMU binaries; default: qemu-system-x86_64 from
# PATH), BUILD_DIR (default: build/ of this checkout). Exit status: vmconform's (0 conformant,
# 1 a case failed, 2 usage or environment), or 2 when the build fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: ci/run-vmconform.sh REPORT_DIR [VMCONFORM_ARG...]" >&2; exit 2; }
reports=$1
shift
build=${BUILD_DIR:-$here/build}
vmconform=$build/conformance/vmconform
if [ ! -x "$vmconform" ]; then
    echo "run-vmconform: building vmconform into $build" >&2
    BUILD_DIR=$build "$here/run" build >&2 || { echo "run-vmconform: the build failed" >&2; exit 2; }
fi
qemus=()
for q in ${VMCONFORM_QEMU:-qemu-system-x86_64}; do
    qemus+=(--qemu "$q")
done
mkdir -p "$reports"
status=0
"$vmconform" "${qemus[@]}" --junit "$reports/vmconform.xml" --json "$reports/vmconform.json" \
    --html "$reports/vmconform.html" "$@" >"$reports/vmconform.tap" || status=$?
grep -E '^(not ok|# target|# total)' "$reports/vmconform.tap" || true
echo "run-vmconform: vmconform exited $status; reports in $reports" >&2
exit "$status"
