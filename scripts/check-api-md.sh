#!/usr/bin/env bash
# Fails when API.md (TypeScript) or docs/api/API.<language>.md (Python, Java, C#, Go) is not what
# jsii-docgen makes of the current sources (run after a jsii compile and `npx projen
# docs:go-snippets`: the Go reference shows the hand-written Go of consumers/go/snippets).
set -euo pipefail
LANGS=(python java csharp go)
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
npx jsii-docgen -o "$fresh/API.md"
args=(); for l in "${LANGS[@]}"; do args+=(-l "$l"); done
npx jsii-docgen "${args[@]}" -o "$fresh/api/API.md"
stale=0
for pair in "API.md:API.md" $(for l in "${LANGS[@]}"; do echo "docs/api/API.$l.md:api/API.$l.md"; done); do
  committed=${pair%%:*}
  made="$fresh/${pair#*:}"
  if [[ ! -f "$committed" ]] || ! cmp -s "$committed" "$made"; then
    diff -u "$committed" "$made" 2>/dev/null | head -40 || true
    echo "$committed is out of date: run 'npx projen docgen' and commit it." >&2
    stale=1
  fi
done
[[ $stale -eq 0 ]] || exit 1
echo "API.md and docs/api/API.{$(IFS=,; echo "${LANGS[*]}")}.md are current."
