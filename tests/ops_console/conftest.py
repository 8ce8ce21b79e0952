"""Console fixtures: one real API server per test module, on SQLite, with a seeded day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.store import repo
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
    """Point the console at the seeded API (environment the launcher also sets; people sign in
    with their own accounts, see tests/ops_console/signin.py)."""
    monkeypatch.setenv("NORIAI_API_URL", seeded.url)
    monkeypatch.delenv("NORIAI_OPERATOR_LOGIN", raising=False)
    monkeypatch.delenv("NORIAI_OPERATOR_PASSWORD", raising=False)
    return seeded


def at_time(hh: int, mm: int) -> datetime:
    """An aware datetime of the test day (local clock)."""
    return datetime.fromtimestamp(at_local(DAY, time(hh, mm)), tz=UTC)


@pytest.fixture(scope="module")
def alert_events(seeded, console_db_url) -> dict[str, Any]:
    """Events of promises and vehicles written into the store (as another part of the service
    writes them), on top of the seeded day's no-show."""
    by_name = {b["rider_name"]: b for b in seeded.booked}
    yamamoto, nakamura, sato = by_name["山本 勇"], by_name["中村 和子"], by_name["佐藤 一郎"]
    promised = int(datetime.fromisoformat(yamamoto["pickup_window"][1]).timestamp())
    engine = create_engine(console_db_url)
    with Session(engine) as s, s.begin():
        add = repo.add_event
        add(s, "promise_at_risk", booking_id=yamamoto["id"], vehicle_id=yamamoto["vehicle_id"],
            at=at_time(10, 45), what="pickup", level="at_risk", late_s=240,
            expected_at=promised + 240, promised_by=promised)
        add(s, "promise_at_risk", booking_id=nakamura["id"], vehicle_id=nakamura["vehicle_id"],
            at=at_time(10, 46), what="dropoff", level="at_risk", late_s=120,
            expected_at=promised, promised_by=promised)
        add(s, "promise_recovered", booking_id=nakamura["id"], vehicle_id=nakamura["vehicle_id"],
            at=at_time(10, 47))
        add(s, "promise_at_risk", booking_id=sato["id"], vehicle_id=sato["vehicle_id"],
            at=at_time(9, 15), what="dropoff", level="late", late_s=300,
            expected_at=promised, promised_by=promised)
        add(s, "vehicle_late", vehicle_id="mitsugi-2", at=at_time(10, 48), late_s=600)
        add(s, "vehicle_late", vehicle_id="mitsugi-3", at=at_time(10, 30), late_s=300)
        add(s, "vehicle_on_time", vehicle_id="mitsugi-3", at=at_time(10, 40))
        add(s, "promise_at_risk", booking_id=yamamoto["id"], vehicle_id=yamamoto["vehicle_id"],
            at=at_time(10, 50), what="pickup", level="late", late_s=420,
            expected_at=promised + 420, promised_by=promised)
    engine.dispose()
    return {"promised": promised, "yamamoto": yamamoto}
