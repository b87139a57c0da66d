"""Helpers shared by the unit tests of our GitHub modules (imported by conftest.py, which puts
this directory, tests/fakes and the repository's module_utils on the import path)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest
from ansible.module_utils import _internal, basic

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_FAKEtoken0123456789abcdefSECRET"
OWNER, REPO = "octo", "app"
FULL = f"{OWNER}/{REPO}"


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self, start=1_800_000_000.0):
        self.now = start
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def load_module(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "library" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ModuleRunner:
    """Runs one of our modules' main() in-process and returns its result dict."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.modules = {}

    def __call__(self, name, args, check_mode=False, diff=False):
        module = self.modules.get(name) or self.modules.setdefault(name, load_module(name))
        payload = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": payload}).encode()
        basic._ANSIBLE_PROFILE = "legacy"
        # A module runs on a target; once another test has imported controller code, warnings
        # would go to the controller's display instead of the result.
        is_controller, _internal.is_controller = _internal.is_controller, False
        self.capsys.readouterr()
        try:
            with pytest.raises(SystemExit):
                module.main()
        finally:
            basic._ANSIBLE_ARGS = None
            basic._ANSIBLE_PROFILE = None
            _internal.is_controller = is_controller
        out = self.capsys.readouterr().out
        result = json.loads(out[out.index("{") :])
        result["_raw"] = out
        return result


def ansible_env(tmp_path):
    """Environment for ansible-playbook runs that use the repository's modules."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("ANSIBLE_") or name.lower() in ("http_proxy", "https_proxy"):
            env.pop(name)
    env.update(
        ANSIBLE_LIBRARY=str(ROOT / "library"),
        ANSIBLE_MODULE_UTILS=str(ROOT / "module_utils"),
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
        ANSIBLE_HOME=str(tmp_path / ".ansible"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible" / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_PIPELINING="true",
        no_proxy="127.0.0.1,localhost",
    )
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    return env
