#!/usr/bin/env bash
# Translation check: every snippet of README.md and the guides (docs/*.md) and every @example, as
# jsii-rosetta translated it (the tablet
# .jsii.tabl.json), checked in Python (mypy, and a synth when self-contained), Java (javac) and Go
# (go/parser, go build) against the packages built from this repository. See check.py for how each
# translation is wrapped.
#
# Packages: the wheel, jar and Go code in dist/, as scripts/consumers/all.sh builds them (test:all
# runs this after the consumers, so nothing is built twice); built here when missing or older than
# src/ (CONSUMERS_REBUILD=never: use dist/ as it is).
# Caches: a venv with mypy, aws-cdk-lib and the wheel in ~/.cache/cdk-pull-through-cache/
# translations-venv, outside the repository (kept, the wheel is reinstalled every run;
# TRANSLATIONS_VENV to move it), the javac classpath in
# consumers/java/target/translations.classpath (from `mvn dependency:build-classpath` on
# consumers/java/pom.xml, refreshed when the pom changes), the Go build cache.
#
# Ends with "translation checks passed=N failed=M" (Python, Java and Go; its last line, also when a
# tool is missing), preceded by "go: N snippets, ...". The Go is not rosetta's, which does not
# compile, but the hand-written Go of consumers/go/snippets (scripts/go-snippets.ts). TRANSLATIONS_LANGS="python java" to choose.
set -uo pipefail
CONSUMER=translations
# shellcheck source=../consumers/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../consumers/lib.sh"
HERE="$ROOT/scripts/translations"
LANGS="${TRANSLATIONS_LANGS:-python java go}"
start=$(date +%s)

fail_setup() { printf '\nFAIL [translations] %s\n' "$*" >&2; echo "translation checks passed=0 failed=1"; exit 1; }

wheel() { compgen -G "$DIST/python/cdk_pull_through_cache-*-py3-none-any.whl" | head -n 1 || true; }
jar() { compgen -G "$DIST/java/io/github/cdk-pull-through-cache/cdk-pull-through-cache/*/cdk-pull-through-cache-*[0-9].jar" | head -n 1 || true; }
GO_LIB="$DIST/go/cdkpullthroughcache"

# 1. Packages (normally already built by all.sh).
targets=()
[[ " $LANGS " == *" python "* ]] && needs_build "$(wheel)" && targets+=(--target python)
[[ " $LANGS " == *" java "* ]] && needs_build "$(jar)" && targets+=(--target java)
build_go=0; [[ " $LANGS " == *" go "* ]] && needs_build "$GO_LIB/version" && build_go=1
if [[ ${#targets[@]} -gt 0 || $build_go == 1 ]]; then
  ( jsii_compile
    if [[ ${#targets[@]} -gt 0 ]]; then pacmak -v "${targets[@]}" --maven-local-repository="${CONSUMERS_M2_REPO:-$HOME/.m2/repository}"; fi
    if [[ $build_go == 1 ]]; then pacmak -v --target go --code-only; fi
  ) || fail_setup "the packages could not be built"
fi

# 2. The tablet: scripts/rosetta-extract.ts, jsii-rosetta extract plus the guides' snippets (the
# previous tablet makes unchanged snippets free); skipped when the tablet is newer than the
# assembly, the fixtures and the guides (test:docs has just written it).
TABLET="$ROOT/.jsii.tabl.json"
if [[ ! -f "$TABLET" || "$ROOT/.jsii" -nt "$TABLET" || -n "$(find "$ROOT/rosetta" "$ROOT"/docs/*.md -newer "$TABLET" -print -quit)" ]]; then
  log "scripts/rosetta-extract.ts (writes $TABLET)"
  (cd "$ROOT" && TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=1 npx ts-node scripts/rosetta-extract.ts) || fail_setup "scripts/rosetta-extract.ts failed"
fi
# The Go of the snippets that have hand-written Go (consumers/go/snippets) is that Go, as in the
# packages.
[[ " $LANGS " == *" go "* ]] && { go_snippets inject || fail_setup "the Go snippets could not be written into the tablet"; }

args=(--tablet "$TABLET" --assembly "$ROOT/.jsii" --work "$DIST/translations" --only "${LANGS// /,}")

# 3. Python: a venv with mypy, aws-cdk-lib (consumers/python/requirements.txt) and the wheel.
if [[ " $LANGS " == *" python "* ]]; then
  VENV="${TRANSLATIONS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk-pull-through-cache/translations-venv}"
  REQS="$ROOT/consumers/python/requirements.txt"
  stamp="$(cat "$REQS" "$HERE/requirements.txt" | sha256sum | cut -c1-16)"
  if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    log "a venv in $VENV with mypy and aws-cdk-lib"
    rm -rf "$VENV"
    python3 -m venv "$VENV" && "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$REQS" -r "$HERE/requirements.txt" && echo "$stamp" > "$VENV/.stamp" || fail_setup "pip install failed"
  fi
  WHEEL="$(wheel)"; [[ -n "$WHEEL" ]] || fail_setup "no wheel in $DIST/python"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL" \
    || fail_setup "cannot install $WHEEL"
  args+=(--python "$VENV/bin/python" --mypy-cache "$VENV/.mypy_cache")
fi

# 4. Java: the classpath of consumers/java (aws-cdk-lib and its dependencies), with the jar from
# dist/ itself rather than whatever copy ~/.m2 holds.
if [[ " $LANGS " == *" java "* ]]; then
  JAR="$(jar)"; [[ -n "$JAR" ]] || fail_setup "no jar in $DIST/java"
  CP_FILE="$ROOT/consumers/java/target/translations.classpath"
  if [[ ! -s "$CP_FILE" || "$ROOT/consumers/java/pom.xml" -nt "$CP_FILE" ]]; then
    log "mvn dependency:build-classpath (consumers/java/pom.xml)"
    mkdir -p "$(dirname "$CP_FILE")"
    (cd "$ROOT/consumers/java" && mvn --batch-mode --no-transfer-progress -q \
      "-Dmaven.repo.local=${CONSUMERS_M2_REPO:-$HOME/.m2/repository}" \
      -Dlibrary.version="$(basename "$(dirname "$JAR")")" \
      dependency:build-classpath -Dmdep.includeScope=compile -Dmdep.outputFile="$CP_FILE") \
      || fail_setup "mvn dependency:build-classpath failed"
  fi
  CP="$JAR:$(tr ':' '\n' < "$CP_FILE" | grep -v '/io/github/cdk-pull-through-cache/' | paste -sd:)"
  args+=(--classpath "$CP")
fi

# 5. Go: consumers/go's go.mod (its replaces) for a module of one package per snippet.
if [[ " $LANGS " == *" go "* ]]; then
  [[ -f "$GO_LIB/go.mod" ]] || fail_setup "no generated Go module in $GO_LIB"
  export GONOSUMDB="${GONOSUMDB:-github.com/aws/aws-cdk-go/awscdk}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
  [[ " ${GOFLAGS:-} " == *" -mod="* ]] || export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
  args+=(--go-mod "$ROOT/consumers/go/go.mod" --go-sum "$ROOT/consumers/go/go.sum" --go-lib "$GO_LIB")
fi

log "check the translations"
out="$(mktemp)"; TEMP_DIRS+=("$out")
TRANSLATIONS_START="$start" "${VENV:-/usr}/bin/python3" "$HERE/check.py" "${args[@]}" | tee "$out"
rc=${PIPESTATUS[0]}
# check.py ends with the closing line; when it crashed before, say so in the same form.
if ! grep -qE '^translation checks passed=[0-9]+ failed=[0-9]+$' "$out"; then
  echo "translation checks passed=0 failed=1"
  exit 1
fi
exit "$rc"
