"""Day types and public holidays, weighted by how much of the country observes them.

A holiday's weight is the share of the population (Switzerland: per canton; UK: per nation) or
of the subdivisions (other countries) for which the `holidays` package lists it, so a national day
weighs 1.0 and, say, Corpus Christi in the Catholic cantons about a third. A country code with
a subdivision ("GB-ENG") takes that subdivision's holidays at full weight.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import holidays
import numpy as np
from holidays.registry import COUNTRIES

# Resident population by canton (thousands, FSO 2023, rounded). Only the ratios matter.
CANTON_POPULATION: dict[str, float] = {
    "ZH": 1605, "BE": 1063, "VD": 855, "AG": 726, "SG": 530, "GE": 518, "LU": 428,
    "TI": 356, "VS": 358, "FR": 334, "BL": 296, "TG": 297, "SO": 284, "GR": 202,
    "BS": 196, "NE": 177, "SZ": 166, "ZG": 131, "SH": 85, "JU": 74, "AR": 56,
    "NW": 44, "GL": 41, "OW": 39, "UR": 37, "AI": 16,
}  # fmt: skip
# United Kingdom by nation (millions, ONS mid-2022, rounded).
UK_POPULATION: dict[str, float] = {"ENG": 57.1, "SCT": 5.4, "WLS": 3.1, "NIR": 1.9}
SUBDIVISION_POPULATION: dict[str, dict[str, float]] = {
    "CH": CANTON_POPULATION, "GB": UK_POPULATION, "UK": UK_POPULATION,
}  # fmt: skip

SUNDAY = 6


@dataclass(frozen=True)
class DayCalendar:
    dow: np.ndarray  # (n_days,) Monday=0 .. Sunday=6
    holiday: np.ndarray  # (n_days,) observance weight in [0, 1]
    day_of_year: np.ndarray  # (n_days,) 1..366

    def sunday_like(self, threshold: float) -> np.ndarray:
        """Sundays and holidays observed by at least `threshold` of the country."""
        return np.asarray((self.dow == SUNDAY) | (self.holiday >= threshold))


def build_calendar(days: Sequence[date], country: str | None) -> DayCalendar:
    dow = np.array([d.weekday() for d in days], dtype=np.int64)
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=np.int64)
    weight = np.zeros(len(days))
    if country and days:
        table = _holiday_weights(country.upper(), tuple(range(days[0].year, days[-1].year + 1)))
        weight = np.array([table.get(d, 0.0) for d in days])
    return DayCalendar(dow=dow, holiday=weight, day_of_year=doy)


@lru_cache(maxsize=16)
def _holiday_weights(country: str, years: tuple[int, ...]) -> dict[date, float]:
    """Holiday -> observance weight. "CC-SUB" (e.g. "GB-ENG") means one subdivision only."""
    country, _, subdiv = country.partition("-")
    try:
        national = _country_holidays(country, subdiv or None, years)
    except NotImplementedError as exc:
        raise ValueError(f"holiday_country {country!r} is not known to `holidays`") from exc
    if subdiv:
        return dict.fromkeys(national, 1.0)
    subdivisions: dict[str, float]
    subdivisions = SUBDIVISION_POPULATION.get(country, dict.fromkeys(national.subdivisions, 1.0))
    if not subdivisions:
        return dict.fromkeys(national, 1.0)
    total = sum(subdivisions.values())
    weights: dict[date, float] = {}
    for code, share in subdivisions.items():
        for d in _country_holidays(country, code, years):
            weights[d] = weights.get(d, 0.0) + share / total
    for d in national:  # observed everywhere whatever the subdivision lists say
        weights[d] = 1.0
    return {d: min(w, 1.0) for d, w in weights.items()}


def _country_holidays(
    country: str, subdiv: str | None, years: tuple[int, ...]
) -> holidays.HolidayBase:
    """`holidays.country_holidays`, importing only that country's module. The package's
    `holidays.countries` imports all ~250 countries (~7 MiB RSS in the update child), so an
    empty stand-in for it is registered first; `holidays` finds its modules all the same."""
    module = next((m for m, names in COUNTRIES.items() if country in names[1:]), None)
    if module is None:
        raise NotImplementedError(country)
    if "holidays.countries" not in sys.modules:
        package = types.ModuleType("holidays.countries")
        package.__path__ = [str(Path(holidays.__file__).parent / "countries")]
        sys.modules["holidays.countries"] = package
    entity = getattr(importlib.import_module(f"holidays.countries.{module}"), COUNTRIES[module][0])
    return entity(subdiv=subdiv, years=years)  # type: ignore[no-any-return]
