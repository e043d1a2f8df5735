#!/usr/bin/env bash
# The CI templates hold together: both parse as YAML, keep the reports where they say, and the
# commands of the GitLab job's script run here as a pipeline would run them (this checkout in place
# of the clone, the smoke subset against the host's QEMU) and leave a valid JUnit report, the JSON
# and the HTML report in the report directory.
# usage: templates.sh PROJECT_SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$src/ci" "$work/script.sh" <<'PY'
import sys, yaml
ci, out = sys.argv[1], sys.argv[2]
gl = yaml.safe_load(open(f"{ci}/vmconform.gitlab-ci.yml"))
job = gl[".vmconform"]
assert any("ci/run-vmconform.sh" in line for line in job["script"]), job["script"]
assert job["artifacts"]["when"] == "always"
assert job["artifacts"]["reports"]["junit"] == "vmconform-reports/vmconform.xml"
assert "vmconform-reports/" in job["artifacts"]["paths"]
assert job["variables"]["VMCONFORM_REPORTS"] == "$CI_PROJECT_DIR/vmconform-reports"
gh = yaml.safe_load(open(f"{ci}/vmconform.github-workflow.yml"))
on = gh.get("on", gh.get(True))          # YAML 1.1 reads a bare `on` as true
assert "workflow_call" in on, on
steps = gh["jobs"]["vmconform"]["steps"]
assert any("ci/run-vmconform.sh" in s.get("run", "") for s in steps), steps
assert any(s.get("uses", "").startswith("actions/upload-artifact") and s.get("if") == "always()" for s in steps)
with open(out, "w") as f:
    f.write("set -e\n" + "\n".join(job["script"]) + "\n")
PY
# the job's script as GitLab runs it, with this checkout where the template clones spicepower
sed -i "s|/opt/spicepower|$src|g" "$work/script.sh"
mkdir "$work/project"
status=0
(cd "$work/project" && CI_PROJECT_DIR="$work/project" VMCONFORM_REPORTS="$work/project/vmconform-reports" \
    VMCONFORM_QEMU=qemu-system-x86_64 VMCONFORM_ARGS="--smoke" BUILD_DIR="$build" bash "$work/script.sh") \
    >"$work/out" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$work/out"; echo "FAIL: the GitLab job's script exited $status"; exit 1; }
reports=$work/project/vmconform-reports
for f in vmconform.xml vmconform.json vmconform.html vmconform.tap; do
    [ -s "$reports/$f" ] || { ls -la "$reports"; echo "FAIL: no $f among the artifacts"; exit 1; }
done
xmllint --noout --schema "$src/conformance/tests/junit.xsd" "$reports/vmconform.xml" ||
    { echo "FAIL: the JUnit artifact is not valid"; exit 1; }
echo "templates: both parse; the GitLab job's script ran the smoke subset and left valid reports"
