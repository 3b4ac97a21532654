#!/usr/bin/env bash
# The GitHub workflows (.github/workflows/*.yml, written by projen from .projenrc.ts) checked with
# actionlint, a linter we did not write: workflow syntax, job and step keys, expressions and their
# contexts, action inputs, runner labels, and every `run:` script through shellcheck.
#
#   bash scripts/actionlint.sh
#
# actionlint is built from source with `go install` (the Go module proxy) into
# ~/.cache/cdk-pull-through-cache/actionlint-<version> the first time (about 10 s), then reused.
# Warnings and errors of shellcheck count; its info and style notes are left out: they fall on
# projen's own scripts (unquoted $GITHUB_OUTPUT in the release and self-mutation steps), which
# .projenrc.ts cannot reword.
#
# Ends with "workflow checks passed=N failed=M": one check per workflow file, failed when actionlint
# reports anything in it (or when actionlint cannot be installed: 1 failed).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
VERSION=v1.7.12
CACHE="${CDK_PTC_CACHE:-$HOME/.cache/cdk-pull-through-cache}"
BIN_DIR="$CACHE/actionlint-$VERSION"
ACTIONLINT="$BIN_DIR/actionlint"

fail() {
  echo "actionlint: $1" >&2
  echo "workflow checks passed=0 failed=1"
  exit 1
}

if [[ ! -x $ACTIONLINT ]]; then
  command -v go >/dev/null || fail "go is missing: actionlint is built from source (go install)"
  echo "actionlint: building github.com/rhysd/actionlint $VERSION into $BIN_DIR"
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR.tmp" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" \
    || fail "go install github.com/rhysd/actionlint/cmd/actionlint@$VERSION failed"
  mv "$BIN_DIR.tmp/actionlint" "$ACTIONLINT" && rm -rf "$BIN_DIR.tmp"
fi
command -v shellcheck >/dev/null || fail "shellcheck is missing (bash scripts/ensure-tools.sh installs it)"
"$ACTIONLINT" -version | head -1

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[[ ${#workflows[@]} -gt 0 ]] || fail "no workflow in .github/workflows"
passed=0 failed=0
for workflow in "${workflows[@]}"; do
  if SHELLCHECK_OPTS="--severity=warning" "$ACTIONLINT" -shellcheck shellcheck "$workflow"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "workflow checks passed=$passed failed=$failed"
[[ $failed -eq 0 ]]
