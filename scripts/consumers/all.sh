#!/usr/bin/env bash
# Run every language consumer (python, go, java; CONSUMERS_LANGS="python go" to choose), print each
# one's wall time, check that all languages synthesized the same template, and end with
# "consumer checks passed=N failed=M" (its last line, also when the packages fail to build).
# No line of this script's own has the form "N passed, M failed": that is CI's closing line
# (.ci/run), which must be the only one.
#
# Counting: each language contributes the test runner's own counts (pytest / go test / surefire test
# cases) plus one check per step the script runs itself (the app synthesizes and prints its summary;
# for Go also "the CDK CLI reads the assembly"). A language whose script fails before writing its
# counts (build or install failure) counts as 1 failed. The cross-language template comparison is
# one more check.
set -euo pipefail
CONSUMER=all
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LANGS=(${CONSUMERS_LANGS:-python go java})

# Build every package from one jsii compile, so that all languages test the same library even while
# src/ changes, and with one `npm pack` per jsii-pacmak run (it is most of a run's time). Go is
# generated separately: only code (see consumers/go/go.mod), and --code-only applies to all targets.
# CONSUMERS_REBUILD=never skips this and uses dist/ as it is.
if [[ "$CONSUMERS_REBUILD" != never ]]; then
  if [[ "$CONSUMERS_COLD" == 1 && -z "${CONSUMERS_M2_REPO:-}" ]]; then
    make_temp CONSUMERS_M2_REPO; echo "cold: empty Maven repository $CONSUMERS_M2_REPO"
  fi
  export CONSUMERS_M2_REPO="${CONSUMERS_M2_REPO:-$HOME/.m2/repository}"
  start=$(date +%s)
  targets=()
  for lang in "${LANGS[@]}"; do [[ $lang == python || $lang == java ]] && targets+=(--target "$lang"); done
  if ! (
    jsii_compile
    if [[ ${#targets[@]} -gt 0 ]]; then pacmak -v "${targets[@]}" --maven-local-repository="$CONSUMERS_M2_REPO"; fi
    if [[ " ${LANGS[*]} " == *" go "* ]]; then pacmak -v --target go --code-only; fi
  ); then
    echo "consumer checks passed=0 failed=1"
    exit 1
  fi
  echo "packages built in $(( $(date +%s) - start ))s"
  export CONSUMERS_REBUILD=never
fi

total_passed=0 total_failed=0
declare -A wall status
for lang in "${LANGS[@]}"; do
  script="$ROOT/scripts/consumers/$lang.sh"
  [[ -f "$script" ]] || { echo "no consumer script $script" >&2; echo "consumer checks passed=0 failed=1"; exit 2; }
  rm -f "$ROOT/consumers/$lang/.result"
  printf '\n######## %s consumer ########\n' "$lang"
  start=$(date +%s%N)
  if bash "$script"; then status[$lang]=ok; else status[$lang]=FAILED; fi
  # Wall time in tenths of a second, with bash arithmetic only (no bc on a fresh machine).
  tenths=$(( ($(date +%s%N) - start) / 100000000 ))
  wall[$lang]="$((tenths / 10)).$((tenths % 10))"
  if [[ -f "$ROOT/consumers/$lang/.result" ]]; then
    read -r p f < "$ROOT/consumers/$lang/.result"
  else
    p=0 f=1
  fi
  total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
  status[$lang]="${status[$lang]} (passed=$p failed=$f)"
done

# The same app in every language must synthesize the same reference template (the stack name
# differs, and is replaced before comparing). Only the reference stack is compared: the apps' other stacks (Fargate service, consumer
# account) have the stack name in logical IDs, task families and tags, and are asserted by each
# language's tests instead.
printf '\n######## cross-language ########\n'
declare -A templates=(
  [python]="$ROOT/consumers/python/cdk.out/PullThroughCachePython.template.json"
  [go]="$ROOT/consumers/go/cdk.out/PullThroughCacheGo.template.json"
  [java]="$ROOT/consumers/java/target/cdk.out/PullThroughCacheJava.template.json"
)
files=()
for lang in "${LANGS[@]}"; do
  [[ "${status[$lang]}" == ok* && -f "${templates[$lang]:-}" ]] && files+=("${templates[$lang]}")
done
if [[ ${#files[@]} -ge 2 ]]; then
  echo "check: the templates of ${#files[@]} languages are identical"
  if python3 - "${files[@]}" <<'PY'
import json, os, sys

def load(path):
    # The stack name (the file's base name, PullThroughCache<Language>) appears in descriptions and
    # the dashboard's text: compare the templates with it replaced.
    name = os.path.basename(path).split(".")[0]
    return json.loads(open(path).read().replace(name, "<stack>"))

first, *rest = sys.argv[1:]
base = load(first)
bad = [p for p in rest if load(p) != base]
for p in bad:
    print(f"  differs from {first}: {p}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  then total_passed=$((total_passed + 1)); echo "ok"; else total_failed=$((total_failed + 1)); fi
else
  echo "skipped: fewer than 2 languages synthesized a template"
fi

printf '\n######## summary ########\n'
for lang in "${LANGS[@]}"; do
  printf '%-7s %7ss  %s\n' "$lang" "${wall[$lang]}" "${status[$lang]}"
done
echo "consumer checks passed=$total_passed failed=$total_failed"
[[ $total_failed -eq 0 ]]
