"""The migrations build exactly the schema the table models describe (standing orders included),
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import dispatcher.store.tables  # noqa: F401  (registers the tables)
from dispatcher.store.db import make_engine, migrate
from tests.api.conftest import reset_postgres


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrated_schema_has_no_difference_from_the_models(backend, tmp_path, request):
    """After migrating an empty database to head, alembic finds nothing to add or change: the
    standing-order tables, their unique day constraint and indexes are all in a migration."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'schema.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    tables = set(inspect(engine).get_table_names())
    uniques = inspect(engine).get_unique_constraints("standing_order_runs")
    engine.dispose()
    assert diff == []
    assert {"standing_orders", "standing_order_runs"} <= tables
    assert [u["column_names"] for u in uniques] == [["order_id", "service_day"]]
