"""One source per shared value (roles/swissenergy): ports changed in an inventory move Caddy's
internal site, the release slots' bindings and Caddy's first upstream, the cron job's URL and
the firewall's loopback-only check together; the placeholder-secret rule is one rule that the
service's start-up check agrees with. Runs the real ansible-playbook with inventory/local's
settings, roles' defaults and templates, against localhost."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import yaml
from localhost_play import REPO_ROOT, ansible_playbook, write_inventory

ROLES = REPO_ROOT / "roles"
MOVED_PORT = 18123
MOVED_SLOTS = {"blue": 18124, "green": 18125}

# Every role's templates that carry a shared value, rendered by the play below.
RENDER = {
    "compose.env": "forecast_service/templates/compose.env.j2",
    "Caddyfile": "caddy/templates/etc/caddy/Caddyfile.j2",
    "upstream": "caddy/templates/etc/caddy/swissenergy-upstream.caddy.j2",
    "update-forecast": "cron/templates/usr/local/bin/swissenergy-update-forecast.j2",
}


def render_with_inventory(tmp_path: Path, overrides: dict) -> dict[str, str]:
    """inventory/local's group_vars plus `overrides`, the roles' own defaults (loaded by
    listing the roles in the play, their tasks skipped), the templates rendered as a run
    would render them."""
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO_ROOT / "inventory" / "local" / "group_vars", inventory / "group_vars")
    (inventory / "group_vars" / "all" / "zz-test.yml").write_text(yaml.safe_dump(overrides))
    write_inventory(inventory / "hosts.yml")
    out = tmp_path / "out"
    out.mkdir()
    tasks = [
        {
            "name": f"Render {name}",
            "ansible.builtin.template": {"src": str(ROLES / src), "dest": str(out / name)},
        }
        for name, src in RENDER.items()
    ] + [
        {
            "name": "Write the firewall's loopback-only ports",
            "ansible.builtin.copy": {
                "content": "{{ firewall_loopback_ports | to_json }}",
                "dest": str(out / "loopback.json"),
            },
        }
    ]
    play = [
        {
            "name": "Settings as the roles see them",
            "hosts": "vps",
            "gather_facts": False,
            "roles": [
                {"role": role, "when": False}
                for role in ("forecast_service", "caddy", "cron", "firewall")
            ],
            "tasks": tasks,
        }
    ]
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    run = ansible_playbook(inventory, playbook)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return {path.name: path.read_text() for path in out.iterdir()}


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> dict[str, str]:
    return render_with_inventory(
        tmp_path_factory.mktemp("moved"),
        {"swissenergy_service_port": MOVED_PORT, "swissenergy_release_ports": MOVED_SLOTS},
    )


def env_file(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def test_compose_publishes_a_slot_on_its_moved_port(moved):
    settings = env_file(moved["compose.env"])
    assert settings["SERVICE_ADDRESS"] == "127.0.0.1"
    # compose.yaml takes the binding from SERVICE_ADDRESS and the slot's port (SLOT_PORT, which
    # forecast_service sets from swissenergy_release_ports), and nothing else.
    compose = yaml.safe_load((REPO_ROOT / "service" / "compose.yaml").read_text())
    (ports,) = [service["ports"] for service in compose["services"].values()]
    assert len(ports) == 1
    binding = ports[0].replace(
        "${SERVICE_ADDRESS:?set SERVICE_ADDRESS in compose.env}", settings["SERVICE_ADDRESS"]
    )
    binding = binding.replace("${SLOT_PORT:?set SLOT_PORT (the slot's port)}", "18124")
    assert binding == "127.0.0.1:18124:80"
    # Every task that passes a release to compose maps it with the one filter
    # (swissenergy_release_env, tested in test_release_env_filter.py) from the shared ports.
    environments = [
        line.split("environment:", 1)[1].strip()
        for path in (
            *(ROLES / "forecast_service/tasks").glob("*.yml"),
            ROLES / "backup/tasks/restore.yml",
        )
        for line in path.read_text().splitlines()
        if "environment:" in line
    ]
    assert len(environments) >= 5
    slot_env = 'environment: "{{ __forecast_service_slot_env }}"'
    for environment in environments:
        assert (
            "swissenergy_release_env(swissenergy_release_ports)" in environment
            or f"environment: {environment}" == slot_env
        ), environment
    assert (
        "| swissenergy_release_env(swissenergy_release_ports)"
        in (ROLES / "forecast_service/tasks/release.yml")
        .read_text()
        .split("__forecast_service_slot_env:", 1)[1]
        .split("__forecast_service_gate", 1)[0]
    )


def test_caddy_serves_the_moved_port_and_proxies_to_the_first_moved_slot(moved):
    internal = moved["Caddyfile"].split(f"http://:{MOVED_PORT} {{\n", 1)[1].split("\n}")[0]
    assert internal.split() == ["bind", "127.0.0.1", "import", "upstream"]
    assert moved["upstream"].splitlines()[-1] == "to 127.0.0.1:18124"
    # `reverse_proxy {` with the active release imported: no address of its own.
    upstreams = [
        line.split()[1:] for line in moved["Caddyfile"].splitlines() if "reverse_proxy" in line
    ]
    assert upstreams == [["{"]], moved["Caddyfile"]


def test_cron_calls_the_moved_port(moved):
    assert f"http://127.0.0.1:{MOVED_PORT}/update-forecast" in moved["update-forecast"]
    assert ":8080" not in moved["update-forecast"]


def test_the_firewall_keeps_the_moved_port_on_loopback(moved):
    loopback_ports = json.loads(moved["loopback.json"])
    assert loopback_ports == [MOVED_PORT, *MOVED_SLOTS.values()]
    exposure = _load(ROLES / "firewall" / "filter_plugins" / "firewall.py")
    problems = exposure.firewall_exposure_problems(
        f'LISTEN 0 5 0.0.0.0:{MOVED_PORT} 0.0.0.0:* users:(("docker-proxy",pid=9,fd=3))\n',
        "",
        [22, 80, 443],
        [],
        loopback_ports,
    )
    assert problems and all(str(MOVED_PORT) in problem for problem in problems), problems


def test_defaults_are_the_documented_ones(tmp_path):
    rendered = render_with_inventory(tmp_path, {})
    assert "http://:8080 {" in rendered["Caddyfile"]
    assert rendered["upstream"].splitlines()[-1] == "to 127.0.0.1:8081"
    assert json.loads(rendered["loopback.json"]) == [8080, 8081, 8082]


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the placeholder-secret rule -------------------------------------------------------------

SECRETS_RULE = _load(ROLES / "swissenergy" / "test_plugins" / "secrets.py")
# Values either rule might treat differently: the lists themselves, case and blanks, the
# shapes (<...>, ${...}, masks), and real-looking keys near them.
CANDIDATES = sorted(
    SECRETS_RULE.PLACEHOLDER_SECRETS
    | {
        " ",
        "CHANGE-ME",
        " ChangeMe ",
        "<your ENTSO-E key>",
        "${ENTSOE_API_KEY}",
        "xxxx",
        "XXXX",
        "****",
        "---",
        "x.x",
        "3f2a9c1e-real-looking-token",
        "changeme2",
        "secret-token-42",
        "xyz",
        "<partial",
        "${PARTIAL",
    }
)


def service_refuses(value: str) -> bool:
    """The service's own start-up check (swissenergy.config.load_settings), which uses
    swissenergy.secrets_rule."""
    from swissenergy.config import ConfigError, load_settings

    try:
        load_settings(entsoe_api_key=value, _env_file=None)
    except ConfigError as error:
        return "ENTSOE_API_KEY" in str(error)
    return False


def test_the_service_refuses_the_values_in_the_playbooks_list():
    from swissenergy.secrets_rule import PLACEHOLDER_SECRETS

    assert PLACEHOLDER_SECRETS == SECRETS_RULE.PLACEHOLDER_SECRETS


@pytest.mark.parametrize("value", CANDIDATES, ids=repr)
def test_playbooks_and_service_refuse_the_same_values(value):
    assert SECRETS_RULE.is_placeholder(value) == service_refuses(value)
