#!/usr/bin/env bash
# Installs and starts what the gVisor sandbox needs: Docker engine + runsc, with runsc registered
# as a Docker runtime. Idempotent: safe to run again; it only does what is missing.
# Works on Debian/Ubuntu as root (or with sudo). Where systemd runs, it uses it; elsewhere it
# starts dockerd detached and waits for its socket.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "provision-sandbox: needs root or sudo to install Docker and runsc" >&2; exit 1
  fi
fi

log() { echo "provision-sandbox: $*" >&2; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v runsc >/dev/null 2>&1 || [ -x /usr/bin/runsc ] || need_pkgs+=(runsc)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

RUNSC_PATH="$(command -v runsc || echo /usr/bin/runsc)"
DAEMON_JSON=/etc/docker/daemon.json
$SUDO mkdir -p /etc/docker
wanted_runtime="{\"path\":\"$RUNSC_PATH\",\"runtimeArgs\":[\"--network=none\"]}"
changed=0
if [ -f "$DAEMON_JSON" ] && node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const r = c.runtimes && c.runtimes.runsc;
  process.exit(r && r.path === process.argv[2] && (r.runtimeArgs || []).includes("--network=none") ? 0 : 1);
' "$DAEMON_JSON" "$RUNSC_PATH"; then
  :
else
  log "registering runsc in $DAEMON_JSON"
  node -e '
    const fs = require("fs"); const f = process.argv[1];
    let c = {}; try { c = JSON.parse(fs.readFileSync(f, "utf8")); } catch {}
    c.runtimes = Object.assign({}, c.runtimes, { runsc: JSON.parse(process.argv[2]) });
    process.stdout.write(JSON.stringify(c, null, 2) + "\n");
  ' "$DAEMON_JSON" "$wanted_runtime" | $SUDO tee "$DAEMON_JSON.tmp" >/dev/null
  $SUDO mv "$DAEMON_JSON.tmp" "$DAEMON_JSON"
  changed=1
fi

docker_up() { $SUDO docker info >/dev/null 2>&1; }

if docker_up; then
  if [ "$changed" = 1 ]; then
    log "reloading dockerd to pick up the runsc runtime"
    $SUDO pkill -HUP dockerd || true
    sleep 1
  fi
else
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    log "starting docker with systemctl"
    $SUDO systemctl start docker
  else
    log "starting dockerd (no systemd here); log at /tmp/dockerd.log"
    $SUDO sh -c 'setsid dockerd >/tmp/dockerd.log 2>&1 < /dev/null &'
  fi
  for _ in $(seq 1 60); do docker_up && break; sleep 0.5; done
  docker_up || { log "dockerd did not come up; see /tmp/dockerd.log"; exit 1; }
fi

if ! $SUDO docker info --format '{{json .Runtimes}}' | grep -q runsc; then
  log "dockerd is running but does not list the runsc runtime; check $DAEMON_JSON"; exit 1
fi
log "Docker $($SUDO docker version --format '{{.Server.Version}}') with runsc is ready"
