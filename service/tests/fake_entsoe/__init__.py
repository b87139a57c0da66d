"""Fake ENTSO-E Transparency Platform API (test-only; never shipped in the service image).

In tests: `fake = FakeEntsoe(Config(...)); base_url = fake.start()`; faults with
`fake.add_fault("status", status=503, times=2)`. Standalone (for infrastructure tests):
`python -m fake_entsoe --host 0.0.0.0 --port 8000`, or the Dockerfile beside this file.
"""

from .server import Config, FakeEntsoe
from .synth import is_holiday, load_mw, local_midnight_utc, utc_offset

__all__ = ["Config", "FakeEntsoe", "is_holiday", "load_mw", "local_midnight_utc", "utc_offset"]
