#!/usr/bin/env bash
# Java consumer: build the jar with jsii-pacmak (dist/java is a Maven repository), then run the
# example app (consumers/java, `mvn exec:java`: the reference use case, a Fargate service on
# containerImage, a consumer-account import with the containerd node script) and its JUnit 5 tests
# (surefire).
set -euo pipefail
CONSUMER=java
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR="$ROOT/consumers/java"
ARTIFACT_DIR="$DIST/java/io/github/cdk-pull-through-cache/cdk-pull-through-cache"
rm -f "$DIR/.result"

# One Maven local repository for jsii-pacmak and the consumer. Without --maven-local-repository,
# jsii-pacmak uses a fresh repository inside its temporary build directory and downloads
# aws-cdk-lib & co. again on every run.
# CONSUMERS_COLD=1 uses an empty temporary one, unless CONSUMERS_M2_REPO is set (all.sh sets it).
M2_REPO="${CONSUMERS_M2_REPO:-$HOME/.m2/repository}"
if [[ "$CONSUMERS_COLD" == 1 && -z "${CONSUMERS_M2_REPO:-}" ]]; then
  make_temp M2_REPO; echo "cold: empty Maven repository $M2_REPO"
fi
export MAVEN_OPTS="${MAVEN_OPTS:-} -XX:+TieredCompilation -XX:TieredStopAtLevel=1"
MVN=(mvn --batch-mode --no-transfer-progress "-Dmaven.repo.local=$M2_REPO")

jar() { compgen -G "$ARTIFACT_DIR/*/cdk-pull-through-cache-*[0-9].jar" | head -n 1 || true; }

log "check: the jar exists in $ARTIFACT_DIR (built when missing or older than src/)"
if needs_build "$(jar)"; then
  jsii_compile
  pacmak -v --target java --maven-local-repository="$M2_REPO"
fi
JAR="$(jar)"
[[ -n "$JAR" ]] || die "no jar in $ARTIFACT_DIR"
VERSION="$(basename "$(dirname "$JAR")")"
echo "jar: $JAR ($(du -h "$JAR" | cut -f1))"
# Maven never re-fetches a release version it has cached: drop the cached copy so the consumer
# gets the jar just built.
rm -rf "$M2_REPO/io/github/cdk-pull-through-cache/cdk-pull-through-cache"

cd "$DIR"
rm -rf target/surefire-reports target/cdk.out
log "check: mvn test (JUnit 5) and mvn exec:java (the example app synthesizes its three stacks)"
set +e
# Test failures are counted from surefire's reports below; the app runs either way.
"${MVN[@]}" -Dlibrary.version="$VERSION" -Dmaven.test.failure.ignore=true test exec:java
rc=$?
set -e

passed=0 failed=0
if [[ $rc -eq 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
# surefire's own counts.
shopt -s nullglob
reports=(target/surefire-reports/TEST-*.xml)
if [[ ${#reports[@]} -gt 0 ]]; then
  read -r tests failures errors skipped < <(python3 - "${reports[@]}" <<'PY'
import sys, xml.etree.ElementTree as ET
t = [0, 0, 0, 0]
for path in sys.argv[1:]:
    s = ET.parse(path).getroot()
    for i, k in enumerate(("tests", "failures", "errors", "skipped")):
        t[i] += int(s.get(k, 0))
print(*t)
PY
)
  passed=$((passed + tests - failures - errors - skipped))
  failed=$((failed + failures + errors))
  echo "surefire: $tests tests, $failures failures, $errors errors, $skipped skipped"
else
  failed=$((failed + 1)); echo "no surefire reports" >&2
fi
write_result "$passed" "$failed"
echo "java consumer: $passed passed, $failed failed"
[[ $failed -eq 0 ]] || die "$failed check(s) failed"
