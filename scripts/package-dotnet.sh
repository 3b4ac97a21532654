#!/usr/bin/env bash
# Build the .NET package where a .NET SDK exists (release machines), and only generate and check
# its code where none does (our development and CI machines): jsii-pacmak needs `dotnet` to build
# the .nupkg that the release publishes.
set -euo pipefail
if command -v dotnet >/dev/null 2>&1; then
  npx jsii-pacmak -v --target dotnet
else
  echo "no dotnet on this machine: generating the .NET code only (no .nupkg)"
  npx jsii-pacmak -v --target dotnet --code-only
fi
