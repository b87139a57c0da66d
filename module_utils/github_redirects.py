# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which redirects of the GitHub API the client follows, and what it says about the others.

GitHub redirects requests for a renamed or transferred repository: ``GET`` with 301, other
methods with 307 (302 and 308 are allowed by its documentation too), to
``/repositories/ID/...`` on the same API. urllib would follow them itself, copying the
Authorization header to whatever host ``Location`` names, and only for GET; so the client
turns urllib's following off and decides here: a redirect within the API's origin (scheme,
host and port) is repeated with the same method and body, a bounded number of times; any
other one fails, naming the new owner/repo when the location shows it.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

# A write must stay a write: browsers turn a POST answered by 301/302 into a GET, which would
# list the keys and report a key created that never was. GitHub asks to repeat the request.
REDIRECT_STATUSES = frozenset((301, 302, 307, 308))
MAX_REDIRECTS = 5

_REPO_RE = re.compile(r"/repos/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?:/|$)")


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def location(url: str, headers) -> str | None:
    """The absolute URL a redirect answer to ``url`` points to, or None without one."""
    value = headers.get("Location") if headers is not None else None
    return urljoin(url, value.strip()) if value and value.strip() else None


def repository_of(url: str) -> str | None:
    """``owner/repo`` when the URL's path names the repository (``/repos/OWNER/REPO/...``)."""
    match = _REPO_RE.search(urlsplit(url).path)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def _shown(url: str) -> str:
    # Without the query: it is not needed to find the repository.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def moved_advice(new_url: str | None) -> str:
    """The operator's fix: the new owner/repo when the location names it."""
    if new_url is None:
        return (
            "the repository was renamed or transferred: update owner/repo (GitHub gave no "
            "new location; its web page for the old name leads to the new one)."
        )
    repository = repository_of(new_url)
    if repository:
        return (
            f"the repository was renamed or transferred: update owner/repo to {repository} "
            f"(new location {_shown(new_url)})."
        )
    return (
        "the repository was renamed or transferred: update owner/repo to its new name "
        f"(GitHub's new location {_shown(new_url)} names it only by id; the repository's "
        "web page for the old name leads to the new one)."
    )


def refusal(status: int, method: str, what: str, new_url: str | None, api_url: str) -> str:
    """Why a redirect is not followed (another origin or none), and the fix."""
    if new_url is None:
        advice = moved_advice(None)
        return f"GitHub answered {status} to {method} {what} without a Location: {advice}"
    scheme, netloc = origin(new_url)
    return (
        f"GitHub answered {status} to {method} {what} with a redirect to {scheme}://{netloc}, "
        f"which is not the API at {api_url}; the token is not sent there. This means "
        + moved_advice(new_url)
    )


def too_many(method: str, what: str, new_url: str) -> str:
    advice = moved_advice(new_url)
    return f"GitHub redirected {method} {what} more than {MAX_REDIRECTS} times; {advice}"


def moved_note(new_url: str) -> str:
    """The warning after a followed redirect: it works today, but owner/repo is out of date."""
    advice = moved_advice(new_url)
    return f"GitHub redirected the requests to a new location, which works for now: {advice}"
