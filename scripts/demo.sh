#!/usr/bin/env bash
# make demo / make down: the whole site on a local throw-away "VPS" container.
#   up    set up the toolchain, engine and images; create the VPS container and the local
#         stand-ins (molecule/default, the whole-site test's set-up: Pebble as the ACME CA, fake
#         ENTSO-E and GitHub APIs, an OpenSSH git server); run
#         `ansible-playbook site.yml -i inventory/local`; print the URL.
#   down  remove all of it.
#   create  only the VPS container and the stand-ins, no site.yml (the venv must be active;
#         scripts/bench-converge.sh converges and times it).
# With ENTSOE_API_KEY in the environment the service fetches real data from ENTSO-E (needs
# internet); without it, it serves simulated data from the local stand-in, and says so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

state_dir="${repo_root}/.cache/demo"
hosts_marker="# swissenergy local demo (make down removes this line)"

# The VPS container and the stand-ins, with the images they run (the venv must be active).
create() {
  export_demo_settings
  ./scripts/docker-engine.sh
  ./scripts/build-images.sh trixie
  mkdir -p "$state_dir"
  chmod 0700 "$state_dir"

  log "creating the local VPS container and the stand-ins"
  molecule create -s default
  molecule prepare -s default
}

up() {
  ./scripts/bootstrap-venv.sh
  # shellcheck disable=SC1091  # .venv is made at run time: nothing to follow when linting
  source .venv/bin/activate
  create

  local extra=()
  if [[ -n "${ENTSOE_API_KEY:-}" ]]; then
    # An extra-vars file (0600), not -e: command lines are visible to every user in ps. On
    # disk only for this run's playbook, however the run ends.
    at_exit rm -f -- "${state_dir}/entsoe.yml"
    (umask 077 && printf 'vault_entsoe_api_key: "%s"\nforecast_service_entsoe_base_url: %s\nforecast_service_environment: {}\n' \
      "$ENTSOE_API_KEY" "${ENTSOE_BASE_URL:-https://web-api.tp.entsoe.eu/api}" >"${state_dir}/entsoe.yml")
    extra+=(-e "@${state_dir}/entsoe.yml")
    log "ENTSOE_API_KEY is set: the service fetches real data from ENTSO-E"
  else
    rm -f "${state_dir}/entsoe.yml"
    log "ENTSOE_API_KEY is not set: the demo serves SIMULATED data from a local stand-in of the ENTSO-E API"
  fi

  log "running site.yml against the local VPS"
  ansible-playbook site.yml -i inventory/local "${extra[@]}"

  first_update
  docker exec swissenergy-local-pebble curl -sSf --cacert /etc/pebble/listener-ca.pem \
    https://pebble.test:15000/roots/0 >"${state_dir}/pebble-root.pem"
  if [[ $(id -u) -eq 0 ]] && ! grep -qF "$hosts_marker" /etc/hosts; then
    echo "127.0.0.1 ${DEMO_DOMAIN} ${hosts_marker}" >>/etc/hosts
    log "added ${DEMO_DOMAIN} -> 127.0.0.1 to /etc/hosts"
  fi
  local url="https://${DEMO_DOMAIN}:${DEMO_HTTPS_PORT}/"
  curl -sSf --cacert "${state_dir}/pebble-root.pem" --resolve "${DEMO_DOMAIN}:${DEMO_HTTPS_PORT}:127.0.0.1" \
    -o /dev/null "$url" || die "the chart page does not answer at ${url}"
  cat <<MSG

The forecast service runs on the local VPS container, behind Caddy with a certificate from
the local ACME CA (Pebble):

    ${url}

The certificate chains to Pebble's root, saved in ${state_dir}/pebble-root.pem
(import it into a browser, or: curl --cacert ${state_dir}/pebble-root.pem ${url}).
$([[ -z "${ENTSOE_API_KEY:-}" ]] && echo "The data is SIMULATED (no ENTSOE_API_KEY was set).")
The cron job updates the forecast every hour at minute 15; to update now:
    docker exec swissenergy-local-vps /usr/local/bin/swissenergy-update-forecast
The release running is in https://${DEMO_DOMAIN}:${DEMO_HTTPS_PORT}/health; a changed checkout
is released blue/green behind a health gate, and make rollback goes back to the release before.
Remove everything with: make down
MSG
}

# The chart is empty until a first update has run: start one the way the cron job does (its
# own script, on the VPS) and wait for it, so the printed URL shows a forecast.
first_update() {
  log "publishing a first forecast (the cron job's command, run once now)"
  docker exec swissenergy-local-vps /usr/local/bin/swissenergy-update-forecast \
    || die "the update script failed; see /var/log/swissenergy/update-forecast.log on swissenergy-local-vps"
  local deadline=$((SECONDS + 600)) run
  while ((SECONDS < deadline)); do
    run=$(docker exec swissenergy-local-vps curl -sS "http://${DEMO_SERVICE_ADDRESS}:${DEMO_SERVICE_PORT}/runs/latest") || run=""
    case "$run" in
      *'"status":"succeeded"'*) log "first forecast published"; return 0 ;;
      *'"status":"failed"'*) die "the first update failed: ${run}" ;;
    esac
    sleep 3
  done
  die "the first update did not finish within 10 minutes: ${run}"
}

down() {
  if [[ -x .venv/bin/molecule ]]; then
    # shellcheck disable=SC1091  # .venv is made at run time: nothing to follow when linting
    source .venv/bin/activate
    export_demo_settings
    molecule destroy -s default
  else
    log "no .venv here: nothing was created by make demo from this clone"
  fi
  if grep -qF "$hosts_marker" /etc/hosts 2>/dev/null; then
    # /etc/hosts may be a bind mount (containers): rewrite in place, never replace the file.
    local kept
    kept="$(mktemp)"
    at_exit rm -f -- "$kept"
    grep -vF "$hosts_marker" /etc/hosts >"$kept" && cat "$kept" >/etc/hosts
  fi
  rm -rf "$state_dir"
}

case "${1:-}" in
  up) up ;;
  create) create ;;
  down) down ;;
  *) die "usage: $0 up|create|down" ;;
esac
