# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deploy keys of a GitHub repository: key normalisation, matching, planning, API calls.

GitHub stores a deploy key as ``TYPE BASE64`` (no comment) and cannot edit one: a change of
``title`` or ``read_only`` means delete and create. Keys are matched by their material (type
and base64 body); the comment and any authorized_keys options are ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct

from ansible.module_utils.github_api import GitHubError, client_for, github_argument_spec

# The public key types GitHub accepts for SSH keys (ssh-dss is no longer accepted).
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)

# The fields that define a deploy key for us; the others are GitHub's bookkeeping.
DEFINING_FIELDS = ("title", "key", "read_only")

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class InvalidKeyError(ValueError):
    """The text given is not one usable SSH public key. The message never quotes the text."""


def normalize_key(text):
    """Return ``TYPE BASE64`` for an OpenSSH public key line; raise InvalidKeyError.

    Accepts a ``.pub`` file's content or an authorized_keys line: a comment and leading
    options are dropped, blank lines and ``#`` lines ignored.
    """
    if not isinstance(text, str):
        raise InvalidKeyError("The public key must be a string.")
    if "PRIVATE KEY" in text:
        raise InvalidKeyError(
            "This is a private key. Give the public half (the .pub file, or "
            "'ssh-keygen -y -f KEY'); the private key must never leave its host."
        )
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    if len(lines) != 1:
        raise InvalidKeyError(
            f"Expected exactly one OpenSSH public key line, found {len(lines)} lines."
        )
    fields = lines[0].split()
    for index, field in enumerate(fields[:-1]):
        if field in KEY_TYPES:
            key_type, body = field, fields[index + 1]
            break
    else:
        raise InvalidKeyError(
            "Not an OpenSSH public key of a type GitHub accepts (" + ", ".join(KEY_TYPES) + ")."
        )
    try:
        blob = base64.b64decode(body, validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        embedded_type = blob[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidKeyError(f"The {key_type} public key's base64 body is damaged.") from exc
    if embedded_type != key_type:
        raise InvalidKeyError(
            f"The public key says {key_type} but its body holds a {embedded_type or '?'} key."
        )
    return f"{key_type} {body}"


def fingerprint(normalized):
    """OpenSSH's SHA256 fingerprint of a normalised key (``SHA256:...``)."""
    blob = base64.b64decode(normalized.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def material(key):
    """The comparable material of a key as GitHub returns it (robust to odd input)."""
    try:
        return normalize_key(key or "")
    except InvalidKeyError:
        return " ".join(str(key or "").split()[:2])


def same_key(a, b):
    """True when two public keys have the same type and body (comments ignored)."""
    return material(a) == material(b)


def summary(deploy_key):
    """Only the fields that define a deploy key."""
    return {field: deploy_key.get(field) for field in DEFINING_FIELDS}


class Plan:
    """What to do on one repository: delete some keys, then maybe create one."""

    def __init__(self, before, delete, create, keep):
        self.before = before  # the existing keys this task is about
        self.delete = delete  # existing keys to delete, in order
        self.create = create  # dict(title, key, read_only) to create, or None
        self.keep = keep  # the existing key that already is as wanted, or None

    @property
    def changed(self):
        return bool(self.delete or self.create)

    @property
    def after(self):
        kept = [k for k in self.before if k not in self.delete]
        return kept + ([self.create] if self.create else [])


def plan_present(existing, key, title, read_only):
    """Plan for a key (normalised) that must exist with this title and read_only."""
    wanted = {"title": title, "key": key, "read_only": read_only}
    matches = [k for k in existing if same_key(k.get("key"), key)]
    keep = next(
        (k for k in matches if k.get("title") == title and k.get("read_only") == read_only),
        None,
    )
    if keep is not None:
        # GitHub refuses a key twice in one repository, so other matches are not expected;
        # if there were any, they would be surplus copies.
        return Plan(matches, [k for k in matches if k is not keep], None, keep)
    # Deploy keys cannot be edited: a different title or read_only means delete and create.
    return Plan(matches, matches, wanted, None)


def plan_absent(existing, key=None, title=None):
    """Plan for removing a key, by material when ``key`` is given, else by exact title."""
    if key is not None:
        matches = [k for k in existing if same_key(k.get("key"), key)]
    else:
        matches = [k for k in existing if k.get("title") == title]
    return Plan(matches, matches, None, None)


def _validation_advice(error):
    if error.mentions("already in use"):
        return (
            "This public key is already registered elsewhere: as a deploy key of another "
            "repository or as a user's SSH key. GitHub accepts each key only once, so give "
            "every repository its own key pair (or remove the key from where it is registered)."
        )
    if error.mentions("disabled"):
        return (
            "Deploy keys are disabled for this repository by an organisation or enterprise "
            "policy; an organisation owner must allow them (Settings > Deploy keys)."
        )
    if error.mentions("invalid"):
        return "GitHub does not accept this public key; generate a new ed25519 key pair."
    return "GitHub refused the deploy key as invalid."


class DeployKeys:
    """The deploy-key endpoints of one repository."""

    def __init__(self, client, owner, repo):
        self.client = client
        self.owner = owner
        self.repo = repo
        self.path = f"/repos/{owner}/{repo}/keys"
        self.hints = {
            403: (
                f"The token may not manage the deploy keys of {owner}/{repo}: a classic token "
                "needs the repo scope and admin rights on the repository, a fine-grained token "
                "or GitHub App 'Administration' permission (read to list, write to change); an "
                "organisation may also have disabled deploy keys."
            ),
            404: (
                f"The repository {owner}/{repo} does not exist, or this token cannot see it "
                "(GitHub answers 404 for private repositories the token has no access to). "
                "Check owner and repo, and the token's repository access."
            ),
            422: _validation_advice,
        }

    def _what(self, suffix=""):
        return f"the deploy keys of {self.owner}/{self.repo}{suffix}"

    def list(self):
        return self.client.paginate(self.path, what=self._what(), hints=self.hints)

    def create(self, title, key, read_only):
        data = {"title": title, "key": key, "read_only": read_only}
        retries_before = len(self.client.waits)
        try:
            _status, _headers, created = self.client.request(
                "POST", self.path, data=data, what=self._what(), hints=self.hints
            )
        except GitHubError as error:
            # A retried POST may have been carried out the first time: then the key is here.
            retried = len(self.client.waits) > retries_before
            if retried and error.status == 422 and error.mentions("already in use"):
                for existing in self.list():
                    if same_key(existing.get("key"), key) and summary(existing) == data:
                        return existing
            raise
        return created

    def delete(self, key_id):
        try:
            self.client.request(
                "DELETE",
                f"{self.path}/{key_id}",
                what=self._what(f" (key {key_id})"),
                hints=self.hints,
            )
        except GitHubError as error:
            if error.status != 404:
                raise
            # Gone already (deleted in the meantime): that is what was wanted. A vanished
            # repository would have failed the listing before.


def repository_argument_spec():
    """owner and repo (doc fragment github.repository), plus github_argument_spec."""
    return {
        "owner": {"type": "str", "required": True},
        "repo": {"type": "str", "required": True},
        **github_argument_spec(),
    }


def deploy_keys_for(module):
    """DeployKeys for the options of ``repository_argument_spec`` of an AnsibleModule;
    GitHubError when unusable."""
    params = module.params
    for name in ("owner", "repo"):
        if not _NAME_RE.match(params[name]):
            raise GitHubError(
                f"{name} may only contain letters, digits, '.', '_' and '-'; got {params[name]!r}."
            )
    return DeployKeys(client_for(module), params["owner"], params["repo"])
