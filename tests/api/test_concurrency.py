"""100 clients race to book the last seats of one time slot, over real sockets, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import time

import httpx
from sqlmodel import Session, select

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.store.tables import BookingRow
from tests.api.conftest import trip
from tests.api.live import serve

CLIENTS = 100


def test_race_for_last_seats(db_url, tmp_path, clock):
    """No vehicle over capacity, no promise broken, every accepted booking stored exactly once,
    every refusal explained."""
    settings = Settings(db=db_url, data_dir=tmp_path, reopt_interval_s=0, secret_key="r" * 40,
                        operator_password="operator-test", driver_password="driver-test")
    app = create_app(settings, clock=clock, background=False)
    with serve(app) as url:
        body = trip(origin="honmura", dest="hospital", at=time(10, 0), adults=3)
        tokens, offers = [], []
        with httpx.Client(base_url=url, timeout=60) as c:
            for i in range(CLIENTS):
                r = c.post("/api/v1/auth/register",
                           json={"phone": f"0900000{i:04d}", "pin": "2580", "name": f"rider {i}"})
                h = {"Authorization": f"Bearer {r.json()['access_token']}"}
                got = c.post("/api/v1/offers", json=body, headers=h).json()
                tokens.append(h)
                offers.append(got["offers"][0]["id"] if got.get("offers") else None)

        def book(i: int) -> httpx.Response | None:
            if offers[i] is None:
                return None
            with httpx.Client(base_url=url, timeout=120) as c:
                return c.post("/api/v1/bookings", json={"offer_id": offers[i]},
                              headers={**tokens[i], "Idempotency-Key": f"race-{i}"})

        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(book, range(CLIENTS)))
        runtime = app.state.runtime
        accepted = [r.json()["id"] for r in results if r is not None and r.status_code == 201]
        refused = [r for r in results if r is not None and r.status_code != 201]
        assert accepted, "someone must get the seats"
        assert refused, "the slot cannot hold 100 groups of 3"
        for r in refused:
            assert r.status_code == 409, r.text
            assert r.json()["message_ja"] and r.json()["message_en"]
        assert len(set(accepted)) == len(accepted)
        with Session(runtime.db) as s:
            rows = s.exec(select(BookingRow)).all()
        assert sorted(r.id for r in rows) == sorted(accepted)
        engine = runtime.engine
        for vd in engine.vehicle_days():
            check = engine.schedule(vd)
            assert check.feasible, check.violations
            for stop in check.stops:
                assert stop.seats_after <= engine.view(vd).vehicle.seats
        for row in rows:
            vd = engine.assigned(row.id)
            i = next(k for k, st in enumerate(engine.view(vd).plan.stops)
                     if st.booking_id == row.id and st.kind.value == "pickup")
            start = engine.schedule(vd).stops[i].start_s
            assert int(row.pickup_earliest_at.timestamp()) <= start <= int(row.pickup_latest_at.timestamp())
