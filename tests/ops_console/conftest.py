"""Console fixtures: one real API server per test module, on SQLite, with a seeded day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock
from tests.api.live import serve
from tests.ops_console.seed import SeededDay, seed_day

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def console_db_url(tmp_path_factory) -> str:
    """The SQLite database of the module's API (tests may write events into it directly)."""
    return f"sqlite:///{tmp_path_factory.mktemp('console-api') / 'noriai.db'}"


@pytest.fixture(scope="module")
def live_api(console_db_url, tmp_path_factory) -> Iterator[tuple[str, TestClock]]:
    """A running API (real uvicorn, SQLite file, test clock) for one module."""
    clock = TestClock(at_local(DAY, time(8, 0)))
    settings = Settings(db=console_db_url, data_dir=tmp_path_factory.getbasetemp() / "console-data",
                        reopt_interval_s=0, secret_key="c" * 40,
                        operator_password="operator-dev", driver_password="driver-dev")
    with serve(create_app(settings, clock=clock, background=False)) as url:
        yield url, clock


@pytest.fixture(scope="module")
def seeded(live_api) -> SeededDay:
    """The test day, booked and partly driven through the API."""
    url, clock = live_api
    return seed_day(url, clock)


@pytest.fixture
def console_env(seeded, monkeypatch) -> SeededDay:
    """Point the console at the seeded API (environment the launcher also sets)."""
    monkeypatch.setenv("NORIAI_API_URL", seeded.url)
    monkeypatch.setenv("NORIAI_OPERATOR_LOGIN", "operator")
    monkeypatch.setenv("NORIAI_OPERATOR_PASSWORD", "operator-dev")
    return seeded
