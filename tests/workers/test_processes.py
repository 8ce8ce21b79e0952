"""Several ``noriai serve`` processes on one PostgreSQL database, over real sockets (issue 18):
racing riders never over-book, and the re-optimiser's leadership survives ``kill -9``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time as wall
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from dispatcher.api.runtime import Runtime
from dispatcher.settings import Settings
from dispatcher.store.tables import BookingRow
from dispatcher.units import TOKYO, at_local
from tests.api.conftest import DAY, TestClock, reset_postgres, trip
from tests.api.live import free_port

CLIENTS = 100
SECRET = "s" * 40
START = datetime.combine(DAY, time(8, 0), tzinfo=TOKYO).isoformat()


@contextmanager
def serving(db_url: str, data_dir: Path, *, workers: int = 1, reopt_s: float = 0,
            log: Path, areas: str = "") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``noriai serve`` in a process of its own (``workers`` processes on one port; ``areas``:
    further service areas, as ``NORIAI_AREAS``)."""
    port = free_port()
    env = {**os.environ, "NORIAI_SECRET_KEY": SECRET, "NORIAI_OPERATOR_PASSWORD": "operator-test",
           "NORIAI_DRIVER_PASSWORD": "driver-test", "NORIAI_REOPT_INTERVAL_S": str(reopt_s),
           "NORIAI_REOPT_TIME_LIMIT_S": "0.5", "NORIAI_STANDING_INTERVAL_S": "0",
           "NORIAI_AREAS": areas, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-c", "import sys; from dispatcher.cli import main; sys.exit(main())",
           "serve", "--db", db_url, "--port", str(port), "--data-dir", str(data_dir),
           "--clock-speed", "1", "--clock-start", START, "--workers", str(workers)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = wall.monotonic() + 180
        while wall.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                wall.sleep(0.3)
        else:
            raise AssertionError("worker did not start:\n" + log.read_text()[-3000:])
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _register(url: str, i: int) -> dict[str, str]:
    r = httpx.post(f"{url}/api/v1/auth/register", timeout=60,
                   json={"phone": f"0801234{i:04d}", "pin": "2580", "name": f"rider {i}"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _check_database(db_url: str, data_dir: Path, accepted: list[str], caplog) -> None:
    """What the database holds after the race, read by a fresh worker: every accepted booking
    stored once, planned once, and no vehicle over its seats or late for a promise."""
    with caplog.at_level(logging.WARNING, logger="noriai.engine"):
        runtime = Runtime.create(Settings(db=db_url, data_dir=data_dir, reopt_interval_s=0,
                                          secret_key=SECRET, operator_password="operator-test",
                                          driver_password="driver-test"),
                                 clock=TestClock(at_local(DAY, time(8, 5))))
    try:
        assert "re-planned after restart" not in caplog.text  # the stored plans were right
        with Session(runtime.db) as s:
            rows = s.exec(select(BookingRow)).all()
        assert sorted(r.id for r in rows) == sorted(accepted)
        assert len({r.offer_id for r in rows}) == len(rows)
        engine = runtime.engine
        planned: list[str] = []
        for vd in engine.vehicle_days(day=DAY):
            view = engine.view(vd)
            assert view is not None
            check = engine.schedule(vd)
            assert check.feasible, check.violations
            assert all(st.seats_after <= view.vehicle.seats for st in check.stops)
            planned += [st.booking_id for st in view.plan.stops if st.kind.value == "pickup"]
        assert sorted(planned) == sorted(accepted)
    finally:
        runtime.stop()


def test_four_workers_race_for_the_last_seats(postgres_url, tmp_path, caplog) -> None:
    """4 worker processes × 100 racing riders (and retries): 0 over-bookings, 0 duplicates."""
    reset_postgres(postgres_url)
    with serving(postgres_url, tmp_path, workers=4, log=tmp_path / "serve.log") as (url, _):
        body = trip(origin="honmura", dest="hospital", at=time(10, 0), adults=3)
        with ThreadPoolExecutor(max_workers=16) as pool:
            tokens = list(pool.map(lambda i: _register(url, i), range(CLIENTS)))

            def offer(i: int) -> str | None:
                got = httpx.post(f"{url}/api/v1/offers", json=body, headers=tokens[i],
                                 timeout=60).json()
                return got["offers"][0]["id"] if got.get("offers") else None

            offers = list(pool.map(offer, range(CLIENTS)))
        assert sum(o is not None for o in offers) > 10

        def book(i: int) -> httpx.Response | None:
            """Client i books its offer; every fifth client sends its request twice at once
            (a retry with the same Idempotency-Key)."""
            k = i % CLIENTS
            if offers[k] is None:
                return None
            return httpx.post(f"{url}/api/v1/bookings", json={"offer_id": offers[k]},
                              headers={**tokens[k], "Idempotency-Key": f"race-{k}"}, timeout=180)

        jobs = list(range(CLIENTS)) + [k for k in range(CLIENTS) if k % 5 == 0]
        with ThreadPoolExecutor(max_workers=40) as pool:
            seen = set(pool.map(lambda _: httpx.get(f"{url}/health").json()["worker"],
                                range(40)))
            results = list(pool.map(book, jobs))
        assert len(seen) >= 2, f"the requests reached one worker only: {seen}"
        ok = [r for r in results if r is not None and r.status_code in (200, 201)]
        refused = [r for r in results if r is not None and r.status_code not in (200, 201)]
        assert ok and refused
        for r in refused:
            assert r.status_code == 409, r.text
            assert r.json()["message_ja"] and r.json()["message_en"]
        accepted = sorted({r.json()["id"] for r in ok})
        # a retry answers the same booking: one booking per client that got one
        by_client: dict[str, set[str]] = {}
        for k, r in zip(jobs, results, strict=True):
            if r is not None and r.status_code in (200, 201):
                by_client.setdefault(str(k % CLIENTS), set()).add(r.json()["id"])
        assert all(len(ids) == 1 for ids in by_client.values())
        assert len(accepted) == len(by_client)
    _check_database(postgres_url, tmp_path, accepted, caplog)


def _health(url: str, area: str = "") -> dict | None:
    try:
        return httpx.get(f"{url}{area}/health", timeout=2).json()
    except httpx.HTTPError:
        return None


def test_leadership_survives_kill_9(postgres_url, tmp_path) -> None:
    """kill -9 of the worker that re-optimises: another takes over within 10 s, and no
    confirmed booking is lost. The workers serve two areas: each has exactly one leader."""
    reset_postgres(postgres_url)
    logs = [tmp_path / f"w{i}.log" for i in range(3)]
    second = "/a/kinoshou"
    with serving(postgres_url, tmp_path, reopt_s=1, log=logs[0], areas="kinoshou") as (u0, p0), \
            serving(postgres_url, tmp_path, reopt_s=1, log=logs[1], areas="kinoshou") as (u1, p1), \
            serving(postgres_url, tmp_path, reopt_s=1, log=logs[2], areas="kinoshou") as (u2, p2):
        urls, procs = [u0, u1, u2], [p0, p1, p2]
        deadline = wall.monotonic() + 15
        leaders: list[int] = []
        while wall.monotonic() < deadline:
            leaders = [i for i, u in enumerate(urls) if (_health(u) or {}).get("leader")]
            if leaders:
                break
            wall.sleep(0.2)
        assert len(leaders) == 1, leaders
        lead = leaders[0]
        second_leaders: list[int] = []
        while wall.monotonic() < deadline + 5 and len(second_leaders) != 1:
            second_leaders = [i for i, u in enumerate(urls)
                              if (_health(u, second) or {}).get("leader")]
            wall.sleep(0.2)
        assert len(second_leaders) == 1, second_leaders
        assert (_health(urls[second_leaders[0]], second) or {}).get("service") == "kinoshou"
        booked = []
        for i in range(6):  # bookings through every worker, the leader's included
            url = urls[i % 3]
            h = _register(url, i)
            got = httpx.post(f"{url}/api/v1/offers", headers=h, timeout=60,
                             json=trip(origin="honmura", dest="hospital",
                                       at=time(10 + i % 3, 0))).json()
            r = httpx.post(f"{url}/api/v1/bookings", headers=h, timeout=60,
                           json={"offer_id": got["offers"][0]["id"]})
            assert r.status_code == 201, r.text
            booked.append((h, r.json()["id"]))
        os.killpg(procs[lead].pid, signal.SIGKILL)
        procs[lead].wait()
        killed = wall.monotonic()
        rest = [u for i, u in enumerate(urls) if i != lead]
        new = None
        while wall.monotonic() - killed < 10 and new is None:
            new = next((u for u in rest if (_health(u) or {}).get("leader")), None)
            wall.sleep(0.1)
        took = wall.monotonic() - killed
        assert new is not None, "no worker took the leadership over within 10 s"
        print(f"leadership taken over in {took:.1f} s")
        # the second area has one leader among the survivors too (taken over if it was lost)
        second_new: list[str] = []
        while wall.monotonic() - killed < 10 and len(second_new) != 1:
            second_new = [u for u in rest if (_health(u, second) or {}).get("leader")]
            wall.sleep(0.1)
        assert len(second_new) == 1, second_new
        # every confirmed booking is still there, on every surviving worker
        for u in rest:
            for h, bid in booked:
                r = httpx.get(f"{u}/api/v1/bookings/{bid}", headers=h, timeout=30)
                assert r.status_code == 200 and r.json()["status"] == "confirmed", r.text
        # and the service goes on: a booking after the take-over
        h = _register(new, 99)
        got = httpx.post(f"{new}/api/v1/offers", headers=h, timeout=60,
                         json=trip(origin="honmura", dest="hospital", at=time(11, 30))).json()
        r = httpx.post(f"{new}/api/v1/bookings", headers=h, timeout=60,
                       json={"offer_id": got["offers"][0]["id"]})
        assert r.status_code == 201, r.text
        # the new leader runs the re-optimisation cycles
        deadline = wall.monotonic() + 20
        text = ""
        while wall.monotonic() < deadline:
            text = logs[urls.index(new)].read_text()
            if "now runs the background cycles" in text:
                break
            wall.sleep(0.2)
        assert "now runs the background cycles" in text
