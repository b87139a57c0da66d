#!/usr/bin/env bash
# The one test command (make test; CI runs it through .ci/run). On a fresh Debian/Ubuntu
# machine it installs what it needs: the pinned toolchain in .venv, a Docker engine, the test
# images; then runs every check:
#   lint      shellcheck, yamllint, ansible-lint (production profile), ruff, site.yml syntax
#   unit      pytest: repository tests (templates, role specs, requirements, modules) + service
#   molecule  the scenario of each part of the site, against systemd containers
#   site      the whole site on the demo: check mode on the fresh VPS, make demo (the chart page
#             checked over HTTPS), make demo again (no change), check mode (no change), the
#             whole-site checks of molecule/default, releases and rollback under load, make down
#             (nothing left behind)
# Pass stage names to run only some: scripts/test.sh lint unit
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(lint unit molecule site)
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

# The template tests validate rendered files with the real tools, and the service tests load
# the chart page in Chromium; in CI (CI=true) a test that skips for want of one fails, so
# install them where we can (root on Debian/Ubuntu).
validator_tools() {
  local missing=()
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  command -v apt-config >/dev/null 2>&1 || missing+=(apt)
  command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
  command -v restic >/dev/null 2>&1 || missing+=(restic)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  # The service's chart page test loads the page in a real browser (service/tests/test_browser.py).
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [[ ${#missing[@]} -gt 0 ]] || return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "not installed: ${missing[*]}; the tests that need them skip (fail with CI=true)"
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

# Every scenario of a part of the site; the whole site (default) is the `site` stage's, on the
# demo. MOLECULE_SCENARIOS=default runs it the molecule way instead.
molecule_all() {
  ./scripts/docker-engine.sh || { failed+=(docker-engine); return; }
  ./scripts/build-images.sh || { failed+=(images); return; }
  local scenario parts
  parts="$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' \
    | xargs -n1 basename | grep -vx default | sort)"
  for scenario in ${MOLECULE_SCENARIOS:-$parts}; do
    timed "molecule:${scenario}" molecule test -s "$scenario"
  done
}

# The whole site, once, as a newcomer and an operator meet it: the molecule scenario default's
# containers (the demo's), then `--check` on the fresh VPS (must run through), `make demo`
# (site.yml; the printed URL must serve the chart with a forecast over HTTPS verified against
# the local ACME CA's root), `make demo` again (site.yml must change nothing), `--check` on the
# converged VPS (no change), the whole-site checks (molecule/default/tests, secret-leak test
# included: every run logs to .cache/site-ansible.log with diffs on), the releases under load
# (molecule/default/releases: a new release, a broken one, a rollback), and `make down`, which
# must leave no container, network or /etc/hosts line behind.
site() {
  local status=0 url="https://${DEMO_DOMAIN}:${DEMO_HTTPS_PORT}/" page run_log
  run_log=$(mktemp)
  at_exit rm -f -- "$run_log"
  rm -f .cache/site-ansible.log
  export ANSIBLE_LOG_PATH="${repo_root}/.cache/site-ansible.log" ANSIBLE_DIFF_ALWAYS=true
  if site_up "$run_log"; then
    page=$(curl -sSf --cacert .cache/demo/pebble-root.pem --resolve "${DEMO_DOMAIN}:${DEMO_HTTPS_PORT}:127.0.0.1" "$url") \
      || { echo "site: ${url} does not answer over verified HTTPS"; status=1; }
    grep -qF 'aria-label="load chart"' <<<"$page" \
      || { echo "site: ${url} shows no load chart"; status=1; }
    log "make demo again: site.yml must change nothing"
    ./scripts/demo.sh up | tee "$run_log" || status=1
    unchanged "$run_log" "the second make demo" || status=1
    log "check mode on the converged VPS: no change"
    ansible-playbook site.yml -i inventory/local --check --diff | tee "$run_log" || status=1
    unchanged "$run_log" "check mode on the converged VPS" || status=1
    molecule verify -s default || status=1
    log "releases under load: a new one, a broken one refused, a rollback, the deploy lock"
    PYTHONPATH=molecule/shared/testlib pytest -p no:cacheprovider -s -v molecule/default/releases \
      || status=1
  else
    status=1
  fi
  unset ANSIBLE_LOG_PATH ANSIBLE_DIFF_ALWAYS
  ./scripts/demo.sh down || status=1
  if [[ -n "$(docker ps -aq --filter name=swissenergy-local- --filter name=default-)" ]]; then
    echo "site: make down left containers behind"; status=1
  fi
  if docker network inspect molecule-default >/dev/null 2>&1; then
    echo "site: make down left the molecule-default network behind"; status=1
  fi
  if grep -qF "swissenergy local demo" /etc/hosts; then
    echo "site: make down left its /etc/hosts line behind"; status=1
  fi
  return "$status"
}

# Fresh containers, check mode before anything is installed, then make demo.
site_up() {
  ./scripts/docker-engine.sh && ./scripts/build-images.sh trixie || return 1
  molecule destroy -s default && molecule create -s default && molecule prepare -s default || return 1
  log "check mode on the fresh VPS: must run through"
  ansible-playbook site.yml -i inventory/local --check --diff || return 1
  ./scripts/demo.sh up
}

# The PLAY RECAP line of the VPS in a run's output says changed=0.
unchanged() {
  grep -qE '^swissenergy-local-vps +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$1" && return 0
  echo "site: $2 changed something on the VPS:"
  grep -E '^swissenergy-local-vps +:' "$1" || true
  return 1
}

timed venv ./scripts/bootstrap-venv.sh
# shellcheck disable=SC1091  # .venv is made at run time: nothing to follow when linting
source .venv/bin/activate
export ANSIBLE_FORCE_COLOR=false PY_COLORS=0
export_demo_settings

for stage in "${stages[@]}"; do
  case "$stage" in
    lint) timed lint lint ;;
    unit) timed unit unit ;;
    molecule) molecule_all ;;
    site) timed site site ;;
    *) die "unknown stage '${stage}' (use: lint unit molecule site)" ;;
  esac
done

printf '\n%-28s %s\n' stage seconds
for name in "${!took[@]}"; do printf '%-28s %s\n' "$name" "${took[$name]}"; done | sort
if [[ ${#failed[@]} -gt 0 ]]; then
  printf '\nFAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nall stages passed\n'
