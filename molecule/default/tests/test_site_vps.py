"""The whole site on the VPS itself."""

from __future__ import annotations

import json
import time

from deploy_state import active, container
from local_settings import service_url

SERVICE = service_url()

testinfra_hosts = ["swissenergy-local-vps"]

CRON_FILE = "/etc/cron.d/swissenergy-update-forecast"


def get_json(host, path: str) -> tuple[int, dict]:
    out = host.check_output("curl -s -o /tmp/site-body -w '%%{http_code}' %s%s", SERVICE, path)
    body = host.file("/tmp/site-body").content_string
    try:
        return int(out), json.loads(body)
    except json.JSONDecodeError:
        return int(out), {"raw": body}


def test_the_service_runs_from_the_deploy_key_checkout(host):
    checkout = "/opt/swissenergy/src"
    assert host.file(f"{checkout}/.git").is_directory
    origin = host.check_output("runuser -u deploy -- git -C %s remote get-url origin", checkout)
    assert "swissenergy/swissenergy.git" in origin
    labels = host.check_output(
        "docker inspect -f '{{ index .Config.Labels \"com.docker.compose.project.working_dir\" }}'"
        " %s",
        container(host),
    )
    assert labels == f"{checkout}/service"
    # The release is the checkout's last commit of the service, and /health says so.
    commit = host.check_output(
        "runuser -u deploy -- git -C %s log -1 --format=%%h --abbrev=12 -- service", checkout
    )
    assert active(host)["release"] == commit
    assert get_json(host, "/health")[1]["release"] == commit


def test_update_route_answers_on_loopback(host):
    status, body = get_json(host, "/update-forecast")
    assert status in (202, 409), body


def test_the_cron_command_updates_the_forecast(host):
    job = host.file(CRON_FILE).content_string.splitlines()[-1]
    _, before = get_json(host, "/runs/latest")
    before_id = before.get("id") or 0  # a 404 body has no id: no run yet
    deadline = time.monotonic() + 300
    # A run may be going on (the previous test started one): the job's 409 is fine, so run it
    # again until a run newer than that one exists, then wait for that run to finish.
    while True:
        host.run_test(job.split(" root ", 1)[1])
        _, latest = get_json(host, "/runs/latest")
        if (latest.get("id") or 0) > before_id:
            break
        assert time.monotonic() < deadline, f"no run newer than {before} started: {latest}"
        time.sleep(5)
    while latest.get("status") == "running" and time.monotonic() < deadline:
        time.sleep(5)
        _, latest = get_json(host, "/runs/latest")
    assert latest["id"] > before_id and latest.get("status") == "succeeded", (before, latest)
    status, forecast = get_json(host, "/forecast")
    assert status == 200 and forecast["points"]


def test_sshd_is_hardened(host):
    settings = host.check_output("sshd -T")
    assert "passwordauthentication no" in settings
    assert "permitemptypasswords no" in settings
    assert "kbdinteractiveauthentication no" in settings


def test_unattended_upgrades_are_enabled(host):
    config = host.check_output("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
