#!/usr/bin/env bash
# Lint the CloudFormation of every configuration in the matrix (test/support/matrix.ts, and the
# stacks that need a newer aws-cdk-lib than the floor: test/support/linted-matrix.ts) with cfn-lint, a
# linter we did not write, checking every resource against the CloudFormation resource schemas.
#
#   bash scripts/cfn-lint.sh
#
# - creates (or reuses) a virtualenv in .venv/ (gitignored) with a pinned cfn-lint;
# - synthesizes the matrix with scripts/synth-matrix.ts into a temporary directory;
# - lints every template for the regions below; fails on any error (cfn-lint exit bit 2).
#   Warnings and informational findings are printed but do not fail the run.
#
# Expected warnings: W3005 on a rule's DependsOn its ECR upstream role. The GetAtt orders the rule
# after the role, but not after the role's policies, which ECR checks when the rule is created;
# depending on the role construct also covers policies added to it after the cache. And W3005 on a
# Lambda function's DependsOn its service role (aws-cdk-lib's lambda.Function adds it; the
# CachedImages handler, the Provider framework and the matrix's function from the cache). The
# Kubernetes example (test/support/linted-matrix.ts) adds aws-eks-v2's own: the cluster's DependsOn the
# subnets it Refs, and its kubectl provider functions' DependsOn their service roles.
#
# No finding is ignored: cfn-lint 1.58.0's schemas know every property we render
# (ImageTagMutabilityExclusionFilters, EncryptionType KMS_DSSE, CustomRoleArn,
# UpstreamRepositoryPrefix, ...). If a future schema lags behind a property, ignore that one
# rule for that one resource with a cfn-lint `Metadata` override or `--ignore-checks`, and say
# why here.
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
VENV=.venv
REGIONS=(us-east-1 eu-west-1)

if ! "$VENV/bin/cfn-lint" --version 2>/dev/null | grep -qx "cfn-lint ${CFN_LINT_VERSION}"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==${CFN_LINT_VERSION}"
fi
"$VENV/bin/cfn-lint" --version

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=1 npx --no-install ts-node scripts/synth-matrix.ts "$out"

shopt -s nullglob
# The matrix (stage stacks copied up to the top directory), and the committed integ snapshots,
# which integ-runner keeps current (their assertion stacks included).
templates=("$out"/*.template.json test/*.snapshot/*.template.json)
if [ "${#templates[@]}" -eq 0 ]; then
  echo "no template was synthesized" >&2
  exit 1
fi

# cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational, 1 = crash.
set +e
findings=$("$VENV/bin/cfn-lint" --format parseable --regions "${REGIONS[@]}" -- "${templates[@]}")
status=$?
set -e
if [ -n "$findings" ]; then
  echo "$findings" | sed "s#^$out/##"
fi
count() { if [ -z "$findings" ]; then echo 0; else echo "$findings" | awk -F: -v p="$1" '$6 ~ "^" p' | wc -l; fi; }
errors=$(count E)
warnings=$(count W)
infos=$(count I)
echo "cfn-lint ${CFN_LINT_VERSION}: linted ${#templates[@]} templates (regions ${REGIONS[*]}): ${errors} errors, ${warnings} warnings, ${infos} informational"
if (( status & 1 )) || (( status & 2 )); then
  echo "cfn-lint failed (exit code $status)" >&2
  exit 1
fi
