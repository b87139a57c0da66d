#!/usr/bin/env bash
# Service benchmarks (print tables; they never gate): read throughput and latency of
# GET /forecast (direct and through Caddy with the caddy role's Caddyfile), update time with
# 3 and 10 years of history, day-ahead accuracy on the Taylor series (pmdarima ships it).
# Traffic goes to 127.0.0.1 only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
./scripts/bootstrap-venv.sh
# The benchmarks' temporary data directories live in one directory of this run's, removed
# however the run ends (Python's own clean-up does not run when it is killed).
TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/swissenergy-bench.XXXXXX")"
at_exit rm -rf -- "$TMPDIR"
export TMPDIR
.venv/bin/pip install --quiet -e "service[bench]"
.venv/bin/python service/bench/bench_api_reads.py
.venv/bin/python service/bench/bench_update.py
.venv/bin/python service/bench/accuracy_taylor.py
