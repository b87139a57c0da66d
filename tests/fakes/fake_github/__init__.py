"""A fake GitHub REST API (deploy keys) for tests; see ``server.py``."""

from .server import FakeGitHub, parse_public_key, random_ed25519

__all__ = ["FakeGitHub", "parse_public_key", "random_ed25519"]
