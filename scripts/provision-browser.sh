#!/usr/bin/env bash
# Installs what the console's browser tests need: Debian's Chromium (driven by playwright-core;
# no browser is downloaded by npm). Idempotent: does nothing when Chromium is already there.
# Works on Debian/Ubuntu as root (or with sudo). CHROMIUM_PATH overrides where it is looked for.
set -euo pipefail

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
log() { echo "provision-browser: $*" >&2; }

if [ -x "$CHROMIUM_PATH" ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    log "needs root or sudo to install chromium"; exit 1
  fi
fi

log "installing chromium"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
[ -x "$CHROMIUM_PATH" ] || { log "chromium installed, but $CHROMIUM_PATH is missing; set CHROMIUM_PATH"; exit 1; }
log "$("$CHROMIUM_PATH" --version 2>/dev/null | tail -1)"
