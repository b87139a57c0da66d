#!/usr/bin/env bash
# The one test command (make test; CI runs it through .ci/run). On a fresh Debian/Ubuntu
# machine it installs what it needs: the pinned toolchain in .venv, a Docker engine, the test
# images; then runs every check:
#   lint      shellcheck, yamllint, ansible-lint (production profile), ruff, site.yml syntax
#   unit      pytest: repository tests (templates, role specs, requirements, modules) + service
#   molecule  every scenario under molecule/, against systemd containers
#   demo      make demo from this clone, the chart page checked over HTTPS, then make down
# Pass stage names to run only some: scripts/test.sh lint unit
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(lint unit molecule demo)
declare -A took=()
failed=()

timed() {
  local name="$1"; shift
  local start=$SECONDS
  log "stage ${name}"
  if "$@"; then
    took[$name]=$((SECONDS - start))
  else
    took[$name]="$((SECONDS - start)) FAILED"
    failed+=("$name")
  fi
}

# Every check runs even after one fails, so one run shows them all. (Functions called from
# `if` run without errexit, hence the explicit status.)
lint() {
  local status=0
  ./scripts/shellcheck.sh || status=1
  yamllint --strict . || status=1
  ansible-lint --profile production || status=1
  ruff check . || status=1
  ruff format --check . || status=1
  ansible-playbook site.yml --syntax-check -i inventory/local || status=1
  ansible-playbook site.yml --syntax-check -i inventory/production || status=1
  return "$status"
}

# The template tests validate rendered files with the real tools; in CI (CI=true) a test
# that skips for want of one fails, so install them where we can (root on Debian/Ubuntu).
validator_tools() {
  local missing=()
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  command -v apt-config >/dev/null 2>&1 || missing+=(apt)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  [[ ${#missing[@]} -gt 0 ]] || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "not installed: ${missing[*]}; the template tests that need them skip"
    return 0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Two runs: each suite has its own conftest module (and service/ its own pytest settings).
# The engine first: service/tests/test_docker_image.py builds and runs the image. -rs lists
# every skip (in CI a skip is a failure, see tests/conftest.py).
unit() {
  local status=0
  ./scripts/docker-engine.sh || status=1
  validator_tools || status=1
  pytest -q -rs tests || status=1
  (cd service && pytest -q -rs) || status=1
  return "$status"
}

molecule_all() {
  ./scripts/docker-engine.sh || { failed+=(docker-engine); return; }
  ./scripts/build-images.sh || { failed+=(images); return; }
  local scenario
  # Every scenario but demo (make demo's container set-up, not a test); default (the whole
  # site) last, after the scenarios of its parts.
  local all
  all="$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -n1 basename \
    | grep -vxE 'demo|default' | sort) default"
  for scenario in ${MOLECULE_SCENARIOS:-$all}; do
    timed "molecule:${scenario}" molecule test -s "$scenario"
  done
}

# The README's first command as a newcomer runs it: the printed URL must serve the chart page
# (with a forecast: the demo publishes a first one) over HTTPS, verified against the local
# ACME CA's root; make down must leave no container, network or /etc/hosts line behind.
demo_smoke() {
  local status=0 page domain port url
  { read -r domain; read -r port; } < <(python molecule/shared/testlib/local_settings.py caddy_domain demo_https_port)
  url="https://${domain}:${port}/"
  if ./scripts/demo.sh up; then
    page=$(curl -sSf --cacert .cache/demo/pebble-root.pem --resolve "${domain}:${port}:127.0.0.1" "$url") \
      || { echo "demo: ${url} does not answer over verified HTTPS"; status=1; }
    grep -qF 'aria-label="load chart"' <<<"$page" \
      || { echo "demo: ${url} shows no load chart"; status=1; }
  else
    status=1
  fi
  ./scripts/demo.sh down || status=1
  if [[ -n "$(docker ps -aq --filter name=swissenergy-local- --filter name=demo-)" ]]; then
    echo "demo: make down left containers behind"; status=1
  fi
  if docker network inspect molecule-demo >/dev/null 2>&1; then
    echo "demo: make down left the molecule-demo network behind"; status=1
  fi
  if grep -qF "swissenergy local demo" /etc/hosts; then
    echo "demo: make down left its /etc/hosts line behind"; status=1
  fi
  return "$status"
}

timed venv ./scripts/bootstrap-venv.sh
# shellcheck disable=SC1091  # .venv is made at run time: nothing to follow when linting
source .venv/bin/activate
export ANSIBLE_FORCE_COLOR=false PY_COLORS=0

for stage in "${stages[@]}"; do
  case "$stage" in
    lint) timed lint lint ;;
    unit) timed unit unit ;;
    molecule) molecule_all ;;
    demo) timed demo demo_smoke ;;
    *) die "unknown stage '${stage}' (use: lint unit molecule demo)" ;;
  esac
done

printf '\n%-28s %s\n' stage seconds
for name in "${!took[@]}"; do printf '%-28s %s\n' "$name" "${took[$name]}"; done | sort
if [[ ${#failed[@]} -gt 0 ]]; then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall stages passed\n'
