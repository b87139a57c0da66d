"""The token rule (module_utils/github_token.py) through the client and the modules, against
the fake GitHub API: whitespace around the token is stripped, anything else odd in it is
refused before any request, and no message carries it."""

from __future__ import annotations

import types

import pytest
from ansible.module_utils.github_api import GitHubClient, GitHubError
from ansible.module_utils.github_token import clean_token, module_token
from gh_support import FULL, TOKEN

KEYS = f"/repos/{FULL}/keys"
# What `echo TOKEN | ansible-vault encrypt_string` gives back once decrypted, and kin.
PADDED = [TOKEN + "\n", TOKEN + "\r\n", f"  {TOKEN}\t", f"\n{TOKEN}\n\n"]
# A token cut in two by something that is not part of any token.
BROKEN = [
    TOKEN[:10] + "\n" + TOKEN[10:],
    TOKEN[:10] + "\r" + TOKEN[10:],
    TOKEN[:10] + "\x00" + TOKEN[10:],
    TOKEN[:10] + "\x1b[0m" + TOKEN[10:],
    TOKEN[:10] + "\x7f" + TOKEN[10:],
    TOKEN[:10] + " " + TOKEN[10:],
    TOKEN[:10] + "\u00a0" + TOKEN[10:],
]


def assert_not_quoted(text, token):
    for part in (token, token.strip(), TOKEN[:10], TOKEN[10:]):
        assert part not in text


@pytest.mark.parametrize("padded", PADDED, ids=["lf", "crlf", "spaces-tab", "blank-lines"])
def test_whitespace_around_the_token_is_stripped_and_it_works(fake, clock, padded):
    client = GitHubClient(padded, api_url=fake.url, sleep=clock.sleep, now=clock.time)
    fake.add_keys(FULL, 2)
    assert len(client.paginate(KEYS)) == 2
    (seen,) = fake.requests
    assert (seen["status"], seen["auth_scheme"]) == (200, "Bearer")


@pytest.mark.parametrize("broken", BROKEN, ids=["lf", "cr", "nul", "escape", "del", "sp", "nbsp"])
def test_a_character_inside_the_token_is_refused_without_quoting_it(fake, broken):
    with pytest.raises(GitHubError) as caught:
        GitHubClient(broken, api_url=fake.url)
    message = str(caught.value)
    assert "option token" in message and "GITHUB_TOKEN" in message  # where it came from
    assert "ansible-vault encrypt_string" in message  # the fix
    assert_not_quoted(message, broken)
    assert fake.requests == []


@pytest.mark.parametrize("empty", [None, "", " \n"])
def test_a_missing_or_blank_token_is_refused(empty):
    with pytest.raises(GitHubError, match="No GitHub token"):
        GitHubClient(empty)


def test_a_bad_header_that_slipped_through_is_not_quoted(fake, client):
    # The rule keeps such a token out; should any header value still be refused by
    # http.client, its exception (which quotes the value) must not reach the operator.
    client._token = TOKEN + "\n"
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    assert "Could not send GET" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_stripped_token_is_masked_like_the_given_one():
    module = types.SimpleNamespace(params={"token": f" {TOKEN}\n"}, no_log_values=set())
    assert module_token(module) == TOKEN == clean_token(f"{TOKEN}\n")
    assert TOKEN in module.no_log_values


@pytest.mark.parametrize("name", ["github_deploy_key", "github_deploy_key_info"])
def test_modules_use_a_vaulted_token_with_its_newline(name, fake, run_module, module_args, pubkey):
    args = dict(module_args, token=TOKEN + "\n")
    if name == "github_deploy_key":
        args.update(title="deploy@vps1", key=pubkey)
    result = run_module(name, args)
    assert result.get("failed") is not True, result
    assert TOKEN not in result["_raw"]
    assert [r["status"] for r in fake.requests][-1] in (200, 201)


@pytest.mark.parametrize("name", ["github_deploy_key", "github_deploy_key_info"])
def test_modules_refuse_a_broken_token_naming_the_option(name, fake, run_module, module_args):
    broken = TOKEN[:10] + "\x01" + TOKEN[10:]
    args = dict(module_args, token=broken)
    if name == "github_deploy_key":
        args.update(title="deploy@vps1", state="absent")
    result = run_module(name, args)
    assert result["failed"] is True
    assert "option token" in result["msg"]
    assert_not_quoted(result["_raw"], broken)
    assert fake.requests == []
