"""The token stays out of the target's logs.

ansible-playbook's output shows module arguments only with INJECT_INVOCATION, so a missing
``no_log`` is invisible there: AnsibleModule writes "Invoked with ..." to journald or syslog on
the target. These tests read the argument specs themselves and capture what AnsibleModule
sends to both log sinks when our modules run."""

from __future__ import annotations

import re
import types

import pytest
from ansible.module_utils import basic
from gh_support import ROOT, TOKEN, load_module

MODULES = sorted(path.stem for path in (ROOT / "library").glob("*.py"))
# Option names that carry a credential; a new secret option must match one of these.
SECRET_OPTION = re.compile(r"token|secret|password|passphrase|private|credential", re.I)


class _Captured(Exception):
    pass


def argument_spec(name, monkeypatch):
    module = load_module(name)
    captured = {}

    def fake_module(**kwargs):
        captured.update(kwargs)
        raise _Captured

    monkeypatch.setattr(module, "AnsibleModule", fake_module)
    with pytest.raises(_Captured):
        module.main()
    return captured["argument_spec"]


def secret_options(spec, prefix=""):
    for option, settings in spec.items():
        if SECRET_OPTION.search(option):
            yield prefix + option, settings
        yield from secret_options(settings.get("options") or {}, f"{prefix}{option}.")


def test_library_has_modules():
    assert MODULES == ["github_deploy_key", "github_deploy_key_info"]


@pytest.mark.parametrize("name", MODULES)
def test_every_secret_option_is_no_log(name, monkeypatch):
    secrets = dict(secret_options(argument_spec(name, monkeypatch)))
    assert "token" in secrets  # the pattern finds what it must
    for option, settings in secrets.items():
        assert settings.get("no_log") is True, f"{name}: option {option} lacks no_log=True"


class LogSinks:
    """Stands in for journald and syslog as AnsibleModule.log uses them."""

    def __init__(self):
        self.records: list[str] = []

    def journal_send(self, **fields):
        self.records.append(repr(fields))

    def syslog(self, *args):
        self.records.append(repr(args))


@pytest.fixture(params=["journald", "syslog"])
def log_sinks(request, monkeypatch):
    sinks = LogSinks()
    fake_syslog = types.SimpleNamespace(
        LOG_USER=8, LOG_INFO=6, openlog=lambda *args: None, syslog=sinks.syslog
    )
    monkeypatch.setattr(basic, "HAS_SYSLOG", True)
    monkeypatch.setattr(basic, "syslog", fake_syslog, raising=False)
    monkeypatch.setattr(basic, "has_journal", request.param == "journald")
    monkeypatch.setattr(
        basic, "journal", types.SimpleNamespace(send=sinks.journal_send), raising=False
    )
    return sinks


@pytest.mark.parametrize("name", MODULES)
def test_logged_invocation_masks_the_token(name, log_sinks, run_module, module_args, pubkey):
    args = (
        dict(module_args, title="deploy@vps1", key=pubkey)
        if name == "github_deploy_key"
        else module_args
    )
    result = run_module(name, args)
    assert result.get("failed") is not True, result
    invocations = [record for record in log_sinks.records if "Invoked with" in record]
    assert len(invocations) == 1, log_sinks.records  # the capture sees what AnsibleModule logs
    assert "token" in invocations[0]
    assert TOKEN not in "\n".join(log_sinks.records)
