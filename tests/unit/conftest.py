"""Fixtures for the unit tests of our GitHub modules and their module_utils.

The modules import ``ansible.module_utils.github_api``; in-process, that name resolves because
the repository's ``module_utils/`` is added to the ``ansible.module_utils`` package path, as
Ansible itself does when it packs a module. The fake GitHub API serves real HTTP on
127.0.0.1 from a thread and shares a fake clock with the client, so waits cost no time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "tests" / "fakes", Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import ansible.module_utils  # noqa: E402

if str(_ROOT / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(_ROOT / "module_utils"))

from ansible.module_utils import github_api  # noqa: E402
from fake_github import FakeGitHub, random_ed25519  # noqa: E402
from gh_support import FULL, OWNER, REPO, TOKEN, FakeClock, ModuleRunner  # noqa: E402


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)


@pytest.fixture
def clock(monkeypatch):
    """A fake clock, also used by every GitHubClient created during the test."""
    fake_clock = FakeClock()
    monkeypatch.setattr(github_api, "_default_sleep", fake_clock.sleep)
    monkeypatch.setattr(github_api, "_default_now", fake_clock.time)
    return fake_clock


@pytest.fixture
def fake(clock):
    """The fake GitHub API with repository octo/app and an admin token for it."""
    server = FakeGitHub(clock=clock.time)
    server.add_repo(FULL)
    server.add_token(TOKEN, {FULL: "admin"})
    with server:
        yield server


@pytest.fixture
def client(fake, clock):
    return github_api.GitHubClient(TOKEN, api_url=fake.url, sleep=clock.sleep, now=clock.time)


@pytest.fixture
def pubkey():
    """A fresh well-formed ed25519 public key line with a comment."""
    return random_ed25519() + " deploy@vps1"


@pytest.fixture
def run_module(capsys):
    return ModuleRunner(capsys)


@pytest.fixture
def module_args(fake):
    """Arguments every test passes to github_deploy_key(_info)."""
    return {"owner": OWNER, "repo": REPO, "token": TOKEN, "api_url": fake.url}
