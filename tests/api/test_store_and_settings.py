"""Schema migrations upgrade an existing database; production refuses development secrets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from pydantic import ValidationError
from sqlalchemy import inspect, text

from dispatcher.settings import Settings
from dispatcher.store.db import alembic_config, make_engine, migrate
from tests.api.conftest import reset_postgres


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrations_upgrade_existing_data(backend, tmp_path, request):
    """A database created at the first revision, with data in it, upgrades to head keeping the
    data; running the upgrade again changes nothing."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
    engine = make_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO events (at, type, data) VALUES (:at, 'kept', '{}')"),
                     {"at": datetime(2027, 1, 13, tzinfo=UTC)})
    migrate(engine)
    migrate(engine)
    with engine.begin() as conn:
        kept = conn.execute(text("SELECT count(*) FROM events WHERE type = 'kept'")).scalar()
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert kept == 1
    assert head is not None
    assert {"bookings", "events", "plans", "offers"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_production_refuses_default_secrets():
    """Production mode never starts on a missing, short or development secret."""
    with pytest.raises(ValidationError):
        Settings(mode="production")
    with pytest.raises(ValidationError):
        Settings(mode="production", secret_key="short", operator_password="x" * 12)
    with pytest.raises(ValidationError):
        Settings(mode="production", secret_key="dev-" + "x" * 40, operator_password="x" * 12)
    strong = "Jq3vN8xR2mKf7LwT9bYc4HdZ6sPa1GeU5nXo"
    with pytest.raises(ValidationError):
        Settings(mode="production", secret_key=strong)  # no operator password
    ok = Settings(mode="production", secret_key=strong, operator_password="blue-ferry-41-kite",
                  driver_password="quiet-lantern-73-moss")
    assert ok.secret_key == strong


def test_development_generates_a_random_secret():
    """Development mode makes up a per-process secret rather than a fixed default."""
    a, b = Settings(), Settings()
    assert a.secret_key.startswith("dev-") and a.secret_key != b.secret_key
