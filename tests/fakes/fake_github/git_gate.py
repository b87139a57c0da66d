#!/usr/bin/env python3
"""The forced command of a test OpenSSH git server that behaves like github.com for deploy keys.

The fake API's ``GET /_admin/authorized_keys?command=/usr/local/bin/git-gate`` answers one
line per registered deploy key::

    restrict,command="/usr/local/bin/git-gate ro octo/app" ssh-ed25519 AAAA...

so that an ``AuthorizedKeysCommand`` that prints it lets exactly the registered keys in, and
this script then allows what GitHub allows: fetches of that key's repository, and pushes only
with a key registered with ``read_only: false``. Repositories are bare repositories at
``$GIT_GATE_ROOT/OWNER/NAME.git`` (default: the git user's home).

Standard library only: copy this one file to the git server (mode 0755, owned by root).
"""

from __future__ import annotations

import os
import shlex
import sys

READ = ("git-upload-pack", "git-upload-archive")
WRITE = ("git-receive-pack",)


def deny(message):
    # The messages GitHub's SSH server gives in the same situations.
    sys.stderr.write(f"ERROR: {message}\n")
    return 1


def main(argv):
    if len(argv) != 3 or argv[1] not in ("ro", "rw"):
        return deny("git-gate needs two arguments: ro|rw OWNER/NAME")
    mode, repo = argv[1], argv[2].removesuffix(".git")
    original = os.environ.get("SSH_ORIGINAL_COMMAND", "")
    try:
        words = shlex.split(original)
    except ValueError:
        words = []
    if len(words) != 2 or words[0] not in READ + WRITE:
        owner = repo.split("/")[0]
        sys.stderr.write(
            f"Hi {owner}! You've successfully authenticated, but GitHub does not provide shell "
            "access.\n"
        )
        return 1
    verb, path = words
    if path.strip("/").removesuffix(".git") != repo:
        return deny("Repository not found.")
    if verb in WRITE and mode != "rw":
        return deny("The key you are authenticating with has been marked as read only.")
    root = os.environ.get("GIT_GATE_ROOT") or os.path.expanduser("~")
    target = os.path.join(root, repo + ".git")
    if not os.path.isdir(target):
        return deny("Repository not found.")
    os.execvp("git", ["git", verb.removeprefix("git-"), target])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
