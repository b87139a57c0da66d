"""Releases on the demo VPS, from the outside client through Caddy over HTTPS, with a bounded
request loop (20 requests/s, each on a new connection) running through every step:

- a new version (a real change to the service's source, pushed to the git server) is
  released with no failed request; the new release answers, the old container is gone;
- a broken version (its /ready never passes) is refused: the play fails naming the release,
  the check and its log, no request fails, the previous release keeps answering;
- rollback.yml brings back the release before, with no failed request, and site.yml after it
  does not roll forward again;
- a second deploy while one holds the lock waits, then fails naming the holder;
- the update job (cron's command) works after each step.

The test command's `site` stage runs this after the whole-site checks, on the same VPS.
Figures: requests sent and failed, the play's duration and the switch window (the time
between the last answer from the old release and the first from the new one) per step."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from load_loop import assert_no_failed_request, fetch_pebble_root, load, on
from local_settings import local_settings
from operator_play import run_playbook

VPS, CLIENT, GIT = "swissenergy-local-vps", "swissenergy-local-pebble", "swissenergy-local-git"
DOMAIN = local_settings()["caddy_domain"]
INTERNAL = f"http://127.0.0.1:{local_settings()['swissenergy_service_port']}"
CLIENT_ROOT = "/tmp/releases-pebble-root.pem"
CRON_FILE = "/etc/cron.d/swissenergy-update-forecast"
FIGURES: list[tuple[str, dict, float]] = []
# A release that starts and answers /health but whose /ready never passes.
BREAK_READY = """python3 - <<'PY'
from pathlib import Path
source = Path("service/swissenergy/api_ops.py")
ready = 'return json_response({"status": "ready", "forecast_id": fid})'
broken = 'return json_response({"status": "not ready", "reason": "broken on purpose"}, 503)'
assert ready in source.read_text()
source.write_text(source.read_text().replace(ready, broken))
PY"""
LOCK = "/run/lock/swissenergy-deploy"
# What an operator runs to release a new checkout: update it, then release it.
DEPLOY_TAGS = "deploy_key,forecast_service"


def playbook(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    return run_playbook("inventory/local", *args)


def health_release() -> str:
    return json.loads(on(VPS, f"curl -sSf {INTERNAL}/health"))["release"]


def backend_containers() -> list[str]:
    names = on(VPS, "docker ps -a --format '{{.Names}}'").split()
    return sorted(name for name in names if name.startswith("swissenergy-backend"))


def push_change(edit: str, message: str) -> str:
    """Commit `edit` (a shell command in the git server's work tree) and push it to the
    repository deploy_key clones; the release it makes (the service's last commit)."""
    on(
        GIT,
        f"""set -euo pipefail
        cd /srv/site-src
        {edit}
        git add -A
        git -c user.name=release-test -c user.email=release-test@example.invalid \\
          commit --quiet -m {json.dumps(message)}
        git push --quiet origin HEAD:main
        chown -R git: "$(git config --get remote.origin.url)"
        """,
    )
    return on(GIT, "cd /srv/site-src && git log -1 --format=%h --abbrev=12 -- service")


def switch_window(summary: dict, old: str, new: str) -> float | str:
    """Seconds between the last answer from `old` and the first from `new` (negative: both
    answered for a while, as Caddy's graceful reload lets them); '-' if one never answered."""
    seen = summary.get("releases", {})
    if old not in seen or new not in seen:
        return "-"
    return round(seen[new][0] - seen[old][1], 2)


def assert_update_job_works() -> None:
    """Cron's own command line, then the run it started must succeed."""
    job = on(VPS, f"tail -n 1 {CRON_FILE}").split(" root ", 1)[1]
    on(VPS, job)
    log_line = on(VPS, "tail -n 1 /var/log/swissenergy/update-forecast.log")
    assert re.search(r"http_status=(202|409)$", log_line), log_line
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        run = json.loads(on(VPS, f"curl -sS {INTERNAL}/runs/latest"))
        if run["status"] != "running":
            assert run["status"] == "succeeded", run
            return
        time.sleep(3)
    pytest.fail("the update started by cron's command did not finish in 300 s")


def cut_over(step: str, old: str, new: str, *playbook_args: str) -> None:
    """Run the play under load: it must succeed, put `new` live in place of `old` with no
    failed request, and leave one release container; the step's figures are kept."""
    with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "releases") as summary:
        run, seconds = playbook(*playbook_args)
    assert run.returncode == 0, run.stdout[-4000:]
    summary["window"] = switch_window(summary, old, new)
    FIGURES.append((step, summary, seconds))
    assert_no_failed_request(summary)
    assert health_release() == new
    assert len(backend_containers()) == 1, backend_containers()


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[None]:
    fetch_pebble_root(CLIENT, CLIENT_ROOT)
    yield
    print("\n| step | requests sent | failed | connection errors | play (s) | switch window (s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for step, summary, seconds in FIGURES:
        window = summary.get("window", "-")
        counts = " | ".join(str(summary.get(key, "-")) for key in ("sent", "failed", "errors"))
        print(f"| {step} | {counts} | {seconds:.1f} | {window} |")


@pytest.fixture(scope="module")
def releases() -> dict[str, str]:
    """The releases the steps make, by name."""
    return {"first": health_release()}


def test_a_new_release_goes_live_with_no_failed_request(releases):
    releases["second"] = push_change(
        "echo '# release test: a second release' >> service/swissenergy/__init__.py",
        "A second release",
    )
    assert releases["second"] != releases["first"]
    cut_over("release", releases["first"], releases["second"], "site.yml", "--tags", DEPLOY_TAGS)
    assert_update_job_works()


def test_a_release_that_never_gets_ready_is_refused_and_the_last_one_keeps_serving(releases):
    releases["broken"] = push_change(
        BREAK_READY,
        "A release whose /ready never passes",
    )
    with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "releases") as summary:
        run, seconds = playbook(
            "site.yml",
            "--tags",
            DEPLOY_TAGS,
            "-e",
            "forecast_service_health_timeout=20",
        )
    FIGURES.append(("broken release (refused)", summary, seconds))
    assert run.returncode != 0, run.stdout[-4000:]
    assert f"Release {releases['broken']} (slot " in run.stdout, run.stdout[-4000:]
    assert "Health gate: /ready" in run.stdout, run.stdout[-4000:]
    assert "broken on purpose" in run.stdout  # the release's own answer
    assert f"Release {releases['second']} keeps serving." in run.stdout
    assert "Last lines of its log:" in run.stdout and "uvicorn" in run.stdout.lower()
    assert_no_failed_request(summary)
    assert set(summary["releases"]) == {releases["second"]}, summary["releases"]
    assert health_release() == releases["second"]
    assert len(backend_containers()) == 1, backend_containers()
    assert on(VPS, f"test -e {LOCK} && echo held || echo free") == "free"
    assert_update_job_works()


def test_rollback_brings_back_the_release_before(releases):
    kept_image = f"docker image inspect -f '{{{{.Id}}}}' swissenergy-backend:{releases['first']}"
    image_before = on(VPS, kept_image)
    cut_over("rollback", releases["second"], releases["first"], "playbooks/rollback.yml")
    # From the kept image: nothing was built.
    assert on(VPS, kept_image) == image_before
    assert_update_job_works()


def test_site_yml_does_not_roll_forward_after_a_rollback(releases):
    run, _ = playbook("site.yml", "--tags", "forecast_service")
    assert run.returncode == 0, run.stdout[-4000:]
    assert re.search(r"swissenergy-local-vps\s+: ok=\d+\s+changed=0\s", run.stdout), run.stdout[
        -3000:
    ]
    assert "rolled back" in run.stdout
    assert health_release() == releases["first"]


def test_a_second_deploy_waits_for_the_lock_then_names_its_holder(releases):
    on(VPS, f"mkdir {LOCK} && echo 'release-test holder' > {LOCK}/owner")
    try:
        run, seconds = playbook(
            "playbooks/rollback.yml", "-e", "forecast_service_deploy_lock_timeout=10"
        )
    finally:
        on(VPS, f"rm -rf {LOCK}")
    assert run.returncode != 0
    assert "release-test holder" in run.stdout and "did not" in run.stdout, run.stdout[-3000:]
    assert seconds >= 10
    assert health_release() == releases["first"]
