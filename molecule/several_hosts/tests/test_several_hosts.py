"""Several hosts through the edge, as a client on the internet sees them: both app hosts
serve, an app host that dies costs no request and rejoins when it is back, a rolling release
goes live on both with no failed request, a release that fails on the first host never reaches
the second, and both hosts publish the same forecast after an update.

The client is the Pebble container (outside the hosts, trusting only what Pebble issued); its
request loop is molecule/shared/testlib/load_client.py. The tests run in file order: each
leaves both app hosts serving."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from load_loop import assert_no_failed_request, fetch_pebble_root, load, on
from operator_play import run_playbook

SCENARIO = Path(__file__).resolve().parents[1]
SETTINGS = yaml.safe_load((SCENARIO / "group_vars" / "all" / "vars.yml").read_text())
DOMAIN = SETTINGS["caddy_domain"]
EDGE = "several-hosts-edge"
APPS = ["several-hosts-app-1", "several-hosts-app-2"]
CLIENT = "several-hosts-client"
APP_ADDRESSES = ["10.231.19.21", "10.231.19.22"]
CLIENT_ROOT = "/tmp/pebble-root.pem"
SOURCE = "/opt/swissenergy/src/service"
CRON_FILE = "/etc/cron.d/swissenergy-update-forecast"
# The service's stable loopback address on each app host (roles/swissenergy defaults).
INTERNAL = "http://127.0.0.1:8080"
FIGURES: list[tuple[str, dict, float]] = []


def playbook(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    """A play of the repository against the scenario's hosts, as an operator runs it."""
    return run_playbook(os.environ["MOLECULE_INVENTORY_FILE"], *args)


def internal(app: str, path: str) -> dict:
    return json.loads(on(app, f"curl -sSf {INTERNAL}{path}"))


def served_requests(app: str) -> int:
    """Requests the app host's active release has answered on the two routes the load client
    alternates (/health, /forecast; its own counter): round robin across two hosts would send
    one route to each."""
    metrics = on(app, f"curl -sSf {INTERNAL}/metrics")
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in metrics.splitlines()
        if line.startswith("swissenergy_http_requests_total{")
        and re.search(r'route="/(health|forecast)"', line)
    )


def wait_ready(app: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (
            on(app, f"curl -s -o /dev/null -w '%{{http_code}}' {INTERNAL}/ready", check=False)
            == "200"
        ):
            return
        time.sleep(3)
    pytest.fail(f"{app} was not ready within {seconds} s")


def run_update_job(app: str) -> None:
    """The app host's cron job, by its own command line; the run it started must succeed."""
    job = on(app, f"tail -n 1 {CRON_FILE}").split(" root ", 1)[1]
    on(app, job)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        run = json.loads(on(app, f"curl -sS {INTERNAL}/runs/latest"))
        if run.get("status") not in ("running", None):
            assert run["status"] == "succeeded", run
            return
        time.sleep(3)
    pytest.fail(f"{app}: the update started by cron's command did not finish in 300 s")


def wait_balanced(seconds: float = 60) -> None:
    """Until the edge sends requests to both app hosts again: its active health check sees a
    host that became ready only at its next interval (caddy_health_interval)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = [served_requests(app) for app in APPS]
        on(
            CLIENT,
            f"for i in $(seq 10); do curl -s -o /dev/null --cacert {CLIENT_ROOT} "
            f"https://{DOMAIN}/forecast; done",
        )
        if all(served_requests(app) > count for app, count in zip(APPS, before, strict=True)):
            return
        time.sleep(2)
    pytest.fail(f"the edge did not balance across both app hosts within {seconds} s")


def releases() -> list[str]:
    return [internal(app, "/health")["release"] for app in APPS]


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[None]:
    fetch_pebble_root(CLIENT, CLIENT_ROOT)
    for app in APPS:
        run_update_job(app)
    for app in APPS:
        wait_ready(app)
    wait_balanced()
    yield
    print("\n| step | requests sent | failed | connection errors | seconds |")
    print("|---|---:|---:|---:|---:|")
    for step, summary, seconds in FIGURES:
        counts = " | ".join(str(summary.get(key, "-")) for key in ("sent", "failed", "errors"))
        print(f"| {step} | {counts} | {seconds:.1f} |")


def test_the_edge_balances_across_both_app_hosts():
    before = [served_requests(app) for app in APPS]
    with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "several-hosts") as summary:
        time.sleep(5)
    FIGURES.append(("both app hosts", summary, summary.get("seconds", 0)))
    assert_no_failed_request(summary)
    after = [served_requests(app) for app in APPS]
    gained = [b - a for a, b in zip(before, after, strict=True)]
    # Round robin: each host takes about half.
    assert all(count >= summary["sent"] // 4 for count in gained), gained


def test_the_app_hosts_service_port_answers_the_edge_over_tls_and_nobody_else():
    """From the client (outside): nothing, not even a refusal (the firewall drops it). From the
    edge: TLS only, and only with the edge's client certificate of the playbook's CA."""
    tls = "/etc/caddy/app-tls"
    for address in APP_ADDRESSES:
        for scheme in ("http", "https"):
            status = on(
                CLIENT,
                f"curl -sk -m 3 -o /dev/null -w '%{{http_code}}' {scheme}://{address}:8080/health",
                check=False,
            )
            assert status == "000", (address, scheme, status)
        with_cert = on(
            EDGE,
            f"curl -sS -m 5 -o /dev/null -w '%{{http_code}}' --cacert {tls}/ca.crt "
            f"--cert {tls}/client.crt --key {tls}/client.key https://{address}:8080/health",
        )
        assert with_cert == "200"
        no_cert = subprocess.run(
            [
                *("docker", "exec", EDGE, "curl", "-sS", "-m", "5", "--cacert", f"{tls}/ca.crt"),
                f"https://{address}:8080/health",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert no_cert.returncode != 0, no_cert.stdout
        # Plain HTTP on that port is no way in either: Caddy answers it with a TLS-only 400.
        plain = on(
            EDGE, f"curl -s -m 5 -o /dev/null -w '%{{http_code}}' http://{address}:8080/health"
        )
        assert plain == "400", plain


def test_each_app_host_updates_on_its_own_minute_and_both_publish_the_same_forecast():
    """Shared-nothing: each app host fetches and forecasts on its own (the fixture ran each
    one's cron job), at its own minute; the same data give the same forecast and ETag."""
    minutes = [on(app, f"tail -n 1 {CRON_FILE}").split()[0] for app in APPS]
    assert minutes == ["15", "20"], minutes
    heads = [on(app, f"curl -sSf -D - -o /tmp/forecast.json {INTERNAL}/forecast") for app in APPS]
    bodies = [json.loads(on(app, "cat /tmp/forecast.json")) for app in APPS]
    etags = [re.search(r"(?im)^etag: *(.+?)\s*$", head).group(1) for head in heads]
    # The content; the row and run ids and the creation time are each host's own.
    keys = ("issue_time", "target_day", "method", "model_version", "points")
    content = [{key: body[key] for key in keys} for body in bodies]
    assert content[0]["points"], bodies[0]
    assert content[0] == content[1]
    assert etags[0] == etags[1], etags
    # An ETag one host gave is current on the other: no refetch when the edge switches hosts.
    status = on(
        APPS[1],
        f"curl -s -o /dev/null -w '%{{http_code}}' -H 'If-None-Match: {etags[0]}' "
        f"{INTERNAL}/forecast",
    )
    assert status == "304", status


def test_an_app_host_that_dies_costs_no_request_and_rejoins_when_it_is_back():
    start = time.monotonic()
    with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "several-hosts") as summary:
        subprocess.run(["docker", "stop", APPS[1]], check=True, capture_output=True, timeout=120)
        time.sleep(10)
    FIGURES.append(("app host 2 stopped", summary, time.monotonic() - start))
    assert_no_failed_request(summary)
    subprocess.run(["docker", "start", APPS[1]], check=True, capture_output=True, timeout=120)
    on(APPS[1], "systemctl is-system-running --wait", check=False, timeout=300)
    # Its engine starts the release again from the volume, with its data: no rebuild, no fetch.
    wait_ready(APPS[1])
    before = served_requests(APPS[1])
    start = time.monotonic()
    with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "several-hosts") as summary:
        time.sleep(15)
    FIGURES.append(("app host 2 back", summary, time.monotonic() - start))
    assert_no_failed_request(summary)
    assert served_requests(APPS[1]) - before >= summary["sent"] // 4


def change_both_checkouts(line: str) -> None:
    for app in APPS:
        on(app, f"echo {line!r} >> {SOURCE}/swissenergy/__init__.py")


def test_a_rolling_release_goes_live_on_both_hosts_with_no_failed_request():
    old = releases()
    assert old[0] == old[1], old
    change_both_checkouts("# several hosts: a rolling release")
    with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "several-hosts") as summary:
        run, seconds = playbook("playbooks/forecast_service.yml")
    FIGURES.append(("rolling release", summary, seconds))
    assert run.returncode == 0, run.stdout[-4000:]
    assert_no_failed_request(summary)
    new = releases()
    assert new[0] == new[1] != old[0], (old, new)
    # One host at a time, each drained at the edge while it switched.
    out = run.stdout
    drained = [
        out.index(f"Write the app hosts each edge balances across: all but {app}") for app in APPS
    ]
    assert drained[0] < drained[1]
    assert out.count("Write the app hosts each edge balances across: every one") >= 2
    # The edge balances across both again.
    assert on(EDGE, "cat /etc/caddy/swissenergy-app-hosts.caddy").splitlines()[-1] == (
        "to 10.231.19.21:8080 10.231.19.22:8080"
    )


def test_a_release_that_fails_on_the_first_host_never_reaches_the_second():
    before = releases()
    # The new code cannot start: its health gate fails on the first app host.
    change_both_checkouts("raise SystemExit('several hosts: a broken release')")
    try:
        with load(CLIENT, f"https://{DOMAIN}/", CLIENT_ROOT, "several-hosts") as summary:
            run, seconds = playbook(
                "playbooks/forecast_service.yml", "-e", "forecast_service_health_timeout=20"
            )
        FIGURES.append(("broken release", summary, seconds))
        assert run.returncode != 0
        # Ansible writes failures to stderr.
        failure = run.stderr.partition(f"fatal: [{APPS[0]}]")[2]
        assert "was not put live" in failure, run.stderr[-3000:]
        # serial: the second host was never started on.
        output = run.stdout + run.stderr
        assert not re.search(rf"(?m)^(changed|ok|fatal): \[{APPS[1]}", output), output[-3000:]
        assert_no_failed_request(summary)
        assert releases() == before
    finally:
        for app in APPS:
            on(app, f"sed -i '$d' {SOURCE}/swissenergy/__init__.py")
