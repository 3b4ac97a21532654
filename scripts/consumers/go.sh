#!/usr/bin/env bash
# Go consumer: generate the Go module with jsii-pacmak (code only: pacmak's own `go mod tidy` cannot
# resolve here, see consumers/go/go.mod), then build the example app in consumers/go (the reference use
# case, a Fargate service on ContainerImage, a consumer-account import with the containerd node
# script, a Lambda function from a warmed cache, EKS Auto Mode and Fargate with
# KubernetesImageRewrite) and `go test` the synthesized templates.
set -euo pipefail
CONSUMER=go
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR="$ROOT/consumers/go"
GEN="$ROOT/dist/go/cdkpullthroughcache"   # consumers/go/go.mod replaces the module with this directory
rm -f "$DIR/.result"

# Checksum database: the proxy's sum.golang.org has no record of github.com/aws/aws-cdk-go/awscdk/v2
# v2.257.0 (lookup 404), which makes `go` refuse it. Exempt that module path only; every other module
# is still checked against sum.golang.org, and all of them, awscdk included, against the committed
# consumers/go/go.sum (a changed hash is still a SECURITY ERROR). Not GOSUMDB=off, which would
# drop the check for every module.
export GONOSUMDB="${GONOSUMDB:-github.com/aws/aws-cdk-go/awscdk}"
# -mod=mod: go.mod/go.sum may be completed (the generated module's requirements can move).
[[ " ${GOFLAGS:-} " == *" -mod="* ]] || export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

log "check: the generated Go module exists in $GEN (generated when missing or older than src/)"
if needs_build "$GEN/version"; then
  jsii_compile
  pacmak -v --target go --code-only
fi
[[ -f "$GEN/go.mod" && -f "$GEN/PullThroughCache.go" ]] || die "no generated Go module in $GEN"
# The module's README shows the hand-written Go of consumers/go/snippets (which `go vet` below
# compiles): regenerate when a snippet or README.md changed since.
if ! go_snippets check-readme "$GEN" >/dev/null 2>&1; then
  pacmak -v --target go --code-only
fi
echo "generated: $(find "$GEN" -name '*.go' | wc -l) .go files in $GEN"

if [[ "$CONSUMERS_COLD" == 1 ]]; then
  make_temp GOMODCACHE; make_temp GOCACHE; export GOMODCACHE GOCACHE
  echo "cold: empty GOMODCACHE $GOMODCACHE and GOCACHE $GOCACHE"
fi

cd "$DIR"
log "check: go vet + go build, the app and the snippets of README, guides and @examples (GONOSUMDB=$GONOSUMDB GOFLAGS=$GOFLAGS)"
go vet ./... || die "go vet failed"

passed=0 failed=0
log "check: the Go module's README shows the hand-written Go snippets (consumers/go/snippets, compiled by go vet)"
if go_snippets check-readme "$GEN"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

log "check: go run . synthesizes the example app (reference use case, Fargate service, consumer account, Lambda from the warmed cache, EKS with images rewritten to the cache)"
if go run . "$DIR/cdk.out"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# With cloud-assembly-schema-go replaced by v53.0.0 (go.mod), prove the assembly is one the CDK CLI
# of this repository reads.
log "check: the CDK CLI reads the Go app's cloud assembly (npx cdk ls --app consumers/go/cdk.out)"
want="PullThroughCacheGo PullThroughCacheGoConsumerAccount PullThroughCacheGoFargate PullThroughCacheGoKubernetes PullThroughCacheGoLookupConsumer PullThroughCacheGoWarmLambda"
listed="$(cd "$ROOT" && npx cdk ls --app "$DIR/cdk.out" --no-notices --no-version-reporting | sort | xargs)" || listed=""
if [[ "$listed" == "$want" ]]; then
  passed=$((passed + 1)); echo "ok: $listed listed"
else
  failed=$((failed + 1)); echo "the CDK CLI cannot read $DIR/cdk.out: listed '$listed', want '$want'" >&2
fi

log "check: go test ./... (template assertions, errors surface as panics)"
set +e
go test -count=1 -json ./... > "$DIR/.go-test.json"
rc=$?
set -e
# go test's own counts: one "pass"/"fail" event per test.
p=$(grep -c '"Action":"pass","Package":[^}]*"Test"' "$DIR/.go-test.json" || true)
f=$(grep -c '"Action":"fail","Package":[^}]*"Test"' "$DIR/.go-test.json" || true)
grep -hoE '"Output":"(--- |ok |FAIL|PASS|panic)[^"]*' "$DIR/.go-test.json" | sed -e 's/^"Output":"//' -e 's/\\n$//' -e 's/\\t/\t/g' || true
passed=$((passed + p)); failed=$((failed + f))
[[ $rc -eq 0 ]] || failed=$((failed > 0 ? failed : 1))
write_result "$passed" "$failed"
echo "go consumer: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || die "$failed check(s) failed"
