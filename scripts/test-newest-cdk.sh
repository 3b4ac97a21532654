#!/usr/bin/env bash
# Run the jest suite a second time, against the newest aws-cdk-lib 2.x and constructs 10.x that npm
# serves, with JSII_DEPRECATED=fail: a deprecated aws-cdk-lib API called by the library (or by a
# test) aborts synthesis there, as it would in a user's app that sets it.
#
# The pinned minimum (package.json's aws-cdk-lib, 2.257.0) is what `npx projen test` runs; this
# installs the newest outside the repository (CDK_NEWEST_DIR, default
# ~/.cache/cdk-pull-through-cache/newest-cdk: a scratch install inside the repository would be
# packed into every release artifact by a deny-list, and is kept out of the working tree here even
# though package.json's `files` allow-list now keeps it out of the package) and maps every
# `aws-cdk-lib` and `constructs`
# import to it with jest's moduleNameMapper, so the library, the tests and the tools that import
# aws-cdk-lib (cdk-nag, integ-tests-alpha) all use the same copy. TypeScript still type-checks
# against the pinned version: the oldest API the library may use.
#
# Ends with "jest (newest aws-cdk-lib X) passed=N failed=M", which .ci/run adds to its count.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CDK_NEWEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdk-pull-through-cache/newest-cdk}"
mkdir -p "$DIR"
cd "$DIR"
[[ -f package.json ]] || echo '{"name":"cdk-newest","private":true}' > package.json
if ! npm install --no-audit --no-fund --no-save --silent aws-cdk-lib@^2 constructs@^10 >/dev/null; then
  echo "could not install the newest aws-cdk-lib" >&2
  echo "jest (newest aws-cdk-lib unknown) passed=0 failed=1"
  exit 1
fi
VERSION=$(node -p 'require("./node_modules/aws-cdk-lib/package.json").version')
CONSTRUCTS=$(node -p 'require("./node_modules/constructs/package.json").version')
echo "newest: aws-cdk-lib $VERSION, constructs $CONSTRUCTS (JSII_DEPRECATED=fail)"
cd "$ROOT"

REPORT_DIR="$ROOT/test-reports/newest-cdk"
rm -rf "$REPORT_DIR"
CONFIG=$(node -e '
  const base = require("./package.json").jest;
  const dir = process.argv[1];
  const config = {
    ...base,
    rootDir: process.argv[2],
    collectCoverage: false,
    reporters: ["default", ["jest-junit", { outputDirectory: process.argv[3] }]],
    moduleNameMapper: {
      "^aws-cdk-lib$": dir + "/node_modules/aws-cdk-lib",
      "^aws-cdk-lib/(.*)$": dir + "/node_modules/aws-cdk-lib/$1",
      "^constructs$": dir + "/node_modules/constructs",
    },
  };
  console.log(JSON.stringify(config));
' "$DIR" "$ROOT" "$REPORT_DIR")

JSII_DEPRECATED=fail npx jest --config "$CONFIG" --ci --silent
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
echo "jest (newest aws-cdk-lib $VERSION) passed=$passed failed=$failed"
exit $status
