#!/usr/bin/env bash
# Create .venv with the pinned toolchain (requirements-dev.txt) and the service package with
# its test extras. Rebuilt only when those definitions change. Needs Python >= 3.12 (current
# ansible-core does); looks on PATH, then in pyenv.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

venv="${repo_root}/.venv"
stamp="${venv}/.definition"
definition="$(definition_hash "${repo_root}/requirements-dev.txt" "${repo_root}/service/pyproject.toml")"

# The Caddyfile template tests validate every rendering with `caddy validate`: Debian's caddy
# binary, unpacked from its package into the venv (installing the package would start a
# caddy service on this machine's port 80).
install_caddy_binary() {
  [[ -x "${venv}/bin/caddy" ]] && return 0
  local unpack
  unpack="$(mktemp -d)"
  at_exit rm -rf -- "$unpack"
  (
    cd "$unpack"
    apt-get download caddy >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null && apt-get download caddy >/dev/null; } \
      || die "apt-get download caddy failed: the template tests need Debian's or Ubuntu's caddy package"
    dpkg-deb -x caddy_*.deb root
  )
  install -m 0755 "${unpack}/root/usr/bin/caddy" "${venv}/bin/caddy"
  rm -rf "$unpack"
  log "caddy for the template tests: $("${venv}/bin/caddy" version)"
}

if [[ -f "$stamp" && "$(cat "$stamp")" == "$definition" ]]; then
  install_caddy_binary
  ensure_shellcheck
  exit 0
fi

find_python() {
  local candidate
  for candidate in python3.13 python3.12 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 python3; do
    local path
    path="$(command -v "$candidate" 2>/dev/null)" || continue
    # Not the interpreter of the venv about to be replaced (an activated .venv is on PATH).
    [[ "$path" == "$venv"/* ]] && continue
    if "$path" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$path"
      return 0
    fi
  done
  return 1
}

python="$(find_python)" || die "Python >= 3.12 with venv is needed (ansible-core 2.21 requires it).
Install one: apt-get install python3.12-venv (Ubuntu 24.04) / python3 (Debian 13), or pyenv install 3.13."

log "building .venv with $("$python" --version) (pins changed or first run)"
rm -rf "$venv"
"$python" -m venv "$venv"
"${venv}/bin/pip" install --quiet --upgrade pip
"${venv}/bin/pip" install --quiet -r "${repo_root}/requirements-dev.txt"
if [[ -f "${repo_root}/service/pyproject.toml" ]]; then
  "${venv}/bin/pip" install --quiet -e "${repo_root}/service[test]"
fi
install_caddy_binary
ensure_shellcheck
echo "$definition" >"$stamp"
