"""The watchdog's package is installed on the VPS from roles/watchdog/files; test it from there."""

from __future__ import annotations

import sys
from pathlib import Path

_FILES = Path(__file__).resolve().parents[3] / "roles" / "watchdog" / "files"
if str(_FILES) not in sys.path:
    sys.path.insert(0, str(_FILES))
