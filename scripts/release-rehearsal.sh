#!/usr/bin/env bash
# Release rehearsal: what projen's `release` task and the release workflow's packaging jobs do, up
# to, not including, publishing, on the working tree as the whole test suite leaves it (scratch
# installs, venvs and caches included), so a broken or bloated release is found here, not on npm
# or PyPI.
#
#   1. `bump`: the version from the git history (commit-and-tag-version), dist/changelog.md;
#   2. `default` (projen synth), `compile`, `post-compile` (API.md), as `build` does; its `test`
#      step is not run again: test:all has just run it;
#   3. every jsii target, as the release workflow's jobs build them (`package-all`): npm tarball,
#      wheel and sdist, jar, Go module, .NET project (a .nupkg where `dotnet` exists);
#   4. `unbump`, and the release task's own last check: the build changed no tracked file;
#   5. each artifact under its size limit (below), and the version the bump chose;
#   6. the wheel installed into a fresh venv outside the repository, imported, and a cache
#      synthesized from Python.
#
# Ends with "release checks passed=N failed=M", which .ci/run adds to its count.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
export CI=true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"

passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*" >&2; failed=$((failed + 1)); }
finish() { echo "release checks passed=$passed failed=$failed"; [[ $failed -eq 0 ]]; exit $?; }
step() { printf '\n==> [release] %s\n' "$*"; }

# Size limits in bytes. Measured on 2026-12-05 after a whole test run: npm tarball 305 KB, wheel
# 383 KB, sdist 427 KB, jar 383 KB, Go module 537 KB, .NET project 637 KB. A scratch install
# packed by mistake weighs 60 MB or more.
declare -A LIMIT=(
  [npm]=$((1024 * 1024))
  [wheel]=$((1024 * 1024))
  [sdist]=$((1024 * 1024))
  [jar]=$((1024 * 1024))
  [go]=$((2 * 1024 * 1024))
  [dotnet]=$((2 * 1024 * 1024))
)

# The working tree as the test suite left it; the rehearsal may change no tracked file.
before="$(git status --porcelain=v1 --untracked-files=no; git diff | sha256sum)"

step "bump: version and changelog from the git history"
rm -rf dist
if ! npx projen bump; then bad "projen bump"; finish; fi
# projen releases 0.0.0 first (no tag yet), then bumps from the conventional commits since the
# latest tag; the tag it will push is v<version>.
VERSION="$(cat dist/version.txt 2>/dev/null)"
TAG="$(cat dist/releasetag.txt 2>/dev/null)"
if [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ && "$TAG" == "v$VERSION" ]]; then
  ok "bump chose version $VERSION (tag $TAG)"
else
  bad "bump wrote no release version (dist/version.txt '$VERSION', dist/releasetag.txt '$TAG')"
fi
if [[ -s dist/changelog.md ]]; then ok "changelog written (dist/changelog.md)"; else bad "no dist/changelog.md"; fi

step "build (without its test step) and every jsii target"
built=1
for task in default compile post-compile package-all; do
  if ! npx projen "$task"; then bad "projen $task"; built=0; break; fi
done
[[ $built == 1 ]] && ok "build and package-all"

step "unbump; the release build must leave the tracked files as they were"
npx projen unbump || bad "projen unbump"
after="$(git status --porcelain=v1 --untracked-files=no; git diff | sha256sum)"
if [[ "$before" == "$after" ]]; then ok "no tracked file changed"; else bad "the release build changed tracked files:"; git status --short --untracked-files=no >&2; fi
[[ $built == 1 ]] || finish

step "artifacts and their sizes"
# size KIND PATH: the artifact exists, is of this version and is under its limit.
size() {
  local kind="$1" path="$2" bytes
  if [[ -z "$path" || ! -e "$path" ]]; then bad "$kind: no artifact"; return; fi
  bytes=$(du -sb "$path" | cut -f1)
  if [[ "$bytes" -le "${LIMIT[$kind]}" ]]; then
    ok "$kind: $(basename "$path") $bytes bytes (limit ${LIMIT[$kind]})"
  else
    bad "$kind: $path is $bytes bytes, over its limit of ${LIMIT[$kind]}"
  fi
}
first() { compgen -G "$1" | head -n 1 || true; }
size npm "$(first "dist/js/cdk-pull-through-cache@$VERSION.jsii.tgz")"
size wheel "$(first "dist/python/cdk_pull_through_cache-$VERSION-py3-none-any.whl")"
size sdist "$(first "dist/python/cdk_pull_through_cache-$VERSION.tar.gz")"
size jar "$(first "dist/java/io/github/cdk-pull-through-cache/cdk-pull-through-cache/$VERSION/cdk-pull-through-cache-$VERSION.jar")"
size go "$(first dist/go/cdkpullthroughcache)"
if command -v dotnet >/dev/null 2>&1; then
  size dotnet "$(first "dist/dotnet/CdkPullThroughCache.$VERSION.nupkg")"
else
  size dotnet "$(first dist/dotnet/CdkPullThroughCache)"
fi
# The Go module and the .NET project carry the npm tarball of this version (the wheel and the jar
# were checked by their size and, for the wheel, by the import below).
for embedded in "dist/go/cdkpullthroughcache/jsii/cdk-pull-through-cache-$VERSION.tgz" \
  "dist/dotnet/CdkPullThroughCache/cdk-pull-through-cache-$VERSION.tgz"; do
  if [[ -f "$embedded" ]]; then ok "embeds the $VERSION tarball: $embedded"; else bad "no $embedded"; fi
done

step "the wheel in a fresh venv: install, import, synthesize"
WHEEL="$(first "dist/python/cdk_pull_through_cache-$VERSION-py3-none-any.whl")"
VENV="$(mktemp -d "${TMPDIR:-/tmp}/release-rehearsal-XXXXXX")"
trap 'rm -rf "$VENV"' EXIT
if [[ -n "$WHEEL" ]] && python3 -m venv "$VENV" \
  && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" 'aws-cdk-lib==2.257.0' 'constructs>=10.5.1,<11'; then
  ok "the wheel installs with aws-cdk-lib and constructs from PyPI"
  if (cd "$VENV" && "$VENV/bin/python" - "$VERSION" <<'PY'
import json, sys
from importlib.metadata import version
import aws_cdk as cdk
import cdk_pull_through_cache as ptc

assert version("cdk-pull-through-cache") == sys.argv[1], version("cdk-pull-through-cache")
app = cdk.App(outdir="cdk.out")
stack = cdk.Stack(app, "Rehearsal")
ptc.PullThroughCache(stack, "Cache", upstreams=[ptc.UpstreamDefinition(registry=ptc.UpstreamRegistry.kubernetes())])
template = app.synth().get_stack_by_name("Rehearsal").template
rules = [r for r in template["Resources"].values() if r["Type"] == "AWS::ECR::PullThroughCacheRule"]
assert len(rules) == 1 and rules[0]["Properties"]["EcrRepositoryPrefix"] == "k8scache", json.dumps(rules)
print("synthesized a k8scache rule from Python")
PY
  ); then ok "the wheel imports and synthesizes a cache"; else bad "the wheel does not import or synthesize"; fi
else
  bad "the wheel does not install into a fresh venv"
fi

finish
