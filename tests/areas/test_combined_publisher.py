"""Who publishes the combined feed: the deployment, not its first area.

- The window is chosen by the deployment's day (the earliest of the areas' local days), so an
  area whose clock is behind the first area's (another time zone) still finds its own day in
  the combined feed, whichever area is listed first.
- Several workers on one database (two apps over the same PostgreSQL database, or the same
  SQLite files) that build the combined feed at the same moment for the first time both answer,
  record one export, and serve the same export time and verdict: the first record wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from dispatcher.api import routes_combined
from dispatcher.api.app import create_app
from dispatcher.services import load_service
from dispatcher.settings import Settings
from dispatcher.store.tables import Setting
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock, reset_postgres

KEY = "gtfs_feed_combined"


def _settings(db: str, data_dir: Path) -> Settings:
    return Settings(db=db, data_dir=data_dir, areas="kinoshou", reopt_interval_s=0,
                    standing_interval_s=0, secret_key="t" * 40,
                    operator_password="operator-test", driver_password="driver-test")


def test_the_window_is_the_deployments_day_not_the_first_areas(tmp_path) -> None:
    """The first area (Mitsugi, moved here to UTC+14) is already on 1 February while Kinosho
    (Tokyo) is still on 31 January: the combined feed's window starts on 1 January, so it
    covers Kinosho's today; the export time is in UTC (the areas' zones differ)."""
    ahead = replace(load_service("mitsugi"), timezone="Pacific/Kiritimati")
    clock = TestClock(at_local(date(2027, 1, 31), time(23, 0)))  # Tokyo
    app = create_app(_settings(f"sqlite:///{tmp_path / 'noriai.db'}", tmp_path), clock=clock,
                     background=False, service=ahead)
    with TestClient(app) as c:
        areas = c.app.state.deployment.areas
        assert areas["mitsugi"].engine.today() == date(2027, 2, 1)
        assert areas["kinoshou"].engine.today() == date(2027, 1, 31)
        status = c.get("/gtfs/combined/status").json()
        assert (status["start"], status["end"]) == ("2027-01-01", "2027-12-31"), status
        assert status["validation"]["errors"] == 0, status["validation"]
        assert datetime.fromisoformat(status["exported_at"]).utcoffset() == UTC.utcoffset(None)
        # The first area's own feed keeps its own day's window.
        assert c.get("/gtfs/status").json()["start"] == "2027-02-01"


@pytest.fixture(params=["sqlite", "postgres"])
def shared_db(request, tmp_path) -> str:
    """One database for two workers: SQLite files, or the PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'noriai.db'}"
    url: str = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


@pytest.fixture
def two_workers(shared_db, tmp_path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps (workers) of the same two-area deployment on one database."""
    clock = TestClock(at_local(DAY, time(8, 0)))
    with TestClient(create_app(_settings(shared_db, tmp_path), clock=clock,
                               background=False)) as one, \
            TestClient(create_app(_settings(shared_db, tmp_path), clock=clock,
                                  background=False)) as two:
        yield one, two


def test_two_workers_publishing_at_once_record_one_export(two_workers, monkeypatch) -> None:
    """Both workers build and validate the combined feed at the same moment (each waits in
    the build until the other has built too, so neither sees the other's record first) and
    at different times of export: both answer 200 with the same bytes, one record is kept, and
    both workers then serve that record's export time and verdict."""
    one, two = two_workers
    built = threading.Barrier(2, timeout=60)
    publish = routes_combined.publish_combined
    times = iter(["2027-01-13T08:00:01+09:00", "2027-01-13T08:00:02+09:00"])
    lock = threading.Lock()

    def racing(services: Any, today: date, now: datetime, days: int, previous: Any) -> Any:
        with lock:
            now = datetime.fromisoformat(next(times))
        pub = publish(services, today, now, days, previous=previous)
        built.wait()
        return pub

    monkeypatch.setattr(routes_combined, "publish_combined", racing)
    answers: dict[int, Any] = {}

    def fetch(i: int, c: TestClient) -> None:
        answers[i] = c.get("/gtfs/combined/feed.zip")

    threads = [threading.Thread(target=fetch, args=(i, c)) for i, c in enumerate((one, two))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert set(answers) == {0, 1}, "a worker's request failed"
    assert [answers[i].status_code for i in (0, 1)] == [200, 200], answers
    assert answers[0].content == answers[1].content
    statuses = [c.get("/gtfs/combined/status").json() for c in (one, two)]
    assert statuses[0] == statuses[1]
    with Session(one.app.state.deployment.db) as s:
        rows = s.exec(select(Setting).where(Setting.key == KEY)).all()
    assert len(rows) == 1
    assert rows[0].value["exported_at"] == statuses[0]["exported_at"]
    assert rows[0].value["sha256"] == statuses[0]["sha256"]
