"""library/github_deploy_key.py and github_deploy_key_info.py, main() run in-process against
the fake GitHub API over real HTTP."""

from __future__ import annotations

import pytest
from fake_github import random_ed25519
from gh_support import FULL, TOKEN


def bare(key):
    return " ".join(key.split()[:2])


def present(module_args, key, **extra):
    return dict(module_args, title="deploy@vps1", key=key, **extra)


def test_creates_a_read_only_key_and_returns_its_id(fake, run_module, module_args, pubkey):
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["changed"] is True
    (stored,) = fake.keys(FULL)
    assert result["key"]["id"] == stored["id"]
    assert result["key"]["read_only"] is True
    assert stored["key"] == bare(pubkey)
    assert stored["title"] == "deploy@vps1"
    assert result["fingerprint"].startswith("SHA256:")
    assert TOKEN not in result["_raw"]


def test_is_idempotent(fake, run_module, module_args, pubkey):
    first = run_module("github_deploy_key", present(module_args, pubkey))
    writes = fake.writes
    second = run_module("github_deploy_key", present(module_args, pubkey))
    assert second["changed"] is False
    assert second["key"]["id"] == first["key"]["id"]
    assert second["deleted_keys"] == []
    assert fake.writes == writes


def test_comment_is_ignored_when_matching(fake, run_module, module_args, pubkey):
    run_module("github_deploy_key", present(module_args, pubkey))
    again = run_module("github_deploy_key", present(module_args, bare(pubkey) + " other@host"))
    assert again["changed"] is False


def test_check_mode_makes_no_write(fake, run_module, module_args, pubkey):
    result = run_module("github_deploy_key", present(module_args, pubkey), check_mode=True)
    assert result["changed"] is True
    assert result["key"]["id"] is None
    assert fake.keys(FULL) == []
    assert fake.writes == 0
    assert fake.write_requests() == []


@pytest.mark.parametrize(
    ("existing", "wanted"),
    [
        ({"read_only": False}, {}),
        ({"title": "old title"}, {}),
        ({}, {"read_only": False}),
    ],
    ids=["read_only-drift", "title-drift", "read_only-false"],
)
def test_drift_is_repaired_by_delete_and_create(
    fake, run_module, module_args, pubkey, existing, wanted
):
    old = fake.add_key(
        FULL, pubkey, **dict({"title": "deploy@vps1", "read_only": True}, **existing)
    )
    result = run_module("github_deploy_key", present(module_args, pubkey, **wanted), diff=True)
    assert result["changed"] is True
    assert [k["id"] for k in result["deleted_keys"]] == [old["id"]]
    (stored,) = fake.keys(FULL)
    assert stored["id"] != old["id"]
    assert stored["read_only"] is wanted.get("read_only", True)
    assert stored["title"] == "deploy@vps1"
    assert [r["method"] for r in fake.write_requests()] == ["DELETE", "POST"]
    assert result["diff"]["before"] != result["diff"]["after"]
    again = run_module("github_deploy_key", present(module_args, pubkey, **wanted))
    assert again["changed"] is False


def test_drift_in_check_mode_makes_no_write(fake, run_module, module_args, pubkey):
    fake.add_key(FULL, pubkey, title="deploy@vps1", read_only=False)
    result = run_module("github_deploy_key", present(module_args, pubkey), check_mode=True)
    assert result["changed"] is True
    assert fake.write_requests() == []
    assert fake.keys(FULL)[0]["read_only"] is False


def test_diff_shows_before_and_after(fake, run_module, module_args, pubkey):
    fake.add_key(FULL, pubkey, title="deploy@vps1", read_only=False)
    diff = run_module("github_deploy_key", present(module_args, pubkey), diff=True)["diff"]
    assert diff["before"] == f"title: deploy@vps1\nkey: {bare(pubkey)}\nread_only: false\n"
    assert diff["after"] == f"title: deploy@vps1\nkey: {bare(pubkey)}\nread_only: true\n"
    absent = run_module(
        "github_deploy_key",
        dict(module_args, key=pubkey, state="absent"),
        diff=True,
        check_mode=True,
    )["diff"]
    assert absent["before"].startswith("title: deploy@vps1")
    assert absent["after"] == ""


def test_finds_its_key_past_the_first_page(fake, run_module, module_args, pubkey):
    fake.add_keys(FULL, 150)
    fake.add_key(FULL, pubkey, title="deploy@vps1", read_only=True)
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["changed"] is False
    assert fake.write_requests() == []
    info = run_module("github_deploy_key_info", module_args)
    assert len(info["keys"]) == 151
    assert info["changed"] is False


def test_absent_removes_by_key_material_only(fake, run_module, module_args, pubkey):
    mine = fake.add_key(FULL, pubkey, title="deploy@vps1")
    other = fake.add_key(FULL, random_ed25519(), title="deploy@vps1")
    args = dict(module_args, key=bare(pubkey) + " comment", state="absent")
    checked = run_module("github_deploy_key", args, check_mode=True)
    assert checked["changed"] is True
    assert fake.write_requests() == []
    result = run_module("github_deploy_key", args)
    assert result["changed"] is True
    assert [k["id"] for k in result["deleted_keys"]] == [mine["id"]]
    assert [k["id"] for k in fake.keys(FULL)] == [other["id"]]
    assert run_module("github_deploy_key", args)["changed"] is False


def test_absent_by_title(fake, run_module, module_args):
    fake.add_key(FULL, random_ed25519(), title="old vps")
    fake.add_key(FULL, random_ed25519(), title="old vps")
    keep = fake.add_key(FULL, random_ed25519(), title="new vps")
    result = run_module("github_deploy_key", dict(module_args, title="old vps", state="absent"))
    assert len(result["deleted_keys"]) == 2
    assert [k["id"] for k in fake.keys(FULL)] == [keep["id"]]


def test_key_path_on_the_module_host(fake, run_module, module_args, pubkey, tmp_path):
    path = tmp_path / "id_ed25519.pub"
    path.write_text(pubkey + "\n")
    result = run_module(
        "github_deploy_key", dict(module_args, title="from file", key_path=str(path))
    )
    assert result["changed"] is True
    assert fake.keys(FULL)[0]["key"] == bare(pubkey)
    missing = run_module(
        "github_deploy_key", dict(module_args, title="x", key_path=str(tmp_path / "nope"))
    )
    assert missing["failed"] is True
    assert "is not a file on the host running the module" in missing["msg"]


def test_key_in_use_elsewhere_fails_with_advice(fake, run_module, module_args, pubkey):
    fake.add_repo("octo/other")
    fake.add_key("octo/other", pubkey)
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["failed"] is True
    assert result["status"] == 422
    assert "key is already in use" in result["msg"]
    assert "give every repository its own key pair" in result["msg"]
    assert TOKEN not in result["_raw"]


def test_user_key_in_use_fails_too(fake, run_module, module_args, pubkey):
    fake.add_user_key(pubkey)
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["status"] == 422
    assert "already registered elsewhere" in result["msg"]


def test_deploy_keys_disabled(fake, run_module, module_args, pubkey):
    fake.add_repo(FULL, deploy_keys_enabled=False)
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["status"] == 422
    assert "disabled" in result["msg"]
    assert "organisation owner must allow them" in result["msg"]


def test_lost_answer_to_a_create_is_recovered(fake, run_module, module_args, pubkey):
    # GitHub creates the key but the answer is lost (502); the retry meets "already in use".
    fake.inject({"method": "POST", "path": "/keys$", "status": 502, "apply": True})
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["changed"] is True
    (stored,) = fake.keys(FULL)
    assert result["key"]["id"] == stored["id"]


@pytest.mark.parametrize(
    ("setup", "status", "phrase"),
    [
        (lambda f: f.add_token(TOKEN, {}), 404, "does not exist, or this token cannot see it"),
        (lambda f: f.add_token(TOKEN, {FULL: "read"}), 403, "may not manage the deploy keys"),
        (
            lambda f: f.add_token("other", {}) or f.state["tokens"].pop(TOKEN),
            401,
            "token was rejected",
        ),
        (lambda f: f.set_rate_limit(0, reset_in=3600), 403, "rate limit is used up; it resets"),
    ],
    ids=["404-invisible", "403-permission", "401-bad-token", "403-rate-limit"],
)
def test_errors_say_what_to_do(fake, run_module, module_args, pubkey, setup, status, phrase):
    setup(fake)
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["failed"] is True
    assert result["status"] == status
    assert phrase in result["msg"]
    assert TOKEN not in result["_raw"]
    assert fake.write_requests() == []


def test_unknown_repository_is_404(fake, run_module, module_args, pubkey):
    result = run_module("github_deploy_key", present(dict(module_args, repo="missing"), pubkey))
    assert result["status"] == 404
    assert "octo/missing" in result["msg"]


def test_5xx_then_success(fake, run_module, module_args, pubkey, clock):
    fake.inject(
        {"method": "GET", "status": 500, "times": 2}, {"method": "POST", "status": 503, "times": 1}
    )
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["changed"] is True
    assert len(fake.keys(FULL)) == 1
    assert clock.slept == [1.0, 2.0, 1.0]


def test_rate_limits_are_waited_out(fake, run_module, module_args, pubkey, clock):
    fake.set_rate_limit(0, reset_in=5)
    fake.inject({"method": "POST", "status": 429, "headers": {"retry-after": "3"}})
    result = run_module("github_deploy_key", present(module_args, pubkey))
    assert result["changed"] is True
    assert clock.slept == [6, 3]


def test_token_from_environment(fake, run_module, module_args, pubkey, monkeypatch):
    args = dict(present(module_args, pubkey))
    del args["token"]
    missing = run_module("github_deploy_key", args)
    assert missing["failed"] is True
    assert "GITHUB_TOKEN" in missing["msg"]
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert run_module("github_deploy_key", args)["changed"] is True


def test_invalid_key_fails_before_any_request(fake, run_module, module_args):
    result = run_module("github_deploy_key", present(module_args, "ssh-ed25519 bm90IGEga2V5"))
    assert result["failed"] is True
    assert result["msg"].startswith("key: ")
    assert fake.requests == []


def test_owner_and_repo_are_checked(fake, run_module, module_args, pubkey):
    result = run_module("github_deploy_key", present(dict(module_args, repo="a/../b"), pubkey))
    assert result["failed"] is True
    assert "repo may only contain" in result["msg"]
    assert fake.requests == []


def test_info_lists_keys_in_check_mode(fake, run_module, module_args):
    fake.add_keys(FULL, 3)
    result = run_module("github_deploy_key_info", module_args, check_mode=True)
    assert [k["title"] for k in result["keys"]] == ["seeded-0", "seeded-1", "seeded-2"]
    assert all(k["url"].startswith(fake.url) for k in result["keys"])


def test_info_reports_errors(fake, run_module, module_args):
    result = run_module("github_deploy_key_info", dict(module_args, token="nope"))
    assert result["failed"] is True
    assert result["status"] == 401
