"""A fake of GitHub's REST API for deploy keys, served over real HTTP.

Faithful to ``shared/contracts/github-deploy-keys.md``: the endpoints, the key objects, the
pagination (``per_page`` default 30, max 100, ``Link`` header), the errors (401 bad token, 403
missing permission or rate limit, 404 missing or invisible repository, 422 invalid key, key
already in use, deploy keys disabled) and the rate-limit headers. Faults (5xx, secondary rate
limits, ...) are injected through ``/_admin``.

Nothing here needs more than the standard library, so it runs in a bare ``python3`` container:
``python -m fake_github --host 0.0.0.0 --port 8081 --state-file /data/state.json``.

Admin endpoints (no authentication; bind it to a private address):

- ``GET /_admin/state`` / ``PUT /_admin/state``: the whole state as JSON.
- ``POST /_admin/repos`` ``{"name": "o/r", "private": true, "deploy_keys_enabled": true}``
- ``POST /_admin/tokens`` ``{"token": "T", "login": "ci", "repos": {"o/r": "admin"}}``;
  access is ``admin`` (may manage deploy keys) or ``read``/``write`` (may not).
- ``GET /_admin/keys[?repo=o/r]``: every registered deploy key with its repository.
- ``POST /_admin/keys`` ``{"repo": "o/r", "key": "...", "title": "t", "read_only": true}`` or
  ``{"repo": "o/r", "count": 150}`` (random ed25519 keys) to seed keys without the API.
- ``GET /_admin/authorized_keys[?repo=o/r][&command=/usr/local/bin/gate]``: the registered
  keys as OpenSSH authorized_keys lines, for an ``AuthorizedKeysCommand``. With ``command``
  each line is ``restrict,command="COMMAND ro|rw OWNER/REPO" KEY``.
- ``POST /_admin/user_keys`` ``{"key": "..."}``: a key registered to a user account.
- ``POST /_admin/renames`` ``{"from": "o/r", "to": "o2/r2"}``: rename or transfer a repository;
  its old name then redirects as GitHub's does (``renames.py``).
- ``POST /_admin/faults`` ``{"method": "GET", "path": "regex", "status": 502, "times": 2,
  "headers": {...}, "body": {...}, "ratelimit_reset_in": 30, "apply": false}`` (one dict or
  a list): the next matching requests get this answer instead; with ``apply`` the request is
  carried out first (an answer lost on the way back).
- ``POST /_admin/rate_limit`` ``{"remaining": 0, "reset_in": 30, "limit": 5000}``.
- ``GET /_admin/requests`` / ``DELETE /_admin/requests``: the API requests seen (method,
  path, query, headers without the token, status), ``GET /_admin/writes``: their count of
  POST and DELETE requests carried out.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import os
import re
import secrets
import struct
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from . import renames

SUPPORTED_API_VERSIONS = ("2022-11-28",)
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
DOCS = "https://docs.github.com/rest"
# GitHub's published SSH host keys, as GET /meta serves them.
GITHUB_HOST_KEYS = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7"
    "opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gv"
    "wnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/h"
    "WCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY"
    "7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT"
    "4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/Y"
    "kOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
]
_KEYS_RE = re.compile(r"^/repos/([^/]+)/([^/]+)/keys(?:/([^/]+))?/?$")


def random_ed25519():
    """A well-formed ed25519 public key (random material), as GitHub stores it."""
    name = b"ssh-ed25519"
    point = secrets.token_bytes(32)
    blob = struct.pack(">I", len(name)) + name + struct.pack(">I", len(point)) + point
    return "ssh-ed25519 " + base64.b64encode(blob).decode("ascii")


def parse_public_key(text):
    """``TYPE BASE64`` for a valid public key line (comment dropped), else None."""
    fields = str(text or "").split()
    if len(fields) < 2 or fields[0] not in KEY_TYPES:
        return None
    try:
        blob = base64.b64decode(fields[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        if blob[4 : 4 + length].decode("ascii") != fields[0]:
            return None
    except (binascii.Error, struct.error, UnicodeDecodeError):
        return None
    return f"{fields[0]} {fields[1]}"


def empty_state():
    return {
        "next_id": 1,
        "tokens": {},
        "repos": {},
        "user_keys": [],
        "rate_limit": {"limit": 5000, "remaining": 5000, "reset": 0, "window": 3600},
        "faults": [],
        "meta": {"ssh_keys": list(GITHUB_HOST_KEYS)},
        "writes": 0,
    }


class ApiError(Exception):
    def __init__(self, status, message, errors=None, headers=None):
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "documentation_url": DOCS, "status": str(status)}
        if errors:
            self.body["errors"] = errors
        self.headers = headers or {}


def key_validation_failed(message, rate):
    """GitHub's 422 for a deploy key it refuses: one custom error on the field ``key``."""
    error = {"resource": "PublicKey", "code": "custom", "field": "key", "message": message}
    return ApiError(422, "Validation Failed", errors=[error], headers=rate)


class FakeGitHub:
    """The fake's state and behaviour; ``start()`` serves it on a thread."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        state=None,
        state_file=None,
        clock=None,
        ssl_context=None,
        log=None,
    ):
        self.host = host
        self.port = port
        self.state_file = state_file
        self.clock = clock or time.time
        self.ssl_context = ssl_context
        self.log = log
        self.lock = threading.RLock()
        self.requests = []
        self.state = empty_state()
        if state_file and os.path.exists(state_file):
            with open(state_file, encoding="utf-8") as handle:
                self.state.update(json.load(handle))
        if state:
            self.state.update(copy.deepcopy(state))
        self._server = None
        self._thread = None

    # -- lifecycle ------------------------------------------------------------------------

    def make_server(self):
        fake = self

        class Handler(_Handler):
            app = fake

        server = ThreadingHTTPServer((self.host, self.port), Handler)
        server.daemon_threads = True
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.port = server.server_address[1]
        return server

    def start(self):
        self.make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-github",
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        scheme = "https" if self.ssl_context is not None else "http"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{scheme}://{host}:{self.port}"

    # -- state helpers (also used by the admin endpoints) ---------------------------------

    def save(self):
        if not self.state_file:
            return
        directory = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fake_github.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.state, handle, indent=2, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.state_file)

    def add_repo(self, name, private=True, deploy_keys_enabled=True):
        with self.lock:
            repo = self.state["repos"].setdefault(name, {"keys": []})
            repo.update(private=private, deploy_keys_enabled=deploy_keys_enabled)
            self.save()

    def add_token(self, token, repos, login="octo-bot"):
        with self.lock:
            self.state["tokens"][token] = {"login": login, "repos": dict(repos)}
            self.save()

    def add_key(self, repo, key, title="seeded", read_only=True, added_by="octo-bot"):
        with self.lock:
            stored = self._new_key(repo, parse_public_key(key) or key, title, read_only, added_by)
            self.save()
            return stored

    def add_keys(self, repo, count, prefix="seeded"):
        return [self.add_key(repo, random_ed25519(), f"{prefix}-{i}") for i in range(count)]

    def rename_repo(self, old, new):
        with self.lock:
            repo_id = self.state["next_id"]
            self.state["next_id"] += 1
            renames.rename(self.state, old, new, repo_id)
            self.save()

    def add_user_key(self, key):
        with self.lock:
            self.state["user_keys"].append(parse_public_key(key) or key)
            self.save()

    def inject(self, *faults):
        with self.lock:
            for fault in faults:
                self.state["faults"].append(dict({"times": 1}, **fault))
            self.save()

    def set_rate_limit(self, remaining, reset_in=3600, limit=None):
        with self.lock:
            rate = self.state["rate_limit"]
            rate.update(remaining=remaining, reset=int(self.clock()) + int(reset_in))
            if limit is not None:
                rate["limit"] = limit
            self.save()

    def keys(self, repo):
        with self.lock:
            return copy.deepcopy(self.state["repos"][repo]["keys"])

    def all_keys(self, repo=None):
        with self.lock:
            found = []
            for name, data in sorted(self.state["repos"].items()):
                if repo is None or name == repo:
                    for key in data["keys"]:
                        found.append(dict(key, repo=name))
            return found

    def authorized_keys(self, repo=None, command=None):
        lines = []
        for key in self.all_keys(repo):
            mode = "ro" if key["read_only"] else "rw"
            if command:
                lines.append(f'restrict,command="{command} {mode} {key["repo"]}" {key["key"]}')
            else:
                lines.append(f"{key['key']} {key['repo']} {mode} {key['title']}")
        return "".join(line + "\n" for line in lines)

    @property
    def writes(self):
        return self.state["writes"]

    def write_requests(self):
        return [r for r in self.requests if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]

    # -- API behaviour --------------------------------------------------------------------

    def _now_iso(self):
        return datetime.fromtimestamp(self.clock(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _new_key(self, repo, key, title, read_only, added_by):
        key_id = self.state["next_id"]
        self.state["next_id"] += 1
        stored = {
            "id": key_id,
            "key": key,
            "url": f"/repos/{repo}/keys/{key_id}",
            "title": title,
            "verified": True,
            "created_at": self._now_iso(),
            "read_only": read_only,
            "added_by": added_by,
            "last_used": None,
            "enabled": True,
        }
        self.state["repos"][repo]["keys"].append(stored)
        return stored

    def _take_fault(self, method, path):
        for fault in self.state["faults"]:
            if fault.get("method") and fault["method"].upper() != method:
                continue
            if fault.get("path") and not re.search(fault["path"], path):
                continue
            fault["times"] -= 1
            if fault["times"] <= 0:
                self.state["faults"].remove(fault)
            return fault
        return None

    def _rate_headers(self):
        rate = self.state["rate_limit"]
        now = int(self.clock())
        if rate["reset"] <= now:
            rate.update(remaining=rate["limit"], reset=now + rate.get("window", 3600))
        return {
            "x-ratelimit-limit": str(rate["limit"]),
            "x-ratelimit-remaining": str(rate["remaining"]),
            "x-ratelimit-reset": str(rate["reset"]),
            "x-ratelimit-used": str(rate["limit"] - rate["remaining"]),
            "x-ratelimit-resource": "core",
        }

    def api(self, method, path, query, headers, body, base_url):
        """Handle one API request. Returns (status, headers, body object or None)."""
        fault = self._take_fault(method, path)
        if fault is not None and fault.get("apply"):
            # Carry the request out, then answer as the fault says (a lost answer).
            with contextlib.suppress(ApiError):
                self._api(method, path, query, headers, body, base_url)
        if fault is not None:
            out = dict(fault.get("headers") or {})
            if "ratelimit_reset_in" in fault:
                out.update(
                    {
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-limit": "5000",
                        "x-ratelimit-reset": str(
                            int(self.clock()) + int(fault["ratelimit_reset_in"])
                        ),
                    }
                )
            status = int(fault.get("status", 500))
            default = {"message": "fault injected", "documentation_url": DOCS}
            return status, out, fault.get("body", default)

        return self._api(method, path, query, headers, body, base_url)

    def _api(self, method, path, query, headers, body, base_url):
        if not headers.get("user-agent"):
            raise ApiError(
                403,
                "Request forbidden by administrative rules. Please make sure "
                "your request has a User-Agent header (https://docs.github.com/"
                "en/rest/overview/resources-in-the-rest-api#user-agent-required)."
                " Check https://developer.github.com for other possible causes.",
            )
        version = headers.get("x-github-api-version")
        if version and version not in SUPPORTED_API_VERSIONS:
            raise ApiError(400, f"API version {version} is not supported.")

        if path == "/meta" and method == "GET":
            return (
                200,
                {},
                {
                    "ssh_keys": self.state["meta"]["ssh_keys"],
                    "verifiable_password_authentication": False,
                },
            )

        moved = renames.redirect(self.state, method, path)
        if moved is not None:
            self._token(headers.get("authorization"))
            status, new_path = moved
            target = base_url + new_path + (f"?{urlencode(query)}" if query else "")
            text = "Moved Permanently" if status == 301 else "Temporary Redirect"
            error = ApiError(status, text, headers={"Location": target})
            error.body.update(url=target, documentation_url=renames.REDIRECT_DOCS)
            raise error
        match = _KEYS_RE.match(renames.by_name(self.state, path))
        if not match:
            raise ApiError(404, "Not Found")
        owner, name, key_id = match.groups()
        repo_name = f"{owner}/{name}"

        token = self._token(headers.get("authorization"))
        rate = self._rate_headers()
        if self.state["rate_limit"]["remaining"] <= 0:
            raise ApiError(
                403,
                "API rate limit exceeded for user ID 1. If you reach out to "
                "GitHub Support for help, please include the request ID.",
                headers=rate,
            )
        self.state["rate_limit"]["remaining"] -= 1
        rate = self._rate_headers()

        repo = self.state["repos"].get(repo_name)
        access = token["repos"].get(repo_name) or token["repos"].get("*")
        if repo is None or (access is None and repo.get("private", True)):
            raise ApiError(404, "Not Found", headers=rate)
        if access != "admin":
            raise ApiError(403, "Resource not accessible by personal access token", headers=rate)

        if key_id is None and method == "GET":
            return self._list(repo, query, rate, base_url, path)
        if key_id is None and method == "POST":
            return self._create(repo_name, repo, body, token, rate, base_url)
        if key_id is not None and method in ("GET", "DELETE"):
            found = next((k for k in repo["keys"] if str(k["id"]) == key_id), None)
            if found is None:
                raise ApiError(404, "Not Found", headers=rate)
            if method == "GET":
                return 200, rate, self._public(found, base_url)
            repo["keys"].remove(found)
            self.state["writes"] += 1
            self.save()
            return 204, rate, None
        raise ApiError(404, "Not Found", headers=rate)

    def _token(self, authorization):
        if not authorization:
            raise ApiError(401, "Requires authentication")
        scheme, _, value = authorization.partition(" ")
        token = self.state["tokens"].get(value.strip())
        if scheme.lower() not in ("bearer", "token") or token is None:
            raise ApiError(401, "Bad credentials")
        return token

    @staticmethod
    def _public(key, base_url):
        return dict(key, url=base_url + key["url"])

    def _list(self, repo, query, rate, base_url, path):
        try:
            per_page = min(max(int(query.get("per_page", 30)), 1), 100)
            page = max(int(query.get("page", 1)), 1)
        except ValueError as exc:
            raise ApiError(422, "Invalid request.", headers=rate) from exc
        keys = sorted(repo["keys"], key=lambda k: k["id"])
        last = max(1, -(-len(keys) // per_page))
        chunk = keys[(page - 1) * per_page : page * per_page]
        links = []

        def link(number, rel):
            params = dict(query, per_page=per_page, page=number)
            links.append(f'<{base_url}{path}?{urlencode(params)}>; rel="{rel}"')

        if page > 1:
            link(page - 1, "prev")
        if page < last:
            link(page + 1, "next")
            link(last, "last")
        if page > 1:
            link(1, "first")
        headers = dict(rate)
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, [self._public(k, base_url) for k in chunk]

    def _create(self, repo_name, repo, body, token, rate, base_url):
        if not isinstance(body, dict):
            raise ApiError(400, "Problems parsing JSON", headers=rate)
        key = parse_public_key(body.get("key"))
        if key is None:
            raise key_validation_failed(
                "key is invalid. You must supply a key in OpenSSH public key format", rate
            )
        if not repo.get("deploy_keys_enabled", True):
            raise key_validation_failed("Deploy keys are disabled for this repository", rate)
        in_use = key in self.state["user_keys"] or any(
            k["key"] == key for r in self.state["repos"].values() for k in r["keys"]
        )
        if in_use:
            raise key_validation_failed("key is already in use", rate)
        read_only = body.get("read_only", False)
        if not isinstance(read_only, bool):
            raise ApiError(
                422,
                "Invalid request.\n\nFor 'properties/read_only', "
                f"{json.dumps(read_only)} is not a boolean.",
                headers=rate,
            )
        stored = self._new_key(
            repo_name, key, str(body.get("title") or ""), read_only, token["login"]
        )
        self.state["writes"] += 1
        self.save()
        headers = dict(rate, Location=base_url + stored["url"])
        return 201, headers, self._public(stored, base_url)

    # -- admin ------------------------------------------------------------------------------

    def admin(self, method, path, query, body):
        """Handle /_admin/*. Returns (status, content type, payload)."""
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_admin/state"):
            return 200, "json", self.state
        if route == ("PUT", "/_admin/state"):
            self.state = dict(empty_state(), **(body or {}))
            self.save()
            return 200, "json", self.state
        if route == ("POST", "/_admin/repos"):
            self.add_repo(
                body["name"], body.get("private", True), body.get("deploy_keys_enabled", True)
            )
            return 201, "json", self.state["repos"][body["name"]]
        if route == ("POST", "/_admin/tokens"):
            self.add_token(body["token"], body.get("repos", {}), body.get("login", "octo-bot"))
            return 201, "json", {"login": body.get("login", "octo-bot")}
        if route == ("GET", "/_admin/keys"):
            return 200, "json", self.all_keys(query.get("repo"))
        if route == ("POST", "/_admin/keys"):
            if "count" in body:
                added = self.add_keys(body["repo"], int(body["count"]), body.get("title", "seeded"))
            else:
                added = [
                    self.add_key(
                        body["repo"],
                        body["key"],
                        body.get("title", "seeded"),
                        body.get("read_only", True),
                    )
                ]
            return 201, "json", added
        if route == ("GET", "/_admin/authorized_keys"):
            return 200, "text", self.authorized_keys(query.get("repo"), query.get("command"))
        if route == ("POST", "/_admin/user_keys"):
            self.add_user_key(body["key"])
            return 201, "json", {}
        if route == ("POST", "/_admin/renames"):
            self.rename_repo(body["from"], body["to"])
            return 201, "json", {"renamed": self.state["renamed"]}
        if route == ("POST", "/_admin/faults"):
            self.inject(*(body if isinstance(body, list) else [body]))
            return 201, "json", self.state["faults"]
        if route == ("POST", "/_admin/rate_limit"):
            self.set_rate_limit(
                int(body.get("remaining", 0)), int(body.get("reset_in", 3600)), body.get("limit")
            )
            return 200, "json", self.state["rate_limit"]
        if route == ("GET", "/_admin/requests"):
            return 200, "json", self.requests
        if route == ("DELETE", "/_admin/requests"):
            self.requests.clear()
            return 200, "json", []
        if route == ("GET", "/_admin/writes"):
            return 200, "json", {"writes": self.state["writes"]}
        return 404, "json", {"message": "Not Found"}


class _Handler(BaseHTTPRequestHandler):
    app: FakeGitHub
    server_version = "FakeGitHub/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one request costs ~1 ms, not a 40 ms delayed ACK

    def log_message(self, format, *args):
        if self.app.log:
            self.app.log(format % args)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return "<invalid json>"

    def _send(self, status, headers, payload, content_type="application/json; charset=utf-8"):
        if payload is None:
            data = b""
        elif isinstance(payload, str) and content_type.startswith("text/"):
            data = payload.encode("utf-8")
        else:
            data = json.dumps(payload, indent=1).encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self):
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/api/v3/") or path == "/api/v3":  # GitHub Enterprise Server
            prefix, path = "/api/v3", path[len("/api/v3") :] or "/"
        else:
            prefix = ""
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = self._body()
        app = self.app
        with app.lock:
            if path.startswith("/_admin"):
                status, kind, payload = app.admin(self.command, path, query, body or {})
                content_type = (
                    "text/plain; charset=utf-8"
                    if kind == "text"
                    else "application/json; charset=utf-8"
                )
                self._send(status, {}, payload, content_type)
                return
            host = self.headers.get("Host") or f"{app.host}:{app.port}"
            scheme = "https" if app.ssl_context is not None else "http"
            base_url = f"{scheme}://{host}{prefix}"
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, out, payload = app.api(self.command, path, query, headers, body, base_url)
            except ApiError as error:
                status, out, payload = error.status, error.headers, error.body
            auth = headers.get("authorization", "")
            app.requests.append(
                {
                    "method": self.command,
                    "path": path,
                    "query": query,
                    "status": status,
                    "accept": headers.get("accept"),
                    "api_version": headers.get("x-github-api-version"),
                    "user_agent": headers.get("user-agent"),
                    "auth_scheme": auth.partition(" ")[0] if auth else None,
                    "body": body if self.command in ("POST", "PUT", "PATCH") else None,
                }
            )
        self._send(status, out, payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
