"""The service stack on the VPS: engine, the release in its slot behind Caddy's internal
site, cron refresh, data persistence, a configuration change cut over to the other slot."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from deploy_state import active, container

SCENARIO_DIR = Path(__file__).resolve().parents[1]
SETTINGS = yaml.safe_load((SCENARIO_DIR / "vars" / "scenario.yml").read_text())
CRON_FILE = "/etc/cron.d/swissenergy-update-forecast"
PORT = str(SETTINGS["swissenergy_service_port"])
SLOTS = SETTINGS["swissenergy_release_ports"]


def compose(host) -> str:
    """As an operator runs the active slot's compose project by hand (see compose.yaml)."""
    now = active(host)
    return (
        f"SLOT={now['slot']} SLOT_PORT={SLOTS[now['slot']]} RELEASE={now['release']}"
        f" docker compose -p swissenergy-{now['slot']}"
        " --project-directory /opt/swissenergy/src/service"
        " --env-file /opt/swissenergy/src/service/compose.env"
    )


def get_json(host, path: str) -> tuple[int, dict]:
    result = host.run("curl -s -o /tmp/body -w '%%{http_code}' http://127.0.0.1:%s%s", PORT, path)
    status = int(result.stdout or 0)
    body = host.run("cat /tmp/body").stdout
    try:
        return status, json.loads(body)
    except json.JSONDecodeError:
        return status, {"raw": body}


def wait_healthy(host, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = host.run("docker inspect -f '{{.State.Health.Status}}' %s", container(host))
        if state.stdout.strip() == "healthy":
            return
        time.sleep(3)
    pytest.fail("swissenergy-backend did not become healthy")


def run_converge(*extra: str) -> subprocess.CompletedProcess:
    """Run the scenario's converge playbook again, as molecule does, with -v."""
    return subprocess.run(
        [
            "ansible-playbook",
            "-v",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(SCENARIO_DIR / "converge.yml"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
    )


def changed_tasks(output: str) -> list[str]:
    """Names of the tasks that reported a change, from Ansible's default output."""
    tasks, current = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            current = line[6 : line.rindex("]")]
        elif line.startswith("changed:") and current:
            tasks.append(current)
    return tasks


def test_container_is_healthy_and_runs_as_non_root(host):
    wait_healthy(host)
    configured = host.check_output("docker inspect -f '{{.Config.User}}' %s", container(host))
    assert configured.split(":")[0] not in ("", "root", "0"), configured
    # What the process really runs as (a compose `user:` would override the image's USER).
    uid = host.check_output(
        "docker exec %s python -c 'import os; print(os.getuid())'", container(host)
    )
    assert uid.isdigit() and int(uid) != 0, uid


def test_service_ports_are_bound_to_loopback_only(host):
    listeners = host.check_output("ss -Hltnp")
    # The stable address is Caddy's internal site; the release listens on its slot's port.
    assert re.findall(rf"(\S+):{PORT}\s.*caddy", listeners) == ["127.0.0.1"], listeners
    slot_port = SLOTS[active(host)["slot"]]
    assert re.findall(rf"(\S+):{slot_port}\s", listeners) == ["127.0.0.1"], listeners
    assert host.check_output("docker port %s 80/tcp", container(host)) == f"127.0.0.1:{slot_port}"
    # Nothing is left on the default ports: the bindings really moved.
    assert not re.findall(r":808[012]\s", listeners), listeners


def test_health_names_the_release_the_checkout_holds(host):
    status, body = get_json(host, "/health")
    assert status == 200
    # The scenario's checkout is no git clone: the release is named by its content.
    assert re.fullmatch(r"src-[0-9a-f]{12}", body["release"]), body
    assert body["release"] == active(host)["release"]
    images = host.check_output("docker image ls --format '{{.Tag}}' swissenergy-backend")
    assert images.split() == [body["release"]]


def test_key_is_a_private_secret_file_and_not_in_the_environment(host):
    env = host.file("/opt/swissenergy/src/service/.env")
    assert env.mode == 0o600
    assert env.user == "root"
    key = SETTINGS["service_stack_entsoe_key"]
    assert key not in env.content_string
    secret = host.file("/opt/swissenergy/src/service/secrets/entsoe_api_key")
    assert secret.mode == 0o400
    assert secret.uid == SETTINGS["swissenergy_container_uid"]
    container_uid = host.check_output("docker exec %s id -u", container(host))
    assert container_uid == str(SETTINGS["swissenergy_container_uid"])
    assert secret.content_string == key
    assert key not in host.check_output("docker inspect %s", container(host))


def test_daemon_json_rotates_logs(host):
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["log-driver"] == "json-file"
    assert daemon["log-opts"] == {"max-size": "10m", "max-file": "3"}
    log_config = host.check_output(
        "docker inspect -f '{{json .HostConfig.LogConfig}}' %s", container(host)
    )
    assert json.loads(log_config)["Type"] == "json-file"


def test_containers_cannot_gain_privileges_and_bridge_icc_is_off(host):
    daemon = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert daemon["no-new-privileges"] is True
    assert daemon["icc"] is False
    assert "name=no-new-privileges" in host.check_output(
        "docker info --format '{{json .SecurityOptions}}'"
    )
    # The service still runs under it (its own checks above answer on the published port).
    status = host.check_output(
        "grep NoNewPrivs /proc/$(docker inspect -f '{{.State.Pid}}' %s)/status", container(host)
    )
    assert status.split() == ["NoNewPrivs:", "1"]


def test_cron_entry_is_exactly_as_configured(host):
    lines = [
        line
        for line in host.file(CRON_FILE).content_string.splitlines()
        if line and not line.startswith("#Ansible")
    ]
    assert lines == [
        'MAILTO=""',
        "15 * * * * root /usr/bin/flock -n /run/lock/swissenergy-update-forecast.lock"
        " /usr/local/bin/swissenergy-update-forecast",
    ]
    assert host.service("cron").is_running


def test_the_ping_urls_are_root_only(host):
    pings = host.file("/etc/swissenergy-update-forecast.pings")
    assert (pings.user, pings.group, pings.mode) == ("root", "root", 0o600)
    assert pings.content_string.splitlines() == [
        f"success={SETTINGS['cron_ping_success_url']}",
        "failure=",
    ]
    script = host.file("/usr/local/bin/swissenergy-update-forecast")
    assert "cron-ping-token" not in script.content_string


def test_the_cron_command_produces_a_forecast(host):
    job = host.file(CRON_FILE).content_string.splitlines()[-1]
    command = job.split(" root ", 1)[1]
    host.run_test(command)
    deadline = time.monotonic() + 300
    status, body = get_json(host, "/forecast")
    while status != 200 and time.monotonic() < deadline:
        time.sleep(5)
        status, body = get_json(host, "/forecast")
    assert status == 200, body
    assert body["points"], body
    log = host.file("/var/log/swissenergy/update-forecast.log").content_string
    assert "http_status=202" in log or "http_status=409" in log


def test_data_survives_compose_down_and_up(host):
    status, before = get_json(host, "/forecast")
    assert status == 200, "needs the forecast made by the cron test"
    host.run_test(f"{compose(host)} down")
    host.run_test(f"{compose(host)} up -d")
    wait_healthy(host)
    status, after = get_json(host, "/forecast")
    assert status == 200
    assert after["created_at"] == before["created_at"]


def test_rerun_changes_nothing_and_never_prints_the_key():
    run = run_converge()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"changed=0\s", run.stdout), run.stdout[-3000:]
    assert SETTINGS["service_stack_entsoe_key"] not in run.stdout + run.stderr
    assert "cron-ping-token" not in run.stdout + run.stderr


def test_schedule_change_changes_only_the_cron_entry(host):
    try:
        run = run_converge("-e", "cron_update_minute=45")
        assert run.returncode == 0, run.stdout[-3000:]
        assert changed_tasks(run.stdout) == ["cron : Schedule the hourly update"]
        assert "45 * * * * root" in host.file(CRON_FILE).content_string
    finally:
        restore = run_converge()
        assert restore.returncode == 0, restore.stdout[-3000:]
    assert "15 * * * * root" in host.file(CRON_FILE).content_string


def test_a_configuration_change_is_cut_over_to_the_other_slot(host):
    before = active(host)
    status, forecast = get_json(host, "/forecast")
    assert status == 200, "needs the forecast made by the cron test"
    try:
        environment = {"ENTSOE_ALLOW_INSECURE_HTTP": "true", "HISTORY_START": "2024-01-01"}
        environment |= {"LOG_LEVEL": "warning"}
        run = run_converge("-e", json.dumps({"forecast_service_environment": environment}))
        assert run.returncode == 0, run.stdout[-3000:]
        after = active(host)
        assert after["release"] == before["release"] and after["config"] != before["config"]
        assert after["slot"] != before["slot"]
        # The old slot's container is gone, the new one serves the same forecast.
        names = host.check_output("docker ps -a --format '{{.Names}}'").split()
        assert names == [f"swissenergy-backend-{after['slot']}"], names
        assert get_json(host, "/forecast")[1]["id"] == forecast["id"]
        assert "LOG_LEVEL=warning" in host.file("/opt/swissenergy/src/service/.env").content_string
    finally:
        restore = run_converge()
        assert restore.returncode == 0, restore.stdout[-3000:]
    assert active(host)["slot"] == before["slot"]
