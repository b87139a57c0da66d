"""Model settings (re-exported by `swissenergy.model`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSettings:
    """Every field has a default; the service sets the first three from its configuration."""

    backtest_origins: int = 14  # rolling-origin backtest days that pick the published method
    train_days: int = 365  # LightGBM training window (origin days)
    seed: int = 42
    num_threads: int = 1  # LightGBM threads: fixed, and 1 stays fast on a busy machine
    gbm_num_rounds: int = 150
    gbm_learning_rate: float = 0.05
    gbm_num_leaves: int = 31
    gbm_max_bin: int = 63  # feature histogram bins: 255 costs ~2 MiB more of the update's peak
    gbm_min_train_days: int = 21  # fewer complete training days: LightGBM sits out
    gbm_refit_every: int = 7  # backtest origins between LightGBM refits (1 = every origin)
    hw_window_days: int = 91  # Holt-Winters runs over this much recent history
    hw_select_days: int = 28  # earlier day-ahead origins its parameters are chosen on
    holiday_threshold: float = 0.5  # observance weight that makes a day Sunday-like
    ensemble: bool = True  # publish the candidates' median (weekly-naive if it backtests better)
    blend: bool = True  # else (or with < 3 candidates): may publish the best two's blend
    hw_median_votes: int = 2  # times Holt-Winters counts in the median (see `selection`)

    def __post_init__(self) -> None:
        positive = {
            "backtest_origins": self.backtest_origins,
            "train_days": self.train_days,
            "num_threads": self.num_threads,
            "gbm_num_rounds": self.gbm_num_rounds,
            "gbm_num_leaves": self.gbm_num_leaves,
            "gbm_max_bin": self.gbm_max_bin,
            "gbm_min_train_days": self.gbm_min_train_days,
            "gbm_refit_every": self.gbm_refit_every,
            "hw_window_days": self.hw_window_days,
            "hw_select_days": self.hw_select_days,
            "hw_median_votes": self.hw_median_votes,
        }
        for name, value in positive.items():
            if value < 1:
                raise ValueError(f"ModelSettings.{name} must be at least 1, got {value}")
        if not 0 < self.gbm_learning_rate <= 1:
            raise ValueError("ModelSettings.gbm_learning_rate must be in (0, 1]")
        if not 0 < self.holiday_threshold <= 1:
            raise ValueError("ModelSettings.holiday_threshold must be in (0, 1]")

    def lightgbm_params(self) -> dict[str, object]:
        return {
            "objective": "l2",
            "learning_rate": self.gbm_learning_rate,
            "num_leaves": self.gbm_num_leaves,
            "max_bin": self.gbm_max_bin,
            "min_data_in_leaf": 20,
            "feature_fraction": 0.9,
            "lambda_l2": 1.0,
            "num_threads": self.num_threads,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
