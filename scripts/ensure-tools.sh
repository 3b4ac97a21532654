#!/usr/bin/env bash
# Install the system tools the tests run and npm does not bring: shellcheck and systemd-analyze
# (the node script's checks, in jest and in test:node-e2e). The first step of `npx projen test`, so
# README's test command works on a fresh machine. Idempotent: nothing happens when both are there.
set -euo pipefail
missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "the tests need ${missing[*]}: install them (apt-get install ${missing[*]}) and run again" >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
