"""Redirects (module_utils/github_redirects.py) against the fake GitHub API: a renamed
repository is followed within the API for every method, keeping method and body; a redirect
to another origin, without a Location or one too many fails saying what to update, and the
token never reaches another server (a second fake records what arrives there)."""

from __future__ import annotations

import pytest
from ansible.module_utils.github_api import GitHubClient, GitHubError
from ansible.module_utils.github_deploy_keys import DeployKeys
from ansible.module_utils.github_redirects import MAX_REDIRECTS
from fake_github import FakeGitHub, random_ed25519
from gh_support import FULL, OWNER, REPO, TOKEN

NEW = "octo-labs/app-v2"
KEYS = f"/repos/{FULL}/keys"


@pytest.fixture
def other(clock):
    """Another origin (another port of 127.0.0.1): it records every request that arrives."""
    with FakeGitHub(clock=clock.time) as server:
        yield server


@pytest.fixture
def renamed(fake):
    fake.rename_repo(FULL, NEW)
    return fake


def by_old_name(client):
    return DeployKeys(client, OWNER, REPO)


def test_a_renamed_repository_is_listed_across_pages(renamed, client):
    renamed.add_keys(NEW, 150)
    assert len(by_old_name(client).list()) == 150
    seen = [(r["path"], r["status"]) for r in renamed.requests]
    repo_id = renamed.state["repos"][NEW]["id"]
    assert seen == [
        (KEYS, 301),
        (f"/repositories/{repo_id}/keys", 200),
        (f"/repositories/{repo_id}/keys", 200),  # page 2, from the Link header
    ]
    assert client.moved  # the modules warn about it


def test_create_and_delete_follow_307_with_method_and_body(renamed, client):
    api = by_old_name(client)
    key = random_ed25519()
    created = api.create("deploy@vps1", key, True)
    (stored,) = renamed.keys(NEW)
    assert (created["id"], stored["key"], stored["title"]) == (stored["id"], key, "deploy@vps1")
    api.delete(stored["id"])
    assert renamed.keys(NEW) == []
    writes = [(r["method"], r["status"], r["body"]) for r in renamed.write_requests()]
    body = {"title": "deploy@vps1", "key": key, "read_only": True}
    assert writes == [
        ("POST", 307, body),
        ("POST", 201, body),
        ("DELETE", 307, None),
        ("DELETE", 204, None),
    ]
    assert all(r["auth_scheme"] == "Bearer" for r in renamed.requests)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_same_origin_redirects_keep_method_and_body(fake, client, status, method):
    target = f"/repos/{FULL}/keys/moved"
    fake.inject(
        {"method": method, "status": status, "headers": {"Location": fake.url + target}},
        {"method": method, "path": "/moved$", "status": 200, "body": {"ok": True}},
    )
    data = {"title": "t"} if method == "POST" else None
    assert client.request(method, KEYS, data=data)[2] == {"ok": True}
    assert [(r["method"], r["path"], r["body"]) for r in fake.requests] == [
        (method, KEYS, data),
        (method, target, data),
    ]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_redirect_to_another_origin_never_carries_the_token(fake, client, other, status, method):
    location = f"{other.url}/repos/octo-labs/app-v2/keys"
    fake.inject({"method": method, "status": status, "headers": {"Location": location}})
    with pytest.raises(GitHubError) as caught:
        client.request(method, KEYS, data={"title": "t"} if method == "POST" else None)
    assert [r for r in other.requests if r["auth_scheme"]] == []
    assert other.requests == []  # not even without the token
    message = str(caught.value)
    assert caught.value.status == status
    assert "the repository was renamed or transferred: update owner/repo to octo-labs/app-v2" in (
        message
    )
    assert "Unexpected answer" not in message
    assert TOKEN not in message


def test_another_scheme_on_the_same_host_is_another_origin(fake, client):
    fake.inject({"status": 301, "headers": {"Location": fake.url.replace("http:", "https:")}})
    with pytest.raises(GitHubError, match="the token is not sent there"):
        client.paginate(KEYS)
    assert len(fake.requests) == 1


def test_a_redirect_loop_is_bounded(fake, client):
    loop = {"Location": fake.url + KEYS}
    fake.inject({"status": 307, "headers": loop, "times": 50})
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    assert f"more than {MAX_REDIRECTS} times" in str(caught.value)
    assert "update owner/repo to octo/app" in str(caught.value)
    assert len(fake.requests) == MAX_REDIRECTS + 1


def test_a_redirect_without_location_says_what_to_update(fake, client):
    fake.inject({"status": 302})
    with pytest.raises(GitHubError, match="renamed or transferred: update owner/repo"):
        client.paginate(KEYS)


def test_an_id_only_location_on_another_origin_is_named_without_its_query(fake, client, other):
    location = f"{other.url}/repositories/42/keys?per_page=100"
    fake.inject({"status": 301, "headers": {"Location": location}})
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    assert f"{other.url}/repositories/42/keys " in str(caught.value)
    assert "per_page" not in str(caught.value)


def test_github_enterprise_renamed_repository(renamed, clock):
    ghe = GitHubClient(TOKEN, api_url=renamed.url + "/api/v3", sleep=clock.sleep, now=clock.time)
    renamed.add_keys(NEW, 1)
    assert len(by_old_name(ghe).list()) == 1
    assert [r["status"] for r in renamed.requests] == [301, 200]


def test_module_follows_a_rename_and_warns(renamed, run_module, module_args, pubkey):
    result = run_module("github_deploy_key", dict(module_args, title="deploy@vps1", key=pubkey))
    assert result["changed"] is True
    assert [k["title"] for k in renamed.keys(NEW)] == ["deploy@vps1"]
    (warning,) = result["warnings"]
    assert "the repository was renamed or transferred: update owner/repo" in str(warning)
    info = run_module("github_deploy_key_info", module_args)
    assert len(info["keys"]) == 1 and len(info["warnings"]) == 1


def test_module_fails_on_a_transfer_to_another_origin(fake, other, run_module, module_args, pubkey):
    location = f"{other.url}/repos/octo-labs/app-v2/keys"
    fake.inject({"status": 307, "headers": {"Location": location}})
    args = dict(module_args, title="deploy@vps1", key=pubkey)
    result = run_module("github_deploy_key", args)
    assert result["failed"] is True and result["status"] == 307
    assert "update owner/repo to octo-labs/app-v2" in result["msg"]
    assert TOKEN not in result["_raw"]
    assert other.requests == []
