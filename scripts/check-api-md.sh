#!/usr/bin/env bash
# Fails when API.md is not what jsii-docgen makes of the current sources (run after a jsii compile).
set -euo pipefail
fresh=$(mktemp --suffix=.md)
trap 'rm -f "$fresh"' EXIT
npx jsii-docgen -o "$fresh"
if ! cmp -s API.md "$fresh"; then
  diff -u API.md "$fresh" | head -40 || true
  echo "API.md is out of date: run 'npx projen docgen' and commit it." >&2
  exit 1
fi
echo "API.md is current."
