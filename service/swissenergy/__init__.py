"""swissenergy: day-ahead forecast service for Swiss electricity load (ENTSO-E data)."""

__version__ = "0.1.0"
