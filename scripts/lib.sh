# Shared helpers for the scripts in this directory; source it, do not run it.
# shellcheck shell=bash

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export repo_root

log() { printf '>> %s\n' "$*" >&2; }

# Clean-ups that run on every way out: success, die, errexit, Ctrl-C, kill. INT and TERM
# become exits so that the EXIT trap runs (once). Register with the command's words:
#   at_exit rm -rf -- "$dir"
# They run last registered first; a failing one does not stop the others.
__cleanups=()
at_exit() { __cleanups+=("$(printf '%q ' "$@")"); }
__run_cleanups() {
  local status=$? i
  for ((i = ${#__cleanups[@]} - 1; i >= 0; i--)); do eval "${__cleanups[i]}" || true; done
  return "$status"
}
trap __run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A docker client that can build with BuildKit (needed for build secrets). Docker's own
# packages ship the buildx plugin; Debian's docker.io 20.10 client has BuildKit built in,
# while a newer standalone client without the plugin refuses DOCKER_BUILDKIT=1.
docker_build() {
  if docker buildx version >/dev/null 2>&1; then
    docker buildx build --load "$@"
  elif [[ -x /usr/bin/docker ]]; then
    DOCKER_BUILDKIT=1 /usr/bin/docker build "$@"
  else
    DOCKER_BUILDKIT=1 docker build "$@"
  fi
}

# Content hash of files/directories: labels images so they are rebuilt only when their
# definition changes.
definition_hash() {
  local path existing=()
  for path in "$@"; do [[ -e "$path" ]] && existing+=("$path"); done
  # File names relative to the repo, so the hash is the same in every clone.
  (cd "$repo_root" && find "${existing[@]#"$repo_root"/}" -type f -print0 | sort -z \
    | xargs -0 sha256sum | sha256sum | cut -c1-16)
}

image_label() {
  docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# The lint stage and the template tests need shellcheck: Debian's package, installed when
# missing where we may (root with apt-get), else a message that says what to install.
ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "shellcheck is missing: apt-get install shellcheck (Debian/Ubuntu) or see https://www.shellcheck.net"
  fi
  log "installing Debian's shellcheck"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq shellcheck >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq shellcheck >/dev/null; } \
    || die "apt-get install shellcheck failed"
}

# The local demo's domain, its published ports and the service's address on the VPS, from
# inventory/local (the one place they are written), exported for scripts/demo.sh,
# scripts/test.sh and molecule/default (its molecule.yml reads DEMO_*). Needs the venv's
# Python (PyYAML).
export_demo_settings() {
  local settings
  settings=$(python "${repo_root}/molecule/shared/testlib/local_settings.py" caddy_domain \
    demo_http_port demo_https_port swissenergy_service_address swissenergy_service_port) \
    || die "cannot read the demo's settings from inventory/local"
  {
    read -r DEMO_DOMAIN
    read -r DEMO_HTTP_PORT
    read -r DEMO_HTTPS_PORT
    read -r DEMO_SERVICE_ADDRESS
    read -r DEMO_SERVICE_PORT
  } <<<"$settings"
  export DEMO_DOMAIN DEMO_HTTP_PORT DEMO_HTTPS_PORT DEMO_SERVICE_ADDRESS DEMO_SERVICE_PORT
}
