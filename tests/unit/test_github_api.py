"""module_utils/github_api.py against the fake GitHub API over real HTTP."""

from __future__ import annotations

import socket

import pytest
from ansible.module_utils.github_api import (
    API_VERSION,
    GitHubClient,
    GitHubError,
    parse_link_header,
)
from gh_support import FULL, TOKEN

KEYS = f"/repos/{FULL}/keys"


def api_requests(fake):
    return [r for r in fake.requests if r["path"].startswith("/repos/")]


def test_sends_the_contract_headers(fake, client):
    client.paginate(KEYS)
    (seen,) = api_requests(fake)
    assert seen["accept"] == "application/vnd.github+json"
    assert seen["api_version"] == API_VERSION == "2022-11-28"
    assert seen["auth_scheme"] == "Bearer"
    assert seen["user_agent"].startswith("ansible-github-deploy-key/")
    assert seen["query"]["per_page"] == "100"


def test_paginates_past_100_keys_through_link(fake, client):
    fake.add_keys(FULL, 250)
    keys = client.paginate(KEYS)
    assert len(keys) == 250
    assert len({k["id"] for k in keys}) == 250
    pages = [r["query"].get("page", "1") for r in api_requests(fake)]
    assert pages == ["1", "2", "3"]
    assert all(r["query"]["per_page"] == "100" for r in api_requests(fake))


def test_github_enterprise_base_url(fake, clock):
    fake.add_keys(FULL, 101)
    ghe = GitHubClient(TOKEN, api_url=fake.url + "/api/v3/", sleep=clock.sleep, now=clock.time)
    assert len(ghe.paginate(KEYS)) == 101
    assert len(api_requests(fake)) == 2


def test_refuses_to_follow_a_link_to_another_host(fake, client):
    fake.inject(
        {
            "method": "GET",
            "path": "/keys$",
            "status": 200,
            "body": [],
            "headers": {"Link": '<https://evil.example/repos/x/y/keys?page=2>; rel="next"'},
        }
    )
    with pytest.raises(GitHubError, match="refusing to send the token"):
        client.paginate(KEYS)


def test_parse_link_header():
    value = (
        '<https://api.github.com/r/keys?page=2&per_page=100>; rel="next", '
        '<https://api.github.com/r/keys?page=5&per_page=100>; rel="last"'
    )
    assert parse_link_header(value) == {
        "next": "https://api.github.com/r/keys?page=2&per_page=100",
        "last": "https://api.github.com/r/keys?page=5&per_page=100",
    }
    assert parse_link_header(None) == {}


def test_401_says_the_token_is_bad_and_never_shows_it(fake, clock):
    bad = "ghp_WRONGtoken_do_not_print"
    client = GitHubClient(bad, api_url=fake.url, sleep=clock.sleep, now=clock.time)
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    assert caught.value.status == 401
    assert "Bad credentials" in str(caught.value)
    assert "token was rejected" in str(caught.value)
    assert bad not in str(caught.value)
    assert clock.slept == []


def test_403_without_rate_limit_headers_is_a_permission_error_not_retried(fake, client, clock):
    fake.add_token(TOKEN, {FULL: "read"})
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    assert caught.value.status == 403
    assert "may not do this" in str(caught.value)
    assert clock.slept == []
    assert len(api_requests(fake)) == 1


def test_404_says_missing_or_invisible(fake, client):
    with pytest.raises(GitHubError) as caught:
        client.paginate("/repos/octo/nope/keys")
    assert caught.value.status == 404
    assert "cannot see it" in str(caught.value)


def test_5xx_is_retried_with_exponential_backoff_then_succeeds(fake, client, clock):
    fake.inject({"path": "/keys$", "status": 502, "times": 2})
    assert client.paginate(KEYS) == []
    assert clock.slept == [1.0, 2.0]
    assert [r["status"] for r in api_requests(fake)] == [502, 502, 200]


def test_5xx_retries_are_bounded_and_capped(fake, clock):
    fake.inject({"path": "/keys$", "status": 503, "times": 50})
    client = GitHubClient(TOKEN, api_url=fake.url, max_retries=7, sleep=clock.sleep, now=clock.time)
    with pytest.raises(GitHubError, match="Gave up after 8 attempts") as caught:
        client.paginate(KEYS)
    assert caught.value.status == 503
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_secondary_rate_limit_waits_retry_after(fake, client, clock):
    fake.inject(
        {
            "path": "/keys$",
            "status": 403,
            "headers": {"retry-after": "7"},
            "body": {"message": "You have exceeded a secondary rate limit."},
        }
    )
    assert client.paginate(KEYS) == []
    assert clock.slept == [7]


def test_429_with_retry_after_waits_too(fake, client, clock):
    fake.inject({"path": "/keys$", "status": 429, "headers": {"retry-after": "2"}})
    assert client.paginate(KEYS) == []
    assert clock.slept == [2]


def test_secondary_rate_limit_too_long_fails_without_waiting(fake, client, clock):
    fake.inject({"path": "/keys$", "status": 403, "headers": {"retry-after": "600"}})
    with pytest.raises(GitHubError, match="asks to wait 600 s"):
        client.paginate(KEYS)
    assert clock.slept == []


def test_secondary_rate_limit_without_retry_after_waits_a_minute(fake, client, clock):
    fake.inject(
        {
            "path": "/keys$",
            "status": 403,
            "body": {"message": "You have exceeded a secondary rate limit. Please wait."},
        }
    )
    assert client.paginate(KEYS) == []
    assert clock.slept == [60]


def test_primary_rate_limit_waits_for_a_near_reset(fake, client, clock):
    fake.set_rate_limit(remaining=0, reset_in=20)
    assert client.paginate(KEYS) == []
    assert clock.slept == [21]
    assert [r["status"] for r in api_requests(fake)] == [403, 200]


def test_primary_rate_limit_far_reset_fails_saying_when(fake, client, clock):
    fake.set_rate_limit(remaining=0, reset_in=1800)
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    message = str(caught.value)
    assert caught.value.status == 403
    assert "rate limit is used up; it resets at" in message
    assert "UTC (in 31 min)" in message
    assert clock.slept == []


def test_network_errors_are_retried_then_reported(clock):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = GitHubClient(
        TOKEN,
        api_url=f"http://127.0.0.1:{port}",
        max_retries=2,
        sleep=clock.sleep,
        now=clock.time,
    )
    with pytest.raises(GitHubError, match="Could not reach the GitHub API") as caught:
        client.paginate(KEYS)
    assert clock.slept == [1.0, 2.0]
    assert TOKEN not in str(caught.value)


def test_rejects_a_missing_token_and_a_bad_url():
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        GitHubClient("")
    with pytest.raises(GitHubError, match="not an http"):
        GitHubClient(TOKEN, api_url="api.github.com")


def test_token_is_redacted_even_if_github_echoes_it(fake, client):
    fake.inject({"path": "/keys$", "status": 400, "body": {"message": f"what is {TOKEN}?"}})
    with pytest.raises(GitHubError) as caught:
        client.paginate(KEYS)
    assert TOKEN not in str(caught.value)
    assert "********" in str(caught.value)
