#!/usr/bin/env bash
# Python consumer: install the jsii-built wheel into a fresh venv, synthesize the example app from
# Python (consumers/python/app.py: the reference use case, a Fargate service on containerImage, a
# consumer-account import with the containerd node script, EKS Auto Mode and Fargate with
# kubernetesImageRewrite) and assert on the templates with pytest
# (test_app.py).
set -euo pipefail
CONSUMER=python
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR="$ROOT/consumers/python"
VENV="$DIR/.venv"
# The venv (~500 MB) is deleted when this script ends unless CONSUMERS_KEEP_VENV=1. (package.json's
# `files` allow-list keeps it out of `npm pack`, which every jsii-pacmak target embeds, either way.)
if [[ "${CONSUMERS_KEEP_VENV:-0}" != 1 ]]; then
  trap 'cleanup_temp; rm -rf "$VENV"' EXIT
fi
PYTHON="${PYTHON:-python3}"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in consumers/python
rm -f "$DIR/.result"

wheel() { compgen -G "$DIST/python/cdk_pull_through_cache-*-py3-none-any.whl" | head -n 1 || true; }

log "check: the wheel exists in $DIST/python (built when missing or older than src/)"
if needs_build "$(wheel)"; then
  jsii_compile
  pacmak -v --target python
fi
WHEEL="$(wheel)"
[[ -n "$WHEEL" ]] || die "no wheel in $DIST/python"
echo "wheel: $WHEEL"

if [[ "$CONSUMERS_COLD" == 1 ]]; then make_temp PIP_CACHE_DIR; export PIP_CACHE_DIR; echo "cold: empty pip cache $PIP_CACHE_DIR"; fi

log "check: a fresh venv ($VENV) installs the wheel, aws-cdk-lib==2.257.0 and constructs from PyPI"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" -r "$DIR/requirements.txt" \
  || die "pip install failed"
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
  | grep -Ei '^(cdk-pull-through-cache|aws-cdk-lib|constructs|jsii) ' || true

passed=0 failed=0
log "check: app.py synthesizes the example app (reference use case, Fargate service, consumer account, Lambda from the warmed cache, EKS with images rewritten to the cache)"
if (cd "$DIR" && "$VENV/bin/python" app.py "$DIR/cdk.out"); then passed=$((passed + 1)); else failed=$((failed + 1)); fi

log "check: pytest test_app.py (template assertions, errors surface as Python exceptions)"
JUNIT="$DIR/.pytest-junit.xml"
rm -f "$JUNIT"
set +e
(cd "$DIR" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$JUNIT" test_app.py)
rc=$?
set -e
if [[ -f "$JUNIT" ]]; then
  # pytest's own counts, from its JUnit report.
  read -r tests failures errors skipped < <("$VENV/bin/python" - "$JUNIT" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
s = root if root.tag == "testsuite" else root.find("testsuite")
print(s.get("tests"), s.get("failures"), s.get("errors"), s.get("skipped"))
PY
)
  passed=$((passed + tests - failures - errors - skipped))
  failed=$((failed + failures + errors))
fi
[[ $rc -eq 0 ]] || failed=$((failed > 0 ? failed : 1))
write_result "$passed" "$failed"
echo "python consumer: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || die "$failed check(s) failed"
