"""Renamed and transferred repositories, redirected as GitHub does.

GitHub keeps answering the old name of a renamed or transferred repository with a redirect to
``/repositories/ID/...`` on the same API: 301 for GET and HEAD, 307 for the other methods
(which must be repeated with their body). The repository answers under that id path too.
"""

from __future__ import annotations

import re

_BY_ID_RE = re.compile(r"^/repositories/(\d+)(/.*)?$")
_BY_NAME_RE = re.compile(r"^/repos/([^/]+)/([^/]+)(/.*)?$")
REDIRECT_DOCS = "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api"


def rename(state, old, new, repo_id):
    """Move repository ``old`` to ``new`` in the fake's state; the old name redirects."""
    repo = state["repos"].pop(old)
    repo.setdefault("id", repo_id)
    state["repos"][new] = repo
    for key in repo["keys"]:
        key["url"] = f"/repos/{new}/keys/{key['id']}"
    for token in state["tokens"].values():
        if old in token["repos"]:
            token["repos"][new] = token["repos"].pop(old)
    renamed = state.setdefault("renamed", {})
    for earlier, target in renamed.items():
        if target == old:  # renamed twice: every old name leads to the newest
            renamed[earlier] = new
    renamed[old] = new


def redirect(state, method, path):
    """``(status, new path)`` when ``path`` names a renamed repository, else None."""
    match = _BY_NAME_RE.match(path)
    if not match:
        return None
    new = state.get("renamed", {}).get(f"{match.group(1)}/{match.group(2)}")
    if new is None or new not in state["repos"]:
        return None
    status = 301 if method in ("GET", "HEAD") else 307
    return status, f"/repositories/{state['repos'][new]['id']}{match.group(3) or ''}"


def by_name(state, path):
    """``/repositories/ID/rest`` as ``/repos/OWNER/NAME/rest`` (other paths unchanged)."""
    match = _BY_ID_RE.match(path)
    if not match:
        return path
    for name, repo in state["repos"].items():
        if str(repo.get("id")) == match.group(1):
            return f"/repos/{name}{match.group(2) or ''}"
    return path
