"""Plausible synthetic Swiss total load for any instant (stdlib only).

Deterministic: the same instant always gives the same value, so repeated and overlapping
queries agree like the real platform's do. Shape: a daily profile per day type (working day,
Saturday, Sunday/holiday), annual seasonality (winter higher), slow "weather" swings and a
little noise. Local time is Europe/Zurich computed by the EU rule, so no tz database is needed
in a minimal container.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

HOUR = 3600

# Relative profile per local hour (0..23), interpolated linearly inside the hour.
WORKDAY = [
    0.30,
    0.24,
    0.21,
    0.20,
    0.22,
    0.32,
    0.55,
    0.80,
    0.93,
    0.98,
    1.00,
    0.99,
    0.90,
    0.92,
    0.95,
    0.94,
    0.93,
    0.96,
    0.97,
    0.88,
    0.78,
    0.68,
    0.55,
    0.40,
]
SATURDAY = [
    0.30,
    0.24,
    0.20,
    0.18,
    0.18,
    0.20,
    0.27,
    0.40,
    0.55,
    0.66,
    0.72,
    0.74,
    0.70,
    0.64,
    0.60,
    0.59,
    0.61,
    0.66,
    0.70,
    0.66,
    0.60,
    0.54,
    0.46,
    0.36,
]
SUNDAY = [
    0.28,
    0.22,
    0.18,
    0.16,
    0.15,
    0.16,
    0.20,
    0.27,
    0.36,
    0.45,
    0.52,
    0.55,
    0.52,
    0.46,
    0.42,
    0.41,
    0.43,
    0.49,
    0.56,
    0.56,
    0.53,
    0.49,
    0.42,
    0.33,
]


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def utc_offset(ts: int) -> int:
    """Europe/Zurich offset in seconds: CEST from 01:00 UTC on the last Sunday of March to
    01:00 UTC on the last Sunday of October (EU rule, in force since 1996)."""
    year = datetime.fromtimestamp(ts, UTC).year
    start = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
    end = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
    return 2 * HOUR if start.timestamp() <= ts < end.timestamp() else HOUR


def local_midnight_utc(d: date) -> int:
    """UTC epoch of 00:00 local on day d."""
    guess = int(datetime.combine(d, datetime.min.time(), UTC).timestamp())
    return guess - utc_offset(guess - HOUR)


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month = (h + m - 7 * n + 114) // 31
    day = (h + m - 7 * n + 114) % 31 + 1
    return date(year, month, day)


def is_holiday(d: date) -> bool:
    """Swiss national and widely observed holidays."""
    if (d.month, d.day) in {(1, 1), (1, 2), (8, 1), (12, 25), (12, 26)}:
        return True
    e = easter(d.year)
    return (d - e).days in {-2, 1, 39, 50}  # Good Friday, Easter Mon, Ascension, Whit Mon


def _noise(ts: int, salt: int) -> float:
    """Deterministic uniform noise in [-0.5, 0.5) from a 64-bit mix of (ts, salt)."""
    x = (ts * 0x9E3779B97F4A7C15 + salt * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 29
    return (x & 0xFFFFFF) / float(0x1000000) - 0.5


def load_mw(ts: int, resolution: int = HOUR, salt: int = 0) -> float:
    """Mean load over [ts, ts + resolution), MW (evaluated at the interval's middle)."""
    mid = ts + resolution // 2
    local = mid + utc_offset(mid)
    days, sec = divmod(local, 86400)
    d = date(1970, 1, 1) + timedelta(days=days)
    hour = sec / HOUR
    if is_holiday(d) or d.weekday() == 6:
        prof = SUNDAY
    elif d.weekday() == 5:
        prof = SATURDAY
    else:
        prof = WORKDAY
    h0 = int(hour)
    frac = hour - h0
    shape = prof[h0] * (1 - frac) + prof[(h0 + 1) % 24] * frac
    doy = d.timetuple().tm_yday
    season = 1 + 0.13 * math.cos(2 * math.pi * (doy - 15) / 365.25)
    weather = 0.025 * math.sin(mid / (5.3 * 86400)) + 0.015 * math.sin(mid / (2.1 * 86400) + 1)
    base = (5200 + 3600 * shape) * season * (1 + weather)
    return round(base * (1 + 0.01 * _noise(mid, salt)), 2)


def forecast_mw(ts: int, resolution: int = HOUR) -> float:
    """A 'TSO forecast': the actual shape, its own error, quantized so A03 repeats occur."""
    err = 0.025 * math.sin(ts / (3.7 * 86400) + 2) + 0.01 * _noise(ts, 7)
    return round(load_mw(ts, resolution, salt=3) * (1 + err) / 50) * 50.0
