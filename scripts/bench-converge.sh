#!/usr/bin/env bash
# make bench-converge: how long a re-run of site.yml takes when nothing is to change.
# Converges the local demo VPS once (molecule/default's containers, site.yml with inventory/local),
# gives it an SSH login (a key made under .cache/bench, root's authorized_keys, the host key
# pinned), then times RUNS no-op runs of site.yml over SSH and over the docker connection,
# one `--tags caddy` run, one `--check` run and one run that changes one value (the cron
# minute), and prints a table: tasks, changed, wall time min/median/max, seconds per task, and
# the 10 slowest tasks.
# Each timed run starts with an empty fact cache, so fact gathering is part of the figure.
# It uses the demo's containers (make demo, or those of the test command's site stage), so it
# cannot run while either does.
#
#   scripts/bench-converge.sh [--runs N] [--keep] [--base DIR] [--mitogen] [--connections "ssh docker"]
#     --runs N        no-op runs per connection (default 3, or BENCH_RUNS)
#     --keep          leave the VPS up at the end (default: make down, if this run created it)
#     --base DIR      also time the checkout in DIR (e.g. a `git worktree add` of an older
#                     commit) against the same VPS, run for run interleaved with this one
#     --mitogen       also time this checkout with Mitogen for Ansible's strategy
#                     (mitogen_linear; the mitogen package is pinned in requirements-dev.txt)
#     --connections   the connections to time (default "ssh docker")
# The results (JSON per run, the table) stay in .cache/bench/results.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

bench_dir="${repo_root}/.cache/bench"
results="${bench_dir}/results"
vps=swissenergy-local-vps
runs="${BENCH_RUNS:-3}"
keep=false
connections=(ssh docker)
checkouts=("$repo_root")
# Per checkout: the strategy plugin directory to use (empty: Ansible's own linear strategy).
strategies=("")
labels=(this)

parse_args() {
  while (($#)); do
    case "$1" in
      --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
      --keep) keep=true; shift ;;
      --base) checkouts+=("$(cd "${2:?--base needs a directory}" && pwd)"); labels+=(base); strategies+=(""); shift 2 ;;
      --mitogen) checkouts+=("$repo_root"); labels+=(mitogen); strategies+=(mitogen); shift ;;
      --connections) read -ra connections <<<"${2:?--connections needs a list}"; shift 2 ;;
      *) die "unknown argument '$1'; usage: $0 [--runs N] [--keep] [--base DIR] [--mitogen] [--connections 'ssh docker']" ;;
    esac
  done
  [[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs is '${runs}'; give a whole number of runs, 1 or more"
  local checkout
  for checkout in "${checkouts[@]}"; do
    [[ -f "${checkout}/site.yml" ]] || die "${checkout} has no site.yml; --base takes a checkout of this repository"
  done
}

setup_venv() {
  # A venv made by make demo/test is reused as it is; only a fresh clone makes one.
  [[ -x .venv/bin/ansible-playbook ]] || ./scripts/bootstrap-venv.sh
  # shellcheck disable=SC1091  # .venv is made at run time: nothing to follow when linting
  source .venv/bin/activate
  local i mitogen_plugins
  for i in "${!strategies[@]}"; do
    [[ "${strategies[i]}" == mitogen ]] || continue
    mitogen_plugins="$(python -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')" \
      || die "--mitogen needs the mitogen package: pip install -r requirements-dev.txt"
    strategies[i]="${mitogen_plugins}/plugins/strategy"
  done
}

# The VPS and the stand-ins, converged once. Removed at the end only if this run made them.
create_vps() {
  if docker container inspect "$vps" >/dev/null 2>&1; then
    log "${vps} exists: using it (and leaving it up)"
  else
    [[ "$keep" == true ]] || at_exit ./scripts/demo.sh down
    ./scripts/demo.sh create
  fi
  log "converging ${vps} once (site.yml, docker connection)"
  ansible-playbook site.yml -i inventory/local >"${results}/converge.log" 2>&1 \
    || die "the first converge failed; see ${results}/converge.log"
}

# Root logs in with a key made here (the ssh_hardening guard then checks that very key); the
# VPS's host key is pinned from the container, not trusted on first use.
ssh_login() {
  local key="${bench_dir}/id_ed25519" address
  [[ -f "$key" ]] || ssh-keygen -q -t ed25519 -N '' -C swissenergy-bench -f "$key"
  docker exec -i "$vps" sh -c 'install -d -m 0700 /root/.ssh && touch /root/.ssh/authorized_keys &&
    chmod 0600 /root/.ssh/authorized_keys && k="$(cat)" &&
    { grep -qxF "$k" /root/.ssh/authorized_keys || echo "$k" >>/root/.ssh/authorized_keys; }' <"${key}.pub"
  address="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$vps")"
  [[ -n "$address" ]] || die "${vps} has no IP address on its network"
  printf '%s %s\n' "$address" "$(docker exec "$vps" cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" \
    >"${bench_dir}/known_hosts"
  local i
  for i in "${!checkouts[@]}"; do
    local inventory="${bench_dir}/inventory-${labels[i]}"
    mkdir -p "$inventory"
    ln -sfn "${checkouts[i]}/inventory/local/group_vars" "${inventory}/group_vars"
    cat >"${inventory}/hosts.yml" <<YAML
# Made by scripts/bench-converge.sh: the local VPS over SSH, as an operator reaches a VPS;
# the edge and the app host at once, as in inventory/local.
vps:
  children:
    edge:
      hosts:
        ${vps}:
          ansible_connection: ssh
          ansible_host: ${address}
          ansible_user: root
          ansible_ssh_private_key_file: ${key}
          ansible_ssh_common_args: >-
            -o UserKnownHostsFile=${bench_dir}/known_hosts -o StrictHostKeyChecking=yes
          # A real login user now: the lock-out guard checks root's key before sshd changes.
          ssh_hardening_key_guard: true
    app:
      hosts:
        ${vps}:
YAML
  done
  ansible -i "${bench_dir}/inventory-this" vps -m ansible.builtin.ping >/dev/null \
    || die "cannot log in to ${vps} over SSH at ${address}"
}

# One timed run: NAME CHECKOUT_INDEX CONNECTION [ansible-playbook arguments...]. The JSON
# callback's output and the wall time go to results/NAME.json and results/NAME.time.
timed_run() {
  local name="$1" index="$2" connection="$3" inventory facts start end
  shift 3
  if [[ "$connection" == ssh ]]; then
    inventory="${bench_dir}/inventory-${labels[index]}"
  else
    inventory="${checkouts[index]}/inventory/local"
  fi
  local strategy=()
  [[ -z "${strategies[index]}" ]] || strategy=(ANSIBLE_STRATEGY_PLUGINS="${strategies[index]}" ANSIBLE_STRATEGY=mitogen_linear)
  facts="$(mktemp -d "${bench_dir}/facts.XXXXXX")"
  start="$(date +%s.%N)"
  (cd "${checkouts[index]}" && env "${strategy[@]}" ANSIBLE_STDOUT_CALLBACK=ansible.posix.json \
    ANSIBLE_CACHE_PLUGIN_CONNECTION="$facts" ansible-playbook site.yml -i "$inventory" "$@") \
    >"${results}/${name}.json" 2>"${results}/${name}.err" \
    || { rm -rf -- "$facts"; die "run ${name} failed; see ${results}/${name}.json and .err"; }
  end="$(date +%s.%N)"
  rm -rf -- "$facts"
  echo "$start $end" | awk '{ printf "%.2f\n", $2 - $1 }' >"${results}/${name}.time"
  log "${name}: $(cat "${results}/${name}.time") s"
}

# Interleaved (run 1 of every checkout and connection, then run 2, ...) so that the load of
# the shared machine falls on all of them alike.
time_runs() {
  local run connection i minute=20
  for ((run = 1; run <= runs; run++)); do
    for connection in "${connections[@]}"; do
      for i in "${!checkouts[@]}"; do
        timed_run "${labels[i]}.${connection}.noop.${run}" "$i" "$connection"
      done
    done
  done
  for i in "${!checkouts[@]}"; do
    timed_run "${labels[i]}.${connections[0]}.caddy.1" "$i" "${connections[0]}" --tags caddy
    timed_run "${labels[i]}.${connections[0]}.check.1" "$i" "${connections[0]}" --check
  done
  for i in "${!checkouts[@]}"; do
    # A new minute each time, so each run really changes the job.
    timed_run "${labels[i]}.${connections[0]}.cron-minute.1" "$i" "${connections[0]}" -e "cron_update_minute=$((minute + i))"
  done
  # Back to the inventory's minute, so a kept VPS is converged again.
  ansible-playbook site.yml -i inventory/local --tags cron >/dev/null
}

main() {
  parse_args "$@"
  setup_venv
  rm -rf "$results"
  mkdir -p "$results"
  chmod 0700 "$bench_dir"
  create_vps
  [[ " ${connections[*]} " == *" ssh "* ]] && ssh_login
  time_runs
  python scripts/bench_converge_report.py "$results" | tee "${results}/table.md"
}

main "$@"
