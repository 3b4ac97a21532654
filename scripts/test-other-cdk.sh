#!/usr/bin/env bash
# Run the jest suite again, against another aws-cdk-lib than the dev dependency `npx projen test`
# uses (2.257.0, the integ-runner pin):
#   newest  the newest aws-cdk-lib 2.x and constructs 10.x npm serves, with JSII_DEPRECATED=fail: a
#           deprecated aws-cdk-lib API called by the library (or by a test) aborts synthesis there,
#           as it would in a user's app that sets it;
#   floor   the lowest versions of the peer range (package.json's peerDependencies, set from
#           .projenrc.ts's CDK_FLOOR): src/ is type-checked against them first, then jest runs
#           without the test files named in CDK_NEEDS_NEWER (space-separated paths; .projenrc.ts's
#           NEEDS_NEWER_CDK), which need a newer aws-cdk-lib and run in the other two runs.
#
# The versions are installed outside the repository (~/.cache/cdk-pull-through-cache/newest-cdk,
# floor-cdk-<version>; a scratch install inside the repository would be packed by a deny-list),
# and jest's moduleNameMapper maps every `aws-cdk-lib` and `constructs` import to them, so the
# library, the tests and the tools that import aws-cdk-lib (cdk-nag, integ-tests-alpha) all use the
# same copy.
#
# Ends with "jest (<mode> aws-cdk-lib X) passed=N failed=M", which .ci/run adds to its count (a
# failed type-check counts as one failure).
set -uo pipefail
MODE="${1:-}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cdk-pull-through-cache"
cd "$ROOT" || exit 1
case "$MODE" in
  newest)
    DIR="${CDK_NEWEST_DIR:-$CACHE/newest-cdk}"
    CDK_SPEC='aws-cdk-lib@^2' CONSTRUCTS_SPEC='constructs@^10'
    EXCLUDE=()
    export JSII_DEPRECATED=fail
    ;;
  floor)
    # The floor of each peer range: "^2.221.0" -> 2.221.0.
    read -r CDK_FLOOR CONSTRUCTS_FLOOR < <(node -p '
      const p = require("./package.json").peerDependencies;
      const floor = (r) => { const m = /^\^(\d+\.\d+\.\d+)$/.exec(r); if (!m) throw new Error("peer range " + r + " is not ^x.y.z"); return m[1]; };
      floor(p["aws-cdk-lib"]) + " " + floor(p.constructs)')
    DIR="$CACHE/floor-cdk-$CDK_FLOOR"
    CDK_SPEC="aws-cdk-lib@$CDK_FLOOR" CONSTRUCTS_SPEC="constructs@$CONSTRUCTS_FLOOR"
    read -r -a EXCLUDE <<< "${CDK_NEEDS_NEWER:-}"
    for f in "${EXCLUDE[@]}"; do
      if [[ ! -f "$f" ]]; then
        echo "CDK_NEEDS_NEWER names $f, which does not exist: update NEEDS_NEWER_CDK in .projenrc.ts" >&2
        echo "jest (floor aws-cdk-lib $CDK_FLOOR) passed=0 failed=1"
        exit 1
      fi
    done
    ;;
  *)
    echo "usage: $0 newest|floor" >&2
    exit 2
    ;;
esac

mkdir -p "$DIR"
[[ -f "$DIR/package.json" ]] || echo '{"name":"cdk-'"$MODE"'","private":true}' > "$DIR/package.json"
if ! (cd "$DIR" && npm install --no-audit --no-fund --no-save --silent "$CDK_SPEC" "$CONSTRUCTS_SPEC" >/dev/null); then
  echo "could not install $CDK_SPEC $CONSTRUCTS_SPEC" >&2
  echo "jest ($MODE aws-cdk-lib unknown) passed=0 failed=1"
  exit 1
fi
VERSION=$(node -p 'require(process.argv[1] + "/node_modules/aws-cdk-lib/package.json").version' "$DIR")
CONSTRUCTS=$(node -p 'require(process.argv[1] + "/node_modules/constructs/package.json").version' "$DIR")
echo "$MODE: aws-cdk-lib $VERSION, constructs $CONSTRUCTS${JSII_DEPRECATED:+ (JSII_DEPRECATED=$JSII_DEPRECATED)}"

# The floor: the library's own sources must type-check against it (tests and examples may use
# newer APIs; they type-check against the dev dependency).
typecheck_failed=0
if [[ "$MODE" == floor ]]; then
  TSCONFIG="$DIR/tsconfig.src.json"
  node -e '
    const [root, dir, out] = process.argv.slice(1);
    const nm = dir + "/node_modules";
    require("fs").writeFileSync(out, JSON.stringify({
      extends: root + "/tsconfig.json",
      compilerOptions: {
        noEmit: true,
        typeRoots: [root + "/node_modules/@types"],
        paths: { "aws-cdk-lib": [nm + "/aws-cdk-lib"], "aws-cdk-lib/*": [nm + "/aws-cdk-lib/*"], "constructs": [nm + "/constructs"] },
      },
      include: [root + "/src/**/*.ts"],
    }, null, 2));
  ' "$ROOT" "$DIR" "$TSCONFIG"
  if npx tsc -p "$TSCONFIG"; then
    echo "src/ type-checks against aws-cdk-lib $VERSION"
  else
    echo "src/ does not type-check against aws-cdk-lib $VERSION" >&2
    typecheck_failed=1
  fi
fi

REPORT_DIR="$ROOT/test-reports/$MODE-cdk"
rm -rf "$REPORT_DIR"
CONFIG=$(node -e '
  const base = require("./package.json").jest;
  const [dir, root, reports, ...exclude] = process.argv.slice(1);
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const config = {
    ...base,
    rootDir: root,
    collectCoverage: false,
    reporters: ["default", ["jest-junit", { outputDirectory: reports }]],
    testPathIgnorePatterns: [...base.testPathIgnorePatterns, ...exclude.map((f) => "^<rootDir>/" + escape(f) + "$")],
    moduleNameMapper: {
      "^aws-cdk-lib$": dir + "/node_modules/aws-cdk-lib",
      "^aws-cdk-lib/(.*)$": dir + "/node_modules/aws-cdk-lib/$1",
      "^constructs$": dir + "/node_modules/constructs",
    },
  };
  console.log(JSON.stringify(config));
' "$DIR" "$ROOT" "$REPORT_DIR" "${EXCLUDE[@]}")
if [[ ${#EXCLUDE[@]} -gt 0 ]]; then echo "left out (need a newer aws-cdk-lib): ${EXCLUDE[*]}"; fi

npx jest --config "$CONFIG" --ci --silent
status=$?

counts=$(node -e '
  const fs = require("fs");
  const file = process.argv[1] + "/junit.xml";
  if (!fs.existsSync(file)) { console.log("0 1"); process.exit(0); }
  const xml = fs.readFileSync(file, "utf8");
  const m = (xml.match(/<testsuites[^>]*>/) || [""])[0];
  const get = (k) => Number((m.match(new RegExp(" " + k + "=\"(\\d+)\"")) || [0, 0])[1]);
  const failed = get("failures") + get("errors");
  console.log(get("tests") - failed, failed);
' "$REPORT_DIR")
passed=${counts% *}
failed=${counts#* }
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
failed=$((failed + typecheck_failed))
if [[ $typecheck_failed -ne 0 ]]; then status=1; fi
echo "jest ($MODE aws-cdk-lib $VERSION) passed=$passed failed=$failed"
exit $status
