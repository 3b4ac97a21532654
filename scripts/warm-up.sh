#!/usr/bin/env bash
# The CachedImages warm-up against real registries (test/warm-up, a Go module): the handler's
# compiled pulling code (lib/warm-up/private/handler/pull.js) runs with node against a CNCF distribution
# registry configured as a pull-through proxy of a second one, on loopback. Needs go and node;
# compiles the library first when lib/ is older than src/.
# Prints go test's own output and the measured figures (MEASURE lines), then, last,
# "warm-up checks passed=N failed=M" (N, M count the PASS/FAIL lines of tests and subtests);
# exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
start=$(date +%s)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

status=0
for tool in go node; do
  if ! command -v "$tool" >/dev/null; then
    echo "warm-up: $tool is missing" >&2
    status=1
  fi
done
pull=lib/warm-up/private/handler/pull.js
if [[ $status -eq 0 ]] && { [[ ! -f $pull ]] || [[ -n $(find src/warm-up/private/handler -newer "$pull" -name '*.ts') ]]; }; then
  npx jsii --silence-warnings=reserved-word || status=1
fi
if [[ $status -eq 0 ]]; then
  (cd test/warm-up && GOFLAGS=-mod=mod WARM_UP_PULL_JS="$PWD/../../$pull" go test -count=1 -timeout 10m -v ./...) 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
fi

passed=$(grep -cE '^\s*--- PASS: ' "$out")
failed=$(grep -cE '^\s*--- FAIL: ' "$out")
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "warm-up wall time: $(($(date +%s) - start))s"
echo "warm-up checks passed=$passed failed=$failed"
exit "$status"
