#!/usr/bin/env bash
# The test command (`npm test`): installs what is missing, checks the services, type-checks the
# tree, runs every jest suite against real PostgreSQL and Redis (each file on its own fresh
# database and queue prefix), and ends with one line: `N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh || exit 1
bash scripts/services.sh || exit 1

typecheck_failed=0
if npm run --silent typecheck; then
  echo "typecheck: ok"
else
  echo "typecheck: FAILED"
  typecheck_failed=1
fi

results=$(mktemp)
npx jest --json --outputFile="$results" "$@"
jest_status=$?

node -e '
  const fs = require("fs");
  const [file, typecheckFailed] = process.argv.slice(1);
  let r = { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 0 };
  try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch { r.numRuntimeErrorTestSuites = 1; }
  const failed = r.numFailedTests + r.numRuntimeErrorTestSuites + Number(typecheckFailed);
  console.log(`${r.numPassedTests} passed, ${failed} failed`);
' "$results" "$typecheck_failed"
rm -f "$results"

[ "$jest_status" -eq 0 ] && [ "$typecheck_failed" -eq 0 ]
