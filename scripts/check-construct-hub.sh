#!/usr/bin/env bash
# Construct Hub readiness (run after a jsii compile, in test:docs):
# 1. jsii-docgen renders the API reference and the README for Python and Go (what Construct Hub
#    shows those users) without an error, and every README snippet comes out translated: no
#    TypeScript block is left in the Python or Go page.
# 2. package.json has what Construct Hub and the registries use: the `awscdk` keyword (how
#    Construct Hub finds CDK libraries), a permissive license, description, repository, homepage,
#    author, public publishConfig, and a jsii target per language; the README has its sections.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failed=0

echo "check: jsii-docgen -l python -l go --readme"
if npx jsii-docgen --readme -l python -l go -o "$out/API.md" 2> "$out/stderr"; then
  for lang in python go; do
    f="$out/API.$lang.md"
    if [[ ! -s "$f" ]]; then
      echo "  $lang: no output" >&2; failed=$((failed + 1)); continue
    fi
    ts=$(grep -cE '^```(ts|typescript)$' "$f" || true)
    own=$(grep -cE "^\`\`\`$lang\$" "$f" || true)
    if [[ "$ts" -ne 0 ]]; then
      echo "  $lang: $ts TypeScript block(s) left untranslated" >&2; failed=$((failed + 1))
    else
      echo "  $lang: ok ($(wc -c < "$f") bytes, $own $lang blocks)"
    fi
  done
  if grep -qiE 'error|exception' "$out/stderr"; then
    echo "  jsii-docgen wrote errors:" >&2; head -20 "$out/stderr" >&2; failed=$((failed + 1))
  fi
else
  echo "  jsii-docgen failed:" >&2; tail -20 "$out/stderr" >&2; failed=$((failed + 1))
fi

echo "check: package.json and README.md metadata"
if ! python3 - <<'PY'
import json, re, sys
pkg = json.load(open("package.json"))
readme = open("README.md").read()
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
kw = pkg.get("keywords", [])
need("awscdk" in kw, "keywords: 'awscdk' (Construct Hub indexes CDK libraries by it)")
need(pkg.get("license") in {"Apache-2.0", "MIT", "BSD-3-Clause", "BSD-2-Clause", "ISC", "0BSD"},
     f"license: a permissive license Construct Hub lists (is {pkg.get('license')!r})")
need(len(pkg.get("description", "")) >= 20, "description")
need(pkg.get("repository", {}).get("url"), "repository.url")
need(pkg.get("homepage"), "homepage")
need(pkg.get("author", {}).get("name"), "author.name")
need(pkg.get("publishConfig", {}).get("access") == "public", "publishConfig.access: public")
targets = pkg.get("jsii", {}).get("targets", {})
for t in ("python", "java", "dotnet", "go"):
    need(t in targets, f"jsii.targets.{t}")
need(pkg.get("peerDependencies", {}).get("aws-cdk-lib"), "peerDependencies: aws-cdk-lib")
for section in ("## Install", "## API reference"):
    need(re.search("^" + re.escape(section), readme, re.M), f"README section '{section}'")
need(re.search(r"^```ts$", readme, re.M), "README: a TypeScript example")
need("constructs.dev" in readme, "README: the Construct Hub badge")
for p in problems:
    print(f"  missing: {p}", file=sys.stderr)
if not problems:
    print(f"  ok: keywords {', '.join(kw)}; license {pkg['license']}; targets {', '.join(sorted(targets))}")
sys.exit(1 if problems else 0)
PY
then failed=$((failed + 1)); fi

[[ $failed -eq 0 ]] || { echo "Construct Hub readiness: $failed check(s) failed" >&2; exit 1; }
echo "Construct Hub readiness: ok"
