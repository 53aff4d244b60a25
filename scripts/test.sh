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

# TEST_FAULTS=1 (set by .ci/run) also runs the fault-injection suite (npm run test:faults, ~4 min);
# each of its scenarios counts as one test.
faults_json=""
faults_status=0
if [ "${TEST_FAULTS:-0}" = "1" ]; then
  faults_json=test/faults/results/latest.json
  rm -f "$faults_json"
  npm run --silent test:faults
  faults_status=$?
fi

node -e '
  const fs = require("fs");
  const [file, typecheckFailed, faultsFile] = process.argv.slice(1);
  let r = { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 0 };
  try { r = JSON.parse(fs.readFileSync(file, "utf8")); } catch { r.numRuntimeErrorTestSuites = 1; }
  let passed = r.numPassedTests;
  let failed = r.numFailedTests + r.numRuntimeErrorTestSuites + Number(typecheckFailed);
  if (faultsFile) {
    try {
      const scenarios = JSON.parse(fs.readFileSync(faultsFile, "utf8")).scenarios;
      passed += scenarios.filter((s) => s.passed).length;
      failed += scenarios.filter((s) => !s.passed).length;
    } catch { failed += 1; } // the suite ended without a report
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$results" "$typecheck_failed" "$faults_json"
rm -f "$results"

[ "$jest_status" -eq 0 ] && [ "$typecheck_failed" -eq 0 ] && [ "$faults_status" -eq 0 ]
