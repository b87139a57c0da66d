"""A bounded request loop from the outside client (the Pebble container), through Caddy over
HTTPS: RATE requests a second to /health and /forecast, alternately, each on a new TLS
connection (so a connection Caddy or a release drops counts), until STOP_FILE exists or
MAX_SECONDS pass. Prints one JSON summary: requests sent, failed (non-2xx), connection errors
(with the first few), and when each release (from /health) was first and last seen.

Runs with the container's python3 and the standard library only:
    python3 load_client.py URL CA_FILE RATE MAX_SECONDS STOP_FILE
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import sys
import time
from urllib.parse import urlsplit


def main(url: str, ca_file: str, rate: float, max_seconds: float, stop_file: str) -> None:
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=ca_file)
    sent = failed = errors = 0
    problems: list[str] = []
    releases: dict[str, list[float]] = {}
    start = time.monotonic()
    interval = 1.0 / rate
    while time.monotonic() - start < max_seconds and not os.path.exists(stop_file):
        due = start + sent * interval
        time.sleep(max(0.0, due - time.monotonic()))
        path = "/health" if sent % 2 == 0 else "/forecast"
        sent += 1
        at = round(time.monotonic() - start, 3)
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port or 443, context=context, timeout=10
        )
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors += 1
            if len(problems) < 10:
                problems.append(f"{at}s {path}: {type(exc).__name__}: {exc}")
            continue
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            failed += 1
            if len(problems) < 10:
                problems.append(f"{at}s {path}: HTTP {response.status}")
        elif path == "/health":
            seen = releases.setdefault(json.loads(body)["release"], [at, at])
            seen[1] = at
    summary = {
        "sent": sent,
        "failed": failed,
        "errors": errors,
        "problems": problems,
        "seconds": round(time.monotonic() - start, 1),
        "releases": releases,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
