"""Run the fake GitHub API standalone, e.g. in a container beside an OpenSSH git server.

    python -m fake_github --host 0.0.0.0 --port 8081 --state-file /data/state.json \
        --token TOKEN --repo owner/name

The state file is read at start (when it exists) and rewritten after every change, so other
processes (an ``AuthorizedKeysCommand``) can read the registered keys from it, or from
``GET /_admin/keys`` and ``GET /_admin/authorized_keys``.
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys

from .server import FakeGitHub


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m fake_github",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8081, help="port to listen on")
    parser.add_argument("--state-file", help="JSON state, read at start and kept up to date")
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        help="a token with admin access to every --repo (repeatable)",
    )
    parser.add_argument(
        "--repo",
        action="append",
        default=[],
        help="a private repository OWNER/NAME to create (repeatable)",
    )
    parser.add_argument("--certfile", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--keyfile", help="private key of --certfile")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)

    context = None
    if args.certfile:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.certfile, args.keyfile)

    def log(line):
        print(line, file=sys.stderr, flush=True)

    fake = FakeGitHub(
        host=args.host,
        port=args.port,
        state_file=args.state_file,
        ssl_context=context,
        log=None if args.quiet else log,
    )
    for repo in args.repo:
        if repo not in fake.state["repos"]:
            fake.add_repo(repo)
    for token in args.token:
        fake.add_token(token, {repo: "admin" for repo in args.repo})
    fake.save()
    server = fake.make_server()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log(f"fake GitHub API listening on {fake.url}")
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
