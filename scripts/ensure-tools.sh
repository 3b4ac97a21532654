#!/usr/bin/env bash
# Install the system tools the tests run and npm does not bring: shellcheck, systemd-analyze (the
# node script's checks, in jest and in test:node-e2e; actionlint's check of workflow scripts) and
# strace (test/documented-secrets.test.ts). The first step of `npx projen test` and of
# `npx projen test:all`, so README's test commands work on a fresh machine. Idempotent: nothing
# happens when all are there. As root, or through passwordless sudo (a GitHub runner).
set -euo pipefail
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v strace >/dev/null || missing+=(strace)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "the tests need ${missing[*]}: install them (apt-get install ${missing[*]}) and run again" >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
