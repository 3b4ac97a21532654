# Shared helpers of scripts/consumers/*.sh (sourced, not run).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# jsii warns on every step that Node 20 is end-of-life; the projen tasks silence it the same way.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
# Where jsii-pacmak writes (the projen package:* tasks use dist/ too).
DIST="${CONSUMERS_DIST:-$ROOT/dist}"
# CONSUMERS_REBUILD=1 forces a fresh jsii compile + jsii-pacmak even when the package exists;
# CONSUMERS_REBUILD=never uses the package in dist/ as it is (fails when it is missing), e.g. in CI
# right after the package:* task built it. Default: build when missing or older than .jsii / src/.
CONSUMERS_REBUILD="${CONSUMERS_REBUILD:-0}"
# CONSUMERS_COLD=1 uses empty, temporary dependency caches (pip / Go module cache / Maven repo),
# to measure what a fresh CI machine pays. They are deleted on exit.
CONSUMERS_COLD="${CONSUMERS_COLD:-0}"

log() { printf '\n==> [%s] %s\n' "$CONSUMER" "$*"; }
die() { printf '\nFAIL [%s] %s\n' "$CONSUMER" "$*" >&2; exit 1; }

# Result file read by all.sh: "<passed> <failed>".
write_result() { printf '%s %s\n' "$1" "$2" > "$ROOT/consumers/$CONSUMER/.result"; }

# needs_build ARTIFACT: true when ARTIFACT is missing, older than .jsii or a source file, or a
# rebuild is forced.
needs_build() {
  local artifact="$1"
  [[ "$CONSUMERS_REBUILD" == 1 ]] && return 0
  [[ "$CONSUMERS_REBUILD" == never ]] && return 1
  [[ -e "$artifact" ]] || return 0
  [[ "$ROOT/.jsii" -nt "$artifact" ]] && return 0
  [[ -n "$(find "$ROOT/src" -name '*.ts' -newer "$artifact" -print -quit)" ]] && return 0
  return 1
}

# jsii compile (lib/ + .jsii), retried: other people may be in the middle of editing src/.
jsii_compile() {
  local attempt
  for attempt in 1 2 3; do
    log "jsii compile (attempt $attempt): npx projen compile"
    if (cd "$ROOT" && npx projen compile); then return 0; fi
    [[ $attempt -lt 3 ]] && sleep 60
  done
  die "jsii compile failed 3 times"
}

# go_snippets ARGS...: scripts/go-snippets.ts (the hand-written Go of README, guide and @example snippets).
go_snippets() {
  (cd "$ROOT" && TS_NODE_PROJECT=tsconfig.dev.json TS_NODE_TRANSPILE_ONLY=1 npx ts-node scripts/go-snippets.ts "$@")
}

# pacmak ARGS...: jsii-pacmak from the repository root. For Go, the hand-written Go snippets go into
# rosetta's tablet first, so that the module's README shows them.
pacmak() {
  if [[ " $* " == *" go "* ]]; then go_snippets inject || die "the Go snippets could not be written into the tablet"; fi
  log "npx jsii-pacmak $*"
  (cd "$ROOT" && npx jsii-pacmak "$@") || die "jsii-pacmak $* failed"
}

TEMP_DIRS=()
cleanup_temp() { local d; for d in "${TEMP_DIRS[@]+"${TEMP_DIRS[@]}"}"; do chmod -R u+w "$d" 2>/dev/null || true; rm -rf "$d"; done; }
trap cleanup_temp EXIT
# make_temp VAR: create a temporary directory, deleted on exit, and store its path in VAR.
make_temp() { local d; d="$(mktemp -d "${TMPDIR:-/tmp}/consumers-$CONSUMER-XXXXXX")"; TEMP_DIRS+=("$d"); printf -v "$1" '%s' "$d"; }
