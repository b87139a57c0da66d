"""Configuration refusals and the store's schema and write rules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from swissenergy.config import DEFAULT_BASE_URL, ConfigError, load_settings
from swissenergy.database import MIGRATIONS
from swissenergy.store import Store


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for var in ("ENTSOE_API_KEY", "ENTSOE_BASE_URL", "DATA_DIR"):
        monkeypatch.delenv(var, raising=False)


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="ENTSOE_API_KEY is not set"):
        load_settings()


@pytest.mark.parametrize(
    "value", ["", "changeme", "<your key>", "xxxxxxxx", "${ENTSOE_KEY}", "YOUR-API-KEY"]
)
def test_placeholder_key_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ENTSOE_API_KEY", value)
    with pytest.raises(ConfigError, match="ENTSOE_API_KEY is empty or a placeholder"):
        load_settings()


def test_defaults_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTSOE_API_KEY", "0f1e2d3c-real-looking-token")
    s = load_settings()
    assert s.entsoe_base_url == DEFAULT_BASE_URL
    assert s.data_dir == Path("/code/data") and s.entsoe_zone == "10YCH-SWISSGRIDZ"
    assert s.timezone == "Europe/Zurich" and s.port == 80
    assert "real-looking" not in repr(s) and "real-looking" not in str(s.model_dump())


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ENTSOE_API_KEY=from-dotenv-123\nDATA_DIR=/tmp/x\n")
    s = load_settings()
    assert s.entsoe_api_key.get_secret_value() == "from-dotenv-123"
    assert s.data_dir == Path("/tmp/x")


def test_key_from_a_secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # compose mounts secrets/entsoe_api_key at /run/secrets/entsoe_api_key
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "entsoe_api_key").write_text("from-secret-file-456")
    s = load_settings(_secrets_dir=secrets)
    assert s.entsoe_api_key.get_secret_value() == "from-secret-file-456"
    monkeypatch.setenv("ENTSOE_API_KEY", "from-env-789")
    assert load_settings(_secrets_dir=secrets).entsoe_api_key.get_secret_value() == "from-env-789"


def test_plain_http_only_to_loopback_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTSOE_API_KEY", "k-123456")
    assert load_settings(entsoe_base_url="http://127.0.0.1:8000/api")
    with pytest.raises(ConfigError, match="ENTSOE_BASE_URL uses plain http") as e:
        load_settings(entsoe_base_url="http://fake-entsoe:8000/api")
    assert "k-123456" not in str(e.value)
    assert load_settings(
        entsoe_base_url="http://fake-entsoe:8000/api", entsoe_allow_insecure_http=True
    )


def test_release_comes_from_the_image_and_must_be_a_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTSOE_API_KEY", "k-1234567890")
    assert load_settings().swissenergy_release == "unknown"
    monkeypatch.setenv("SWISSENERGY_RELEASE", "3b153a1c0ffe-d41d8cd98f00")
    assert load_settings().swissenergy_release == "3b153a1c0ffe-d41d8cd98f00"
    monkeypatch.setenv("SWISSENERGY_RELEASE", "v1; rm -rf /")
    with pytest.raises(ConfigError, match="SWISSENERGY_RELEASE"):
        load_settings()


def test_bad_values_are_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTSOE_API_KEY", "k-123456")
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match=r"TIMEZONE .*unknown time zone"):
        load_settings()


def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    assert s.schema_version() == 0
    assert s.migrate() == len(MIGRATIONS)
    assert s.migrate() == len(MIGRATIONS)
    assert s.conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_older_release_runs_on_a_newer_schema(tmp_path: Path) -> None:
    """A rollback starts the release before on a database the newer one already migrated
    (expand-only migrations): it must leave the schema as it is and keep working."""
    newer = Store(tmp_path / "db.sqlite3")
    newer.migrate()
    with newer.conn():
        newer.conn().execute("CREATE TABLE added_by_a_newer_release (x INTEGER)")
        newer.conn().execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    newer.close()
    older = Store(tmp_path / "db.sqlite3")
    assert older.migrate() == len(MIGRATIONS) + 1
    assert older.latest_forecast_id() is None
    older.close()


def test_failed_migration_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Store(tmp_path / "db.sqlite3")
    s.migrate()
    monkeypatch.setattr(
        "swissenergy.database.MIGRATIONS",
        [*MIGRATIONS, "CREATE TABLE t (x INTEGER); SELECT nonsense FROM nowhere"],
    )
    with pytest.raises(sqlite3.OperationalError):
        s.migrate()
    assert s.schema_version() == len(MIGRATIONS)
    assert s.conn().execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone() is None


def test_upsert_rules(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    s.migrate()
    assert s.upsert_points("load_actual", {0: (900, 1.0), 3600: (3600, 5.0)}) == 2
    assert s.upsert_points("load_actual", {0: (3600, 9.0)}) == 0  # coarser never wins
    assert s.upsert_points("load_actual", {3600: (3600, 6.0)}) == 1  # a revision does
    assert s.upsert_points("load_actual", {3600: (900, 7.0)}) == 1  # finer replaces coarser
    assert s.read_points("load_actual") == [(0, 900, 1.0), (3600, 900, 7.0)]
    assert s.max_ts("load_actual") == 3600 and s.max_ts("entsoe_forecast") is None
