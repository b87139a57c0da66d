"""The fake GitHub API itself: standalone mode with a state file (for an OpenSSH git server
beside it) and the parts of the contract the module tests do not reach."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from ansible.module_utils.github_api import GitHubClient, GitHubError
from fake_github import random_ed25519
from gh_support import FULL, ROOT, TOKEN


def _get(url, headers=None):
    """GET with exactly these headers (http.client adds no User-Agent): (status, text)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request(
            "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {}
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _start(state_file, *extra):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fake_github",
            "--port",
            "0",
            "--state-file",
            str(state_file),
            "--quiet",
            *extra,
        ],
        cwd=ROOT / "tests" / "fakes",
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()
    assert "listening on" in line, line
    return process, line.split()[-1]


def test_standalone_with_state_file(tmp_path):
    state = tmp_path / "state.json"
    process, url = _start(state, "--token", TOKEN, "--repo", FULL)
    key = random_ed25519()
    try:
        client = GitHubClient(TOKEN, api_url=url)
        client.request(
            "POST",
            f"/repos/{FULL}/keys",
            data={"title": "vps", "key": key + " c", "read_only": True},
        )
        stored = json.loads(state.read_text())["repos"][FULL]["keys"]
        assert [k["key"] for k in stored] == [key]
        admin = json.loads(_get(url + "/_admin/keys")[1])
        assert [(k["repo"], k["key"], k["read_only"]) for k in admin] == [(FULL, key, True)]
        lines = _get(url + "/_admin/authorized_keys?command=/usr/local/bin/git-gate")[1]
        assert lines == f'restrict,command="/usr/local/bin/git-gate ro {FULL}" {key}\n'
    finally:
        process.terminate()
        process.wait(timeout=10)
    process, url = _start(state)
    try:
        assert len(GitHubClient(TOKEN, api_url=url).paginate(f"/repos/{FULL}/keys")) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_default_page_size_is_30_and_links_are_complete(fake, client):
    fake.add_keys(FULL, 65)
    status, headers, page = client.request("GET", f"/repos/{FULL}/keys", params={"page": 2})
    assert status == 200
    assert len(page) == 30
    link = headers["Link"]
    for rel in ("prev", "next", "last", "first"):
        assert f'rel="{rel}"' in link
    assert "page=3" in link


def test_requires_user_agent_and_a_supported_api_version(fake):
    url = f"{fake.url}/repos/{FULL}/keys"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, body = _get(url, auth)
    assert status == 403
    assert "User-Agent" in body
    old_version = dict(auth, **{"User-Agent": "t", "X-GitHub-Api-Version": "1999-01-01"})
    assert _get(url, old_version)[0] == 400
    assert _get(url, {"User-Agent": "t"})[0] == 401
    assert _get(url, dict(auth, **{"User-Agent": "t"}))[0] == 200


def test_contract_key_object_and_errors(fake, client):
    key = random_ed25519()
    _status, headers, created = client.request(
        "POST", f"/repos/{FULL}/keys", data={"title": "t", "key": key, "read_only": False}
    )
    assert set(created) == {
        "id",
        "key",
        "url",
        "title",
        "verified",
        "created_at",
        "read_only",
        "added_by",
        "last_used",
        "enabled",
    }
    assert headers["Location"] == created["url"]
    _status, _headers, one = client.request("GET", f"/repos/{FULL}/keys/{created['id']}")
    assert one == created
    with pytest.raises(GitHubError) as caught:
        client.request("POST", f"/repos/{FULL}/keys", data={"title": "t", "key": "nope"})
    assert caught.value.status == 422
    assert caught.value.mentions("key is invalid")
    status, _headers, body = client.request("DELETE", f"/repos/{FULL}/keys/{created['id']}")
    assert (status, body) == (204, None)
    with pytest.raises(GitHubError) as caught:
        client.request("DELETE", f"/repos/{FULL}/keys/{created['id']}")
    assert caught.value.status == 404


def test_meta_serves_githubs_host_keys(client):
    _status, _headers, meta = client.request("GET", "/meta")
    assert any(
        k.startswith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9ok")
        for k in meta["ssh_keys"]
    )
