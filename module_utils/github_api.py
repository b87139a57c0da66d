# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small GitHub REST API client for our modules.

It only uses Ansible's own URL helpers (``ansible.module_utils.urls``), so the modules need
nothing on the host running them beyond Python and ansible-core.

What it does for its callers:

- sends the headers GitHub expects (``Accept``, ``X-GitHub-Api-Version``, a Bearer token and
  a ``User-Agent``) to a configurable base URL (``https://HOST/api/v3`` on GitHub Enterprise);
- follows ``Link: <...>; rel="next"`` pagination, never to another host than the base URL's;
- follows redirects (a renamed or transferred repository) only within the API's origin, so
  the token never goes elsewhere (module_utils/github_redirects.py);
- retries a bounded number of times: server errors (5xx) and network errors with capped
  exponential backoff, secondary rate limits after ``retry-after`` seconds, the primary rate
  limit until ``x-ratelimit-reset`` when that is near; otherwise it fails saying when it resets;
- turns error answers into messages that say what to do. The token never appears in them:
  it is checked and stripped first (module_utils/github_token.py), so http.client has no
  reason to quote it, and every message is redacted.

Sleeping and the clock are injectable so that tests run fast.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from datetime import datetime, timezone
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.basic import env_fallback
from ansible.module_utils.github_redirects import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    location,
    moved_note,
    refusal,
    too_many,
)
from ansible.module_utils.github_redirects import origin as origin_of
from ansible.module_utils.github_token import TokenError, clean_token, module_token
from ansible.module_utils.urls import Request, make_context

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = f"ansible-github-deploy-key/1.0 (ansible-core {ANSIBLE_VERSION})"
PER_PAGE = 100
MAX_PAGES = 1000

RETRYABLE_STATUSES = frozenset((500, 502, 503, 504))
# GitHub's advice when a secondary rate limit comes without retry-after: wait a minute.
SECONDARY_LIMIT_DEFAULT_WAIT = 60

ADVICE = {
    400: "The request was malformed; this is a bug in the module, please report it.",
    401: "The token was rejected: it is mistyped, expired or revoked. Create a new token and "
    "pass it as token (or in the GITHUB_TOKEN environment variable).",
    403: "The token is valid but may not do this: it lacks the permission or scope, or an "
    "organisation policy forbids it.",
    404: "It does not exist, or this token cannot see it (GitHub answers 404 rather than 403 "
    "for private repositories the token has no access to). Check the owner and repository "
    "names and the token's access.",
    422: "GitHub refused the request as invalid.",
}

_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^,;]+)*)")
_REL_RE = re.compile(r';\s*rel\s*=\s*"?([^";]+)"?')


def _default_sleep(seconds):
    time.sleep(seconds)


def _default_now():
    return time.time()


class GitHubError(Exception):
    """A request to GitHub failed. ``str(error)`` is a message fit for an operator."""

    def __init__(self, msg, status=None, github_message="", errors=None, wait=None):
        super().__init__(msg)
        self.msg = msg
        self.status = status
        self.github_message = github_message
        self.errors = errors or []
        self.wait = wait  # seconds to wait before a retry; None: do not retry

    def __str__(self):
        return self.msg

    def error_messages(self):
        """The ``message`` (or ``code``) of each entry of GitHub's ``errors`` array."""
        found = []
        for entry in self.errors:
            if isinstance(entry, dict):
                found.append(str(entry.get("message") or entry.get("code") or entry))
            else:
                found.append(str(entry))
        return found

    def mentions(self, text):
        """True when GitHub's message or one of its errors contains ``text`` (any case)."""
        text = text.lower()
        return any(text in m.lower() for m in [self.github_message, *self.error_messages()])


def parse_link_header(value):
    """Map each ``rel`` of an RFC 8288 ``Link`` header to its URL."""
    links = {}
    for match in _LINK_RE.finditer(value or ""):
        url, params = match.group(1).strip(), match.group(2)
        for rel in _REL_RE.findall(params):
            for name in rel.split():
                links.setdefault(name.lower(), url)
    return links


def _decode_json(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _utc(epoch):
    # timezone.utc, not datetime.UTC: modules may run on a target's Python older than 3.11.
    utc = timezone.utc  # noqa: UP017
    return datetime.fromtimestamp(epoch, tz=utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _int_header(headers, name):
    value = headers.get(name) if headers is not None else None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def github_argument_spec():
    """The options every module talking to GitHub shares (documented in the doc fragment
    plugins/doc_fragments/github.py)."""
    return {
        "token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["GITHUB_TOKEN"])},
        "api_url": {"type": "str", "default": DEFAULT_API_URL},
        "validate_certs": {"type": "bool", "default": True},
        "timeout": {"type": "int", "default": 30},
    }


def client_for(module):
    """A GitHubClient configured from the options of ``github_argument_spec`` of an
    AnsibleModule; the token is checked and stripped, and its stripped form masked too."""
    params = module.params
    try:
        token = module_token(module)
    except TokenError as exc:
        raise GitHubError(str(exc)) from None
    return GitHubClient(
        token,
        api_url=params["api_url"],
        validate_certs=params["validate_certs"],
        timeout=params["timeout"],
    )


def warn_moved(module, client):
    """One warning when the client followed redirects: the module worked, but its owner/repo
    name the repository by a name GitHub may give to another one some day."""
    if client.moved:
        module.warn(client._redact(moved_note(client.moved[0])))


class GitHubClient:
    """Talks to one GitHub (or GitHub Enterprise Server) REST API with one token."""

    def __init__(
        self,
        token,
        api_url=DEFAULT_API_URL,
        validate_certs=True,
        timeout=30,
        max_retries=5,
        backoff_base=1.0,
        backoff_cap=30.0,
        max_wait=60,
        sleep=None,
        now=None,
    ):
        try:
            self._token = clean_token(token)
        except TokenError as exc:
            raise GitHubError(str(exc)) from None
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self._sleep = sleep or _default_sleep
        self._now = now or _default_now
        self.waits = []  # the seconds slept before retries, in order
        self.moved = []  # the new location of each redirect followed: owner/repo is out of date
        self._request = None
        base = urlsplit(self.api_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise GitHubError(
                f"api_url {self.api_url!r} is not an http(s) URL: GitHub is "
                f"{DEFAULT_API_URL}, GitHub Enterprise Server is https://HOST/api/v3."
            )
        self._origin = origin_of(self.api_url)

    # -- public API ---------------------------------------------------------------------------

    def request(self, method, path, data=None, params=None, what=None, hints=None):
        """Send one request, retrying as needed. Returns ``(status, headers, decoded_body)``.

        ``path`` is relative to the base URL (``/repos/o/r/keys``). ``what`` names the
        resource in error messages (``the deploy keys of o/r``); ``hints`` maps an HTTP status
        to the advice given when it fails so: a string or a function of the GitHubError.
        """
        url = self._url(path, params)
        body = None if data is None else json.dumps(data).encode("utf-8")
        return self._send(method, url, body, what or path, hints or {})

    def paginate(self, path, params=None, what=None, hints=None):
        """GET every page of a list endpoint (``per_page=100``) and return all items."""
        url = self._url(path, {"per_page": PER_PAGE, **(params or {})})
        items, seen = [], set()
        while url:
            if url in seen or len(seen) >= MAX_PAGES:
                raise GitHubError(
                    f"GitHub's pagination of {what or path} does not end "
                    f"(a page came twice, or more than {MAX_PAGES} pages)."
                )
            seen.add(url)
            _status, headers, page = self._send("GET", url, None, what or path, hints or {})
            if not isinstance(page, list):
                raise GitHubError(
                    f"GitHub answered GET {url} with {type(page).__name__}, not a list."
                )
            items.extend(page)
            url = parse_link_header(headers.get("Link")).get("next")
            if url:
                self._check_same_origin(url)
        return items

    # -- internals ----------------------------------------------------------------------------

    def _url(self, path, params=None):
        url = self.api_url + "/" + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(sorted(params.items()))
        return url

    def _check_same_origin(self, url):
        parts = urlsplit(url)
        if origin_of(url) != self._origin:
            raise GitHubError(
                f"GitHub sent a link to {parts.scheme}://{parts.netloc}, which is not the API "
                f"at {self.api_url}; refusing to send the token there."
            )

    def _headers(self):
        return {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {self._token}",
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
        }

    def _http(self):
        """One urls.Request (and one TLS context: loading the CAs is slow) for all requests."""
        if self._request is None:
            self._request = Request(
                headers=self._headers(),
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                http_agent=USER_AGENT,
                # Redirects are followed by _redirect, within the API's origin only.
                follow_redirects="none",
                use_netrc=False,
                context=make_context(validate_certs=self.validate_certs),
            )
        return self._request

    def _redact(self, text):
        return str(text).replace(self._token, "********")

    def _send(self, method, url, body, what, hints):
        attempt = redirects = 0
        while True:
            try:
                response = self._http().open(method, url, data=body)
                return response.status, response.headers, _decode_json(response.read())
            except HTTPError as exc:
                if exc.code in REDIRECT_STATUSES:
                    redirects += 1
                    url = self._redirect(exc, url, method, what, redirects)
                    continue
                error = self._http_error(method, what, exc, hints, attempt)
            except URLError as exc:
                error = self._network_error(url, exc.reason, attempt)
            except (TimeoutError, ConnectionError, HTTPException) as exc:
                error = self._network_error(url, exc, attempt)
            except (ValueError, UnicodeError) as exc:
                # http.client's refusals of a header or URL quote the offending value.
                raise GitHubError(
                    f"Could not send {method} {what}: Python refused the request before "
                    f"sending it ({type(exc).__name__}). Check api_url."
                ) from None
            if error.wait is None:
                raise error
            if attempt >= self.max_retries:
                error.msg += f" Gave up after {attempt + 1} attempts; run again later."
                raise error
            attempt += 1
            self.waits.append(error.wait)
            self._sleep(error.wait)

    def _redirect(self, exc, url, method, what, count):
        """The URL to repeat the request at (same method and body); GitHubError when the
        redirect leaves the API's origin, has no Location or is one too many."""
        exc.close()
        new_url = location(url, exc.headers)
        if new_url is None or origin_of(new_url) != self._origin:
            message = refusal(exc.code, method, what, new_url, self.api_url)
            raise GitHubError(self._redact(message), status=exc.code)
        if count > MAX_REDIRECTS:
            raise GitHubError(self._redact(too_many(method, what, new_url)), status=exc.code)
        self.moved.append(new_url)
        return new_url

    def _backoff(self, attempt):
        return min(self.backoff_cap, self.backoff_base * (2**attempt))

    def _network_error(self, url, reason, attempt):
        host = urlsplit(url).netloc
        if isinstance(reason, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(reason):
            return GitHubError(
                self._redact(
                    f"TLS verification of {host} failed ({reason}). Fix the CA trust on the "
                    "host running the module; set validate_certs=false only for a test server."
                )
            )
        return GitHubError(
            self._redact(
                f"Could not reach the GitHub API at {host}: {reason}. Check api_url, DNS and "
                "the network (a proxy is taken from the https_proxy environment variable)."
            ),
            wait=self._backoff(attempt),
        )

    def _http_error(self, method, what, exc, hints, attempt):
        """Turn an HTTP error answer into a GitHubError, with ``wait`` set when retryable."""
        status, headers = exc.code, exc.headers
        try:
            raw = exc.read()
        except (OSError, ValueError, AttributeError):
            raw = b""
        payload = _decode_json(raw)
        error = GitHubError("", status=status)
        if isinstance(payload, dict):
            error.github_message = str(payload.get("message") or "")
            error.errors = payload.get("errors") or []
        elif raw:
            error.github_message = raw.decode("utf-8", "replace").strip()[:200]

        advice, wait = self._advice(status, headers, error, attempt)
        if advice is None:  # not a rate limit nor a server error: advice by status
            hint = hints.get(status, ADVICE.get(status, "Unexpected answer."))
            advice = hint if isinstance(hint, str) else hint(error)
        detail = error.github_message
        if error.errors:
            detail = f"{detail or 'errors'}: {'; '.join(error.error_messages())}"
        detail = f" ({detail})" if detail else ""
        error.msg = self._redact(f"GitHub answered {status}{detail} to {method} {what}. {advice}")
        error.wait = wait
        return error

    def _advice(self, status, headers, error, attempt):
        """Advice on rate limits and server errors (else None), and how long to wait before
        retrying (None: do not retry)."""
        rate_limited = status in (403, 429)
        retry_after = _int_header(headers, "retry-after")
        remaining = _int_header(headers, "x-ratelimit-remaining")
        reset = _int_header(headers, "x-ratelimit-reset")

        if rate_limited and retry_after is not None:
            if retry_after > self.max_wait:
                advice = (
                    f"Secondary rate limit: GitHub asks to wait {retry_after} s, longer than "
                    f"the {self.max_wait} s this module waits. Run again later and make fewer "
                    "requests in parallel with this token."
                )
                return advice, None
            return f"Secondary rate limit (retry-after {retry_after} s).", max(retry_after, 1)
        if rate_limited and remaining == 0:
            if reset is None:
                return "The token's rate limit is used up. Run again later.", None
            wait = max(0, reset - int(self._now())) + 1
            if wait > self.max_wait:
                advice = (
                    f"The token's primary rate limit is used up; it resets at {_utc(reset)} "
                    f"(in {(wait + 59) // 60} min). Run again after that, or use another token."
                )
                return advice, None
            return f"The token's primary rate limit is used up until {_utc(reset)}.", wait
        if rate_limited and error.mentions("secondary rate limit"):
            if self.max_wait < SECONDARY_LIMIT_DEFAULT_WAIT:
                return "Secondary rate limit. Run again in a minute.", None
            return "Secondary rate limit (no retry-after).", SECONDARY_LIMIT_DEFAULT_WAIT
        if status == 429 or status in RETRYABLE_STATUSES:
            return "GitHub is busy or having trouble.", self._backoff(attempt)
        return None, None
