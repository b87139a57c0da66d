"""Run the fake ENTSO-E API standalone: `python -m fake_entsoe --host 0.0.0.0 --port 8000`.

The API answers at /api like the real one (ENTSOE_BASE_URL=http://HOST:PORT/api). Any
non-empty securityToken is accepted unless --token is given. Faults and settings can be
changed at run time: POST /_admin/faults {"kind": "status", "status": 503, "times": 2},
POST /_admin/config {"revision": 1}, POST /_admin/reset; GET /_admin shows the state.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import Config, FakeEntsoe, _ts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="fake_entsoe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--token", default=None, help="the only accepted securityToken")
    p.add_argument("--now", default=None, help="fixed clock, e.g. 2024-03-30T14:00Z")
    p.add_argument("--data-start", default=Config.data_start)
    p.add_argument(
        "--resolution",
        type=int,
        choices=(15, 60),
        default=60,
        help="actual load resolution in minutes",
    )
    p.add_argument("--switch-to-15min-at", default=None)
    p.add_argument("--forecast-resolution", type=int, choices=(15, 60), default=15)
    p.add_argument("--rate-limit", type=int, default=400, help="requests per minute")
    args = p.parse_args(argv)
    cfg = Config(
        token=args.token,
        now=_ts(args.now) if args.now else None,
        data_start=args.data_start,
        resolution_min=args.resolution,
        switch_to_15min_at=args.switch_to_15min_at,
        forecast_resolution_min=args.forecast_resolution,
        rate_limit_per_min=args.rate_limit,
    )
    fake = FakeEntsoe(cfg)
    url = fake.start(args.host, args.port)
    print(f"fake ENTSO-E listening on {url}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
