#!/usr/bin/env bash
# Make sure a Docker engine answers. Where none does and we are root on Debian/Ubuntu
# without systemd as PID 1 (CI, this kind of machine), install Debian's docker.io and start
# dockerd in the background; elsewhere say what to install and stop.
set -euo pipefail

log_file="${DOCKERD_LOG:-/var/log/dockerd-swissenergy.log}"

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "No Docker engine answers. Install Docker Engine (https://docs.docker.com/engine/install/)," >&2
  echo "start it, and make sure this user may use it (docker info must work), then re-run." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo ">> installing Debian's docker.io (no engine found)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if [[ "$(ps -o comm= -p 1 2>/dev/null)" == systemd ]]; then
  systemctl start docker
else
  echo ">> starting dockerd in the background (log: $log_file)"
  # --tls=false: a 20.10 engine otherwise waits ~15 s looking for TLS material.
  nohup dockerd --tls=false >>"$log_file" 2>&1 &
fi

for _ in $(seq 1 60); do
  engine_answers && exit 0
  sleep 1
done
echo "dockerd did not answer within 60 s; see $log_file" >&2
exit 1
