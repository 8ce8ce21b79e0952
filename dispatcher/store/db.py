"""Database engine creation and schema migration (alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, make_url, text
from sqlmodel import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: PostgreSQL advisory-lock key that serialises schema migrations ("noriai" in ASCII).
MIGRATION_LOCK_KEY = 0x6E6F72696169


#: What a service area's id may be: it names a PostgreSQL schema and a SQLite file.
AREA_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def area_schema(area: str) -> str:
    """The PostgreSQL schema that holds the data of the service area ``area``."""
    if not AREA_ID.fullmatch(area):
        raise ValueError(f"service area id {area!r}: lowercase letters, digits and _ only, "
                         "starting with a letter (at most 40)")
    return f"area_{area}"


def area_url(url: str, area: str) -> str:
    """Where a further service area's data live, beside the first area's database ``url``.

    Each service area of a deployment keeps its operational data (stops, vehicles, bookings,
    plans, events, accounts, ticket keys, settings) apart: on PostgreSQL in a schema of its
    own in the same database (:func:`area_schema`), on SQLite in a file of its own beside the
    first one (``noriai.db`` → ``noriai-<area>.db``). The first area of a deployment keeps the
    database's default schema or the file itself, so a one-area install never moves.
    """
    schema = area_schema(area)
    if url.startswith("sqlite"):
        head, _, path = url.partition("///")
        if not path or path == ":memory:":
            raise ValueError("several service areas need a SQLite file, not an in-memory database")
        p = Path(path)
        return f"{head}///{p.with_name(f'{p.stem}-{area}{p.suffix}').as_posix()}"
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout; a PostgreSQL URL
    that names a schema in its ``search_path`` option gets that schema created first."""
    if url.startswith("postgresql") and "search_path%3D" in url:
        _create_schema(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _create_schema(url: str) -> None:
    """Create the schema a PostgreSQL URL's ``search_path`` names, if it is missing."""
    schema = url.rsplit("search_path%3D", 1)[1].split("&", 1)[0]
    if not AREA_ID.fullmatch(schema.removeprefix("area_")):
        raise ValueError(f"not a service area schema: {schema!r}")
    parsed = make_url(url)
    base = create_engine(parsed.set(query={k: v for k, v in parsed.query.items() if k != "options"}))
    try:
        with base.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        base.dispose()


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the shipped migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade the database to the latest schema (creates it when empty)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several processes may start at once (instances, restarts): one migrates at a time.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
