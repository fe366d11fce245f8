#!/usr/bin/env bash
# Installs what the test suite needs and runs all of it: Docker + gVisor (runsc), npm packages,
# then every unit and integration test. The sandbox image is built by the tests' global setup when
# missing. Ends with the totals alone on a line, "N passed, N failed"; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/provision-sandbox.sh
bash scripts/provision-browser.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` installs the locked versions; `npm ci` would refuse the lock here because the
  # registry serves no macOS/Windows builds of some optional platform packages (tailwind's oxide,
  # pulled in by the Studio dev server), which npm ci insists on seeing in the lock.
  npm install --no-audit --no-fund
fi

results="$(mktemp -d)/vitest.json"
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
node scripts/print-totals.mjs "$results" || status=1
exit "$status"
