"""The chart page in a real browser: headless Chromium (Debian's `chromium`; scripts/test.sh
installs it) loads `/` from the app served on 127.0.0.1 with test data, after a first update
with its backfill. The DOM it builds has the accuracy table with figures and the chart's
series; its screenshot has each series' colour drawn."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from conftest import NOW, StubModel
from png_pixels import read_rgb
from swissenergy.api import create_app
from swissenergy.config import Settings
from swissenergy.store import Store
from swissenergy.update import run_update

WIDTH, HEIGHT = 1100, 1000
COLOURS = {  # chart.SERIES, as drawn
    "actual": bytes((0x1F, 0x29, 0x37)),
    "entsoe": bytes((0xD9, 0x77, 0x06)),
    "ours": bytes((0x25, 0x63, 0xEB)),
}
GRID = (0xE5, 0xE7, 0xEB)  # grid lines, antialiased: matched within a tolerance


def _grid_pixels(row: bytes) -> int:
    return sum(
        all(abs(row[i + c] - GRID[c]) <= 14 for c in range(3)) for i in range(0, len(row), 3)
    )


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (apt-get install chromium; scripts/test.sh does)")
    return path


@pytest.fixture
def page_url(settings: Settings, store: Store, stub_model: StubModel) -> Iterator[str]:
    run_update(settings, store, store.start_run(os.getpid(), "test"), NOW)
    app = create_app(settings, store=store, clock=lambda: NOW)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    t.join(10)


def _browse(url: str, tmp_path: Path, *args: str) -> str:
    cmd = [
        _chromium(),
        "--headless",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={WIDTH},{HEIGHT}",
        "--hide-scrollbars",
        *(["--no-sandbox"] if os.geteuid() == 0 else []),  # Chromium's sandbox refuses root
        *args,
        url,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_chart_and_the_table_render_with_data(page_url: str, tmp_path: Path) -> None:
    dom = _browse(page_url, tmp_path, "--dump-dom")
    rows = re.findall(r'<tr data-window="(\w+)">(.*?)</tr>', dom)
    assert [w for w, _ in rows] == ["day", "week", "four_weeks"], dom[:3000]
    for _, cells in rows:
        mapes = re.findall(r'class="(ours|entsoe)">(\d+\.\d\d) %<', cells)
        assert [k for k, _ in mapes] == ["ours", "entsoe"] and all(float(v) > 0 for _, v in mapes)
        assert re.search(r'class="bf"[^>]*>\d+ backfilled\*<', cells)
    svg = dom[dom.index('aria-label="load chart"') : dom.index("</svg>")]
    paths = re.findall(r'<path d="([^"]+)"[^>]*stroke="(#[0-9a-f]{6})"', svg)
    drawn = {colour: d.count("L") for d, colour in paths}
    # Actual and ENTSO-E over the last days, ours published (tomorrow) and backfilled (past).
    assert len(paths) == 4 and all(n >= 20 for n in drawn.values()), drawn

    shot = tmp_path / "page.png"
    _browse(page_url, tmp_path, f"--screenshot={shot}")
    width, height, pixels = read_rgb(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    counts = Counter(row[i : i + 3] for row in pixels for i in range(0, len(row), 3))
    background = counts.most_common(1)[0][1]
    assert background < 0.97 * width * height, "the screenshot is (nearly) blank"
    # The plot area: the rows between the chart's first and last horizontal grid line, which
    # span most of the width (links and table text share the blue, so only the plot counts).
    grid = [y for y, row in enumerate(pixels) if _grid_pixels(row) > width // 2]
    assert len(grid) >= 3, "no chart grid drawn"
    plot = pixels[grid[0] : grid[-1] + 1]
    in_plot = Counter(row[i : i + 3] for row in plot for i in range(0, len(row), 3))
    for name, rgb in COLOURS.items():
        # Antialiasing blends edges: count the pure colour, which lines 1.6 px wide keep.
        assert in_plot[rgb] > 300, f"no {name} series drawn ({in_plot[rgb]} px)"
