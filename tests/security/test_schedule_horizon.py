"""Issue 16, finding 5: a driver asking the manifest of 600 dates in the year 3000 made the
server create 1,278 shift rows. Now manifests, plans, shifts, routes and re-optimisation take
only days inside the horizon (a month back to the last bookable day): 422 with a message that
says which days, and no row is created."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, func, select

from dispatcher.store.tables import ShiftRow
from tests.api.conftest import (  # noqa: F401 (fixtures: both databases)
    DAY,
    client,
    db_url,
    driver,
    operator,
)


def _shifts(client) -> int:  # noqa: F811
    with Session(client.app.state.runtime.db) as s:
        return s.exec(select(func.count()).select_from(ShiftRow)).one()


def test_far_days_are_refused_and_create_no_shifts(client, operator):  # noqa: F811
    d = driver(client)
    before = _shifts(client)
    far = [DAY.replace(year=3000) + timedelta(days=k) for k in range(10)]
    later = [DAY.replace(year=2090) + timedelta(days=k) for k in range(10)]
    for day in far + later:
        r = client.get("/api/v1/driver/manifest", params={"day": day.isoformat()}, headers=d)
        assert r.status_code == 422, r.text
        expected = "2099-12-31" if day.year == 3000 else "days ahead"
        assert expected in r.json()["message_en"], r.text
    last = DAY + timedelta(days=client.app.state.runtime.service.booking.max_days_ahead)
    for path in ("/api/v1/operator/plans", "/api/v1/operator/shifts", "/api/v1/operator/map/routes"):
        for day in (last + timedelta(days=1), DAY - timedelta(days=400)):
            r = client.get(path, params={"day": day.isoformat()}, headers=operator)
            assert r.status_code == 422, (path, r.text)
    r = client.post("/api/v1/operator/reoptimize", params={"day": "2999-01-01"}, headers=operator)
    assert r.status_code == 422
    assert _shifts(client) == before
    # Days inside the horizon still work.
    assert client.get("/api/v1/driver/manifest", params={"day": last.isoformat()},
                      headers=d).status_code == 200
    assert client.get("/api/v1/operator/plans", params={"day": DAY.isoformat()},
                      headers=operator).status_code == 200
