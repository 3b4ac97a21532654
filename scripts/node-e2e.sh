#!/usr/bin/env bash
# The node end-to-end test (test/node-e2e): write the boot scripts of the fixture caches with the
# library, then run the Go test that runs them as root in a mount namespace and pulls through a
# fake ECR with containerd's own resolver. Needs root, unshare, shellcheck and systemd-analyze.
# Prints go test's own output, then "node e2e checks passed=N failed=M" (N, M count the
# PASS/FAIL lines of tests and subtests) and the wall time; exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
start=$(date +%s)
fixtures=$(mktemp -d)
out=$(mktemp)
trap 'rm -rf "$fixtures" "$out"' EXIT

status=0
for tool in unshare shellcheck systemd-analyze; do
  if ! command -v "$tool" >/dev/null; then
    echo "node e2e: $tool is missing (apt-get install shellcheck systemd util-linux)" >&2
    status=1
  fi
done
if [[ $status -eq 0 ]]; then
  ts-node scripts/node-e2e-fixtures.ts "$fixtures" || status=1
fi
if [[ $status -eq 0 ]]; then
  (cd test/node-e2e && NODE_E2E_FIXTURES="$fixtures" go test -count=1 -timeout 5m -v ./...) 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
fi

passed=$(grep -cE '^\s*--- PASS: ' "$out")
failed=$(grep -cE '^\s*--- FAIL: ' "$out")
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "node e2e wall time: $(($(date +%s) - start))s"
echo "node e2e checks passed=$passed failed=$failed"
exit "$status"
