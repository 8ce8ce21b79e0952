"""API fixtures: the app on a fresh SQLite file or on the PostgreSQL test database, with a
clock the test controls, and signed-in clients for each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import TOKYO, at_local

#: A Wednesday in the service's calendar; tests run "now" at 08:00 of this day.
DAY = date(2027, 1, 13)


@dataclass
class TestClock:
    """A clock the test moves by hand (epoch s)."""

    t: int

    def __call__(self) -> int:
        return self.t

    def set(self, clock: time, day: date = DAY) -> None:
        """Jump to a local time of a day."""
        self.t = at_local(day, clock)


def local(clock: time, day: date = DAY) -> str:
    """ISO local time of the test day."""
    return datetime.combine(day, clock, tzinfo=TOKYO).isoformat()


def reset_postgres(url: str) -> None:
    """Empty the PostgreSQL test database (the first area's schema and every further area's)."""
    eng = create_engine(url)
    with eng.begin() as conn:
        areas = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'area\\_%'"))
        for (schema,) in areas.all():
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


def make_client(db_url: str, data_dir: Path, clock: TestClock) -> TestClient:
    """A TestClient over a fresh app (its lifespan starts the runtime)."""
    settings = Settings(db=db_url, data_dir=data_dir, reopt_interval_s=0, secret_key="t" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    return TestClient(create_app(settings, clock=clock, background=False))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path) -> str:
    """The database under test: a SQLite file, and the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'noriai.db'}"
    url = request.getfixturevalue("postgres_url")
    reset_postgres(url)
    return url


@pytest.fixture
def clock() -> TestClock:
    """Now = 08:00 on the test day."""
    return TestClock(at_local(DAY, time(8, 0)))


@pytest.fixture
def client(db_url, tmp_path, clock) -> Iterator[TestClient]:
    """A running app on the database under test."""
    with make_client(db_url, tmp_path, clock) as c:
        yield c


def login(client: TestClient, **body: str) -> dict[str, str]:
    """Authorization header of a sign-in."""
    r = client.post("/api/v1/auth/login", json=body)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def register(client: TestClient, phone: str, name: str = "山田 花子", pin: str = "2580") -> dict[str, str]:
    """Authorization header of a new rider."""
    r = client.post("/api/v1/auth/register", json={"phone": phone, "pin": pin, "name": name})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def rider(client) -> dict[str, str]:
    """A signed-in rider."""
    return register(client, "090-1111-2222")


@pytest.fixture
def operator(client) -> dict[str, str]:
    """The signed-in operator."""
    return login(client, login="operator", password="operator-test")


def driver(client: TestClient, vehicle: str = "mitsugi-1") -> dict[str, str]:
    """A signed-in driver of ``vehicle``."""
    return login(client, login=vehicle, password="driver-test")


def trip(origin: str = "honmura", dest: str = "hospital", at: time = time(10, 0),
         rule: str = "pickup_after", **party: int) -> dict:
    """A trip request body."""
    return {"origin": {"stop_id": origin}, "destination": {"stop_id": dest},
            "party": party or {"adults": 1}, "rule": rule, "time": local(at)}
