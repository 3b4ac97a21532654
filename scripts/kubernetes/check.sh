#!/usr/bin/env bash
# The Kubernetes image rewrite under Kyverno's own engine: build the Kyverno CLI from source when
# it is not cached (github.com/kyverno/kyverno through the Go module proxy; `go install` refuses the
# module because of its replace directives, so ./cmd/cli/kubectl-kyverno is built inside the
# module's source as the main module: about 10 to 16 minutes on 2 cores, a 400 MB binary), then
# run scripts/kubernetes/rewrite-check.ts, which ends with "kubernetes checks passed=N failed=M".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
start=$(date +%s)
version=v1.19.1
cache=${CDK_PTC_CACHE:-$HOME/.cache/cdk-pull-through-cache}
kyverno=$cache/kyverno-$version
src=$cache/kyverno-src-$version
work=${TMPDIR:-/tmp}/cdk-ptc-kubernetes-$$

fail() {
  echo "kubernetes: $1" >&2
  echo "kubernetes checks passed=0 failed=1"
  exit 1
}

if [[ ! -x $kyverno ]]; then
  command -v go >/dev/null || fail "go is missing: the Kyverno CLI is built from source"
  mkdir -p "$cache"
  if [[ ! -f $src/go.mod ]]; then
    echo "kubernetes: downloading github.com/kyverno/kyverno@$version"
    mod=$(mktemp -d)
    (cd "$mod" && go mod init kyverno-download >/dev/null 2>&1 && GOFLAGS=-mod=mod go mod download github.com/kyverno/kyverno@$version) \
      || fail "go mod download github.com/kyverno/kyverno@$version failed"
    dir=$(go env GOMODCACHE)/github.com/kyverno/kyverno@$version
    [[ -f $dir/go.mod ]] || fail "the module is not in $dir"
    rm -rf "$src.tmp" && cp -r "$dir" "$src.tmp" && chmod -R u+w "$src.tmp" && mv "$src.tmp" "$src"
    rm -rf "$mod"
  fi
  echo "kubernetes: building the Kyverno CLI $version (about 10 to 16 minutes cold)"
  build_start=$(date +%s)
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$kyverno.tmp" ./cmd/cli/kubectl-kyverno) || fail "building the Kyverno CLI failed"
  mv "$kyverno.tmp" "$kyverno"
  echo "kubernetes: built the Kyverno CLI in $(( $(date +%s) - build_start )) s"
fi
"$kyverno" version 2>/dev/null | head -3

# The schema checker (scripts/kubernetes/schema): built inside the Kyverno module, whose k8s.io/*
# v0.36.3 hold admissionregistration.k8s.io/v1 and the API server's CEL environments.
{ rm -rf "$src/ptc-schema" && cp -r scripts/kubernetes/schema "$src/ptc-schema"; } || fail "cannot copy the schema checker into $src"
schema=$cache/ptc-schema
(cd "$src" && GOFLAGS=-mod=mod go build -o "$schema" ./ptc-schema) || fail "building the schema checker failed"
echo "kubernetes: the CLI and the schema checker are ready after $(( $(date +%s) - start )) s"
# Its last line is the count line: nothing is printed after it.
ts-node scripts/kubernetes/rewrite-check.ts "$kyverno" "$schema" "$work"
status=$?
rm -rf "$work"
exit $status
