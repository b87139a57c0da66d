"""LightGBM on calendar, holiday and lag features, one row per (origin day, target slot).

Every row is built as the forecast would be at that day's origin (same local time of day,
same data availability as the real issue): lags and level statistics only read positions
before that row's origin, and values are divided by the mean load of the 7 days before the
origin so one model serves every season. The model predicts that ratio for the target day.

Training uses the last `train_days` origin days whose target day was complete at the fitting
origin. In the backtest the model is refitted every `refit_every` origins (each origin uses the
latest model fitted at or before it, so it never sees a later target); the published forecast
always comes from a model fitted at the issue origin.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from .calendar import DayCalendar
from .grid import LocalGrid
from .naive import level_ratio, reference_profile, sunday_reference

LAG_DAYS = (1, 2, 7, 14)
HISTORY_DAYS = 15  # lags and level windows reach this far behind an origin
FEATURES = (
    "slot", "dow", "holiday", "holiday_prev", "holiday_next", "sunday_like",
    "doy_sin", "doy_cos", *(f"lag{m}" for m in LAG_DAYS), "reference", "level_adjusted",
    "sunday", "level_24h", "level_ratio", "last_value",
)  # fmt: skip


def lightgbm_forecast(
    grid: LocalGrid,
    cal: DayCalendar,
    origins: list[tuple[int, int]],
    *,
    train_days: int,
    min_train_days: int,
    refit_every: int,
    params: dict[str, object],
    num_rounds: int,
    threshold: float,
) -> np.ndarray:
    spd = grid.steps_per_day
    p_final = grid.origin
    n_rows = p_final // spd - HISTORY_DAYS
    out = np.full((len(origins), spd), np.nan)
    if n_rows < min_train_days + 2:
        return out
    rows = np.arange(n_rows + 1)  # j: days before the final origin
    x, level = _features(grid, cal, rows, threshold)
    targets = grid.target_day - rows
    y = grid.raw[targets] / level[:, None]

    model: lgb.Booster | None = None
    fitted_at = -1
    for k in np.argsort([p for p, _ in origins], kind="stable"):  # oldest origin first
        p, _t = origins[k]
        j = (p_final - p) // spd
        if model is None or not 0 <= p - fitted_at < refit_every * spd or j == 0:
            usable = _training_rows(y, targets, rows, p, spd, train_days)
            model = None  # freed before the next fit: two boosters alive cost ~4 MiB more
            if usable.size >= min_train_days:
                model = _fit(x, y, usable, params, num_rounds)
            fitted_at = p
        if model is not None and j <= n_rows:
            out[k] = np.asarray(model.predict(x[j]), dtype=float) * level[j]
    return out


def _training_rows(
    y: np.ndarray, targets: np.ndarray, rows: np.ndarray, origin: int, spd: int, train_days: int
) -> np.ndarray:
    """The latest `train_days` rows whose target day was complete before `origin`."""
    done = (targets + 1) * spd <= origin
    usable = rows[done & np.isfinite(y).any(axis=1)]
    return usable[:train_days]  # rows are ordered newest first


def _fit(
    x: np.ndarray,
    y: np.ndarray,
    usable: np.ndarray,
    params: dict[str, object],
    num_rounds: int,
) -> lgb.Booster:
    xt = x[usable].reshape(-1, x.shape[2])
    yt = y[usable].reshape(-1)
    ok = np.isfinite(yt)
    if not ok.all():  # else no copy: this runs at the update's memory peak
        xt, yt = xt[ok], yt[ok]
    data = lgb.Dataset(xt, yt, feature_name=list(FEATURES), free_raw_data=True)
    # keep_training_booster skips a round trip through the model's text form.
    return lgb.train(params, data, num_boost_round=num_rounds, keep_training_booster=True)


def _features(
    grid: LocalGrid, cal: DayCalendar, rows: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(n_rows, spd, n_features) features and (n_rows,) level for each daily origin."""
    spd = grid.steps_per_day
    flat = grid.filled.reshape(-1)
    p_final = grid.origin
    cum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(flat[:p_final]))])
    origins = p_final - rows * spd
    targets = grid.target_day - rows
    level = (cum[origins] - cum[origins - 7 * spd]) / (7 * spd)
    level_24h = (cum[origins] - cum[origins - spd]) / spd
    slots = np.arange(spd)
    n = rows.size
    feats = np.full((n, spd, len(FEATURES)), np.nan)
    col = {name: i for i, name in enumerate(FEATURES)}
    sunday_like = cal.sunday_like(threshold)
    doy = 2 * np.pi * cal.day_of_year[targets] / 365.25
    per_day = {
        "dow": cal.dow[targets],
        "holiday": cal.holiday[targets],
        "holiday_prev": cal.holiday[targets - 1],
        "holiday_next": cal.holiday[targets + 1],
        "sunday_like": sunday_like[targets].astype(float),
        "doy_sin": np.sin(doy),
        "doy_cos": np.cos(doy),
        "level_24h": level_24h / level,
        "last_value": flat[origins - 1] / level,
    }
    for name, values in per_day.items():
        feats[:, :, col[name]] = values[:, None]
    feats[:, :, col["slot"]] = slots[None, :]
    for m in LAG_DAYS:
        pos = (targets - m)[:, None] * spd + slots[None, :]
        lag = flat[np.clip(pos, 0, flat.size - 1)] / level[:, None]
        lag[pos >= origins[:, None]] = np.nan
        feats[:, :, col[f"lag{m}"]] = lag
    for i in range(n):
        p, t = int(origins[i]), int(targets[i])
        ref = reference_profile(grid, cal, t, p) / level[i]
        ratio = level_ratio(grid, cal, p, threshold)
        sun = sunday_reference(grid, cal, t, p)
        feats[i, :, col["reference"]] = ref
        feats[i, :, col["level_adjusted"]] = ref * ratio
        feats[i, :, col["level_ratio"]] = ratio
        if sun >= 0:
            feats[i, :, col["sunday"]] = grid.filled[sun] / level[i]
    return feats, level
