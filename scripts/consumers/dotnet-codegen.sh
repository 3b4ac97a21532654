#!/usr/bin/env bash
# .NET: there is no dotnet SDK here, so only check that jsii-pacmak generates the C# project
# (`--code-only`, as the package:dotnet task does) with the expected .csproj and classes.
set -euo pipefail
CONSUMER=dotnet
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GEN="$DIST/dotnet/CdkPullThroughCache"

log "check: jsii-pacmak --target dotnet --code-only generates $GEN (when missing or older than src/)"
if needs_build "$GEN/CdkPullThroughCache.csproj"; then
  jsii_compile
  pacmak -v --target dotnet --code-only
fi

failed=0
check() { if [[ -e "$GEN/$1" ]]; then echo "ok: $1"; else echo "missing: $GEN/$1" >&2; failed=$((failed + 1)); fi; }
log "check: the project file and the public types exist"
check CdkPullThroughCache.csproj
for type in PullThroughCache PullThroughCacheProps PullThroughCacheSecret PullThroughCacheSecretProps \
  UpstreamRegistry UpstreamDefinition RepositoryTemplateOptions TemplateScope ImageReference; do
  check "CdkPullThroughCache/$type.cs"
done
grep -q '<PackageId>CdkPullThroughCache</PackageId>' "$GEN/CdkPullThroughCache.csproj" \
  && echo "ok: PackageId CdkPullThroughCache" || { echo "PackageId is not CdkPullThroughCache" >&2; failed=$((failed + 1)); }
grep -q 'Include="Amazon.CDK.Lib"' "$GEN/CdkPullThroughCache.csproj" \
  && echo "ok: references Amazon.CDK.Lib" || { echo "no Amazon.CDK.Lib reference" >&2; failed=$((failed + 1)); }
echo "generated: $(find "$GEN" -name '*.cs' | wc -l) .cs files, $(find "$GEN" -type f | wc -l) files in all"
[[ $failed -eq 0 ]] || die "$failed check(s) failed"
echo "dotnet code generation: ok"
