#!/usr/bin/env bash
# Installs what the test suite needs and runs all of it: Docker + gVisor (runsc), Chromium, npm
# packages; then the static checks (typecheck, ESLint, Prettier) and every unit and integration
# test. The sandbox image is built by the tests' global setup when missing. Ends with the totals
# alone on a line, "N passed, N failed" (a failed static check counts as one failed); exits
# non-zero on failure.
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

status=0
failed_checks=()
if ! npm run --silent check; then
  echo "test.sh: the static checks failed (npm run check: typecheck, eslint, prettier --check)" >&2
  failed_checks+=(check)
fi

results="$(mktemp -d)/vitest.json"
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
node scripts/print-totals.mjs "$results" "${failed_checks[@]}" || status=1
exit "$status"
