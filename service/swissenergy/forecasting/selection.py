"""What is published, from the candidates' forecasts at the issue and backtest origins.

With `ensemble` (the default) the published forecast is the step-by-step median of every
usable candidate: on a real series (Taylor's, `bench/accuracy_taylor.py`) it beat picking the
backtest's best candidate, or the best two's blend, on every 28-day window and issue time,
because a 14-day backtest picks noisily and the median discards the one candidate that is off
on a given day. Members may count more than once (`votes`): the engine counts Taylor's
Holt-Winters twice, its strongest candidate at every issue time on that series, which tilts
the median towards it without letting it alone decide (see the README's accuracy table).
Fallback: when weekly-naive did better than the median over the backtest, weekly-naive is
published. Without `ensemble`, the candidate or the inverse-MAPE blend of the
best two with the lowest backtest MAPE is published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Scores = dict[str, float]


@dataclass(frozen=True)
class Choice:
    method: str
    weights: dict[str, float]  # candidate -> weight (a median member: its share of votes)
    profiles: dict[str, np.ndarray]  # the candidates' rows plus the published composite's
    backtest: dict[str, Scores]


def choose(
    usable: dict[str, np.ndarray],
    actual: np.ndarray,
    covered: np.ndarray,
    order: tuple[str, ...],
    *,
    ensemble: bool,
    blend: bool,
    fallback: str,
    votes: dict[str, int] | None = None,
) -> Choice:
    """`usable`: name -> (1 + n_backtest, steps) forecasts (row 0 is the issue origin);
    `actual`: the backtest target days; `covered`: backtest rows every candidate forecast;
    `order` breaks ties; `fallback` is the weekly-naive candidate's name; `votes`: how many
    times a candidate counts in the median (default once)."""
    profiles = dict(usable)
    backtest = {n: score(f[1:][covered], actual[covered]) for n, f in usable.items()}
    ranked = sorted(usable, key=lambda n: (rank(backtest[n]), order.index(n)))
    if ensemble and len(usable) >= 3:
        count = {n: max((votes or {}).get(n, 1), 1) for n in ranked}
        name = "median(" + ",".join(n if count[n] == 1 else f"{n}*{count[n]}" for n in ranked) + ")"
        members = [usable[n] for n in ranked for _ in range(count[n])]
        profiles[name] = np.median(np.stack(members), axis=0)
        backtest[name] = score(profiles[name][1:][covered], actual[covered])
        if fallback in backtest and rank(backtest[fallback]) < rank(backtest[name]):
            return Choice(fallback, {fallback: 1.0}, profiles, backtest)
        weights = {n: count[n] / len(members) for n in ranked}
        return Choice(name, weights, profiles, backtest)
    method, weights = ranked[0], {ranked[0]: 1.0}
    if blend and len(ranked) >= 2 and np.isfinite(rank(backtest[ranked[1]])):
        a, b = ranked[:2]
        inv = np.array([1.0 / max(backtest[n]["mape"], 1e-9) for n in (a, b)])
        wa, wb = inv / inv.sum()
        name = f"blend({a}={wa:.2f},{b}={wb:.2f})"
        profiles[name] = wa * usable[a] + wb * usable[b]
        backtest[name] = score(profiles[name][1:][covered], actual[covered])
        if rank(backtest[name]) < rank(backtest[method]):
            method, weights = name, {a: float(wa), b: float(wb)}
    return Choice(method, weights, profiles, backtest)


def score(forecast: np.ndarray, actual: np.ndarray) -> Scores:
    ok = np.isfinite(actual) & (actual != 0) & np.isfinite(forecast)
    if not ok.any():
        return {"mape": float("nan"), "mae": float("nan")}
    err = np.abs(forecast[ok] - actual[ok])
    return {
        "mape": float(100.0 * np.mean(err / np.abs(actual[ok]))),
        "mae": float(np.mean(err)),
    }


def rank(scores: Scores) -> float:
    mape = scores["mape"]
    return mape if np.isfinite(mape) else float("inf")
