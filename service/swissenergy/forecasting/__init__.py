"""Day-ahead load forecasting: candidates, rolling-origin backtest and selection.

`swissenergy.model` is the public façade; this package holds the pieces.
"""

from .engine import CANDIDATES, ForecastRun, required_history_days, run_forecast
from .settings import ModelSettings

__all__ = ["CANDIDATES", "ForecastRun", "ModelSettings", "required_history_days", "run_forecast"]
