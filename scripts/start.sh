#!/usr/bin/env bash
# Installs and starts ToolForge on its embedded defaults: Docker + gVisor (runsc), npm packages,
# the one-time genesis (store, root objects, sandbox image, persona models when Ollama is up),
# then the server on http://${HOST:-127.0.0.1}:${PORT:-8000}. Ollama itself is a separate service:
# install it from ollama.com and run `ollama serve`; `toolforge doctor` says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/provision-sandbox.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` installs the locked versions; `npm ci` would refuse the lock here because the
  # registry serves no macOS/Windows builds of some optional platform packages (tailwind's oxide,
  # pulled in by the Studio dev server), which npm ci insists on seeing in the lock.
  npm install --no-audit --no-fund
fi
npm run --silent build

node bin/toolforge.js genesis
exec node bin/toolforge.js serve
