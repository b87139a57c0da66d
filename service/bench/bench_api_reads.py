"""Read throughput and latency of GET /forecast at concurrency 1, 16 and 64 (not gating),
straight to the service and through Caddy, side by side in one run.

Starts the service (`python -m swissenergy serve`, uvicorn, as in the container) on
127.0.0.1 with a published forecast, drives it with keep-alive HTTP/1.1 connections from a
minimal asyncio client (a heavier client would measure itself), then puts Caddy in front of it
with the caddy role's Caddyfile (caddy_front.py) and drives that the same way. With two cores
the servers share core 0 and this client runs on core 1. Each level is bounded by a request
count and a time limit. Targets: >= 2,000 requests/s direct; through Caddy >= 4,000 requests/s
with p99 under 10 ms at 16 connections.

    python service/bench/bench_api_reads.py [--seconds 5] [--max-requests 30000]
        [--caddyfile other.caddyfile]   # compare another Caddyfile with the role's
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import caddy_front

HOST = "127.0.0.1"  # loopback only


def seed_forecast(data_dir: Path) -> None:
    from swissenergy.store import NewForecast, Store

    store = Store(data_dir / "swissenergy.sqlite3")
    store.migrate()
    start = 1_717_192_800  # a local midnight; 96 quarter-hours like a real day
    pts = [(start + 900 * i, 7000.0 + i) for i in range(96)]
    run = store.start_run(os.getpid(), "bench")
    store.publish(
        run,
        NewForecast(
            start - 43200,
            "2024-06-01",
            900,
            "bench",
            "bench/1",
            {"bench": {"mape": 1.0, "mae": 1.0}},
            pts,
        ),
        {},
    )
    store.close()


async def worker(
    port: int, deadline: float, budget: list[int], lat: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    req = f"GET /forecast HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            t0 = time.perf_counter()
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
    finally:
        writer.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell server cost from contention."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def level(
    port: int, conc: int, seconds: float, max_requests: int, pids: list[int]
) -> dict[str, Any]:
    cpu0 = [cpu_seconds(pid) for pid in pids]
    lat: list[float] = []
    errors = [0]
    budget = [max_requests]
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(port, t0 + seconds, budget, lat, errors) for _ in range(conc)))
    wall = time.perf_counter() - t0
    cpu = [cpu_seconds(pid) - c for pid, c in zip(pids, cpu0, strict=True)]
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    return {
        "conc": conc,
        "n": len(lat),
        "rps": len(lat) / wall,
        "p50": q[49] * 1e3,
        "p99": q[98] * 1e3,
        "errors": errors[0],
        "cpu_us": [c / max(1, len(lat)) * 1e6 for c in cpu],
    }


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)


def measure(port: int, pids: list[int], args: argparse.Namespace) -> list[dict[str, Any]]:
    asyncio.run(level(port, 4, 1.0, 2000, pids))  # warm-up
    return [asyncio.run(level(port, c, args.seconds, args.max_requests, pids)) for c in (1, 16, 64)]


def pinning() -> tuple[list[str], str]:
    """Servers (service, Caddy) on core 0, this load generator on core 1, so the client never
    takes CPU from what it measures. Without two cores or taskset: unpinned."""
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        return [], "unpinned (needs 2 cores and taskset)"
    os.sched_setaffinity(0, {1})
    return ["taskset", "-c", "0"], "servers pinned to core 0, client to core 1"


def print_table(title: str, rows: list[dict[str, Any]], cpu_names: list[str]) -> None:
    print(f"\n{title}")
    cpu_head = " ".join(f"{name + ' CPU us/req':>20}" for name in cpu_names)
    print(
        f"{'concurrency':>11} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {cpu_head}"
    )
    for r in rows:
        cpu = " ".join(f"{c:>20.0f}" for c in r["cpu_us"])
        print(
            f"{r['conc']:>11} {r['n']:>9} {r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
            f"{r['errors']:>6} {cpu}"
        )


def through_caddy(
    args: argparse.Namespace, data: Path, port: int, pin: list[str], server_pid: int
) -> tuple[list[dict[str, Any]], int]:
    """The same levels through Caddy in front of the service: rows and access log lines."""
    caddy_port = caddy_front.free_port()
    upstream = f"{HOST}:{port}"
    caddyfile = (
        caddy_front.fill(args.caddyfile.read_text(), caddy_port, upstream, data)
        if args.caddyfile
        else caddy_front.render_caddyfile(caddy_port, upstream, data / "access.log")
    )
    caddy = caddy_front.start(caddyfile, data, caddy_port, pin, data / "caddy.out")
    try:
        return (
            measure(caddy_port, [server_pid, caddy.pid], args),
            caddy_front.access_log_lines(data / "access.log"),
        )
    finally:
        caddy.terminate()
        caddy.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seconds", type=float, default=5.0, help="time limit per level")
    ap.add_argument("--max-requests", type=int, default=30000, help="request cap per level")
    ap.add_argument(
        "--caddyfile",
        type=Path,
        help="Caddyfile to compare with the role's (@PORT@, @UPSTREAM@, @LOG@ are filled in)",
    )
    args = ap.parse_args()
    pin, pinned = pinning()
    port = caddy_front.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        seed_forecast(data)
        env = {
            **os.environ,
            "ENTSOE_API_KEY": "bench-not-used",
            "DATA_DIR": str(data),
            "ENTSOE_BASE_URL": "http://127.0.0.1:9/api",
            "HOST": HOST,
            "PORT": str(port),
            "LOG_LEVEL": "warning",
        }
        command = [*pin, sys.executable, "-m", "swissenergy", "serve"]
        server = subprocess.Popen(command, env=env, cwd=tmp)
        try:
            wait_for(port)
            direct = measure(port, [server.pid], args)
            unavailable = caddy_front.unavailable()
            if not unavailable:
                proxied, log_lines = through_caddy(args, data, port, pin, server.pid)
        finally:
            server.terminate()
            server.wait(10)
    print_table(
        "GET /forecast direct (uvicorn, 1 worker, 127.0.0.1, keep-alive)", direct, ["service"]
    )
    if unavailable:
        print(f"\nNot measured through Caddy: {unavailable}.")
    else:
        print_table(
            f"GET /forecast through Caddy ({args.caddyfile or 'the caddy role'}'s Caddyfile, "
            "HTTP, in front of the same service)",
            proxied,
            ["service", "caddy"],
        )
        print(f"Caddy's access log: {log_lines} lines (one per request through it).")
    load1 = os.getloadavg()[0]
    print(
        f"{pinned}. "
        "Targets: >= 2000 req/s direct, >= 4000 req/s and p99 < 10 ms at 16 through Caddy. "
        f"Load average during the run: {load1:.1f} on "
        f"{os.cpu_count()} cores; others share them, so 'CPU us/req' (server CPU time per "
        "request) is the figure that does not depend on other load."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
