"""A killed server (SIGKILL mid-day) restarts with every confirmed booking, event and promise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time as clock
from datetime import datetime, time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import DAY, local, trip
from tests.api.live import free_port

REPO = Path(__file__).resolve().parents[2]


def _start(db_url: str, data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "NORIAI_SECRET_KEY": "k" * 40, "NORIAI_OPERATOR_PASSWORD": "operator-test",
           "NORIAI_DRIVER_PASSWORD": "driver-test", "NORIAI_REOPT_INTERVAL_S": "1",
           "NORIAI_REOPT_TIME_LIMIT_S": "0.5", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "dispatcher.cli", "serve", "--db", db_url, "--port", str(port),
           "--data-dir", str(data_dir), "--clock-speed", "1", "--clock-start", local(time(8, 0))]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = clock.monotonic() + 90
    while clock.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            clock.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_kill_and_restart_keeps_everything(backend, tmp_path, request):
    """Stop the server with SIGKILL mid-way through a scripted day; after a restart every
    confirmed booking and event is there and the rebuilt plans keep every promise."""
    if backend == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'noriai.db'}"
    else:
        from tests.api.conftest import reset_postgres

        db_url = request.getfixturevalue("postgres_url")
        reset_postgres(db_url)
    port = free_port()
    proc = _start(db_url, tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            booked = []
            trips = [("honmura", "hospital", 10), ("morohara", "ichi_office", 10),
                     ("iwane", "crossroad_mitsugi", 11), ("hospital", "honmura", 13),
                     ("kaigahara", "hospital", 14)]
            for i, (o, d, h) in enumerate(trips):
                r = c.post("/api/v1/auth/register", json={"phone": f"0801234{i:04d}", "pin": "2580",
                                                          "name": f"乗客{i}"})
                hdr = {"Authorization": f"Bearer {r.json()['access_token']}"}
                offers = c.post("/api/v1/offers", json=trip(o, d, time(h, 0)),
                                headers=hdr).json()
                b = c.post("/api/v1/bookings", json={"offer_id": offers["offers"][0]["id"]}, headers=hdr)
                assert b.status_code == 201, b.text
                booked.append(b.json())
            op = {"Authorization": "Bearer " + c.post("/api/v1/auth/login", json={
                "login": "operator", "password": "operator-test"}).json()["access_token"]}
            events_before = c.get("/api/v1/operator/events", headers=op, params={"limit": 5000}).json()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    proc = _start(db_url, tmp_path, port)
    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            op = {"Authorization": "Bearer " + c.post("/api/v1/auth/login", json={
                "login": "operator", "password": "operator-test"}).json()["access_token"]}
            after = {b["id"]: b for b in c.get("/api/v1/operator/bookings", headers=op,
                                                params={"day": DAY.isoformat()}).json()}
            for b in booked:
                assert after[b["id"]]["status"] == "confirmed"
                assert after[b["id"]]["pickup_window"] == b["pickup_window"]
            events_after = c.get("/api/v1/operator/events", headers=op, params={"limit": 5000}).json()
            assert [e["id"] for e in events_after[: len(events_before)]] == [e["id"] for e in events_before]
            plans = c.get("/api/v1/operator/plans", headers=op, params={"day": DAY.isoformat()}).json()
            planned = [s["booking_id"] for p in plans for s in p["stops"] if s["kind"] == "pickup"]
            assert sorted(planned) == sorted(b["id"] for b in booked)
            for p in plans:
                assert p["feasible"]
                for s in p["stops"]:
                    if s["kind"] == "pickup":
                        lo, hi = (datetime.fromisoformat(x) for x in s["window"])
                        assert lo <= datetime.fromisoformat(s["service_start"]) <= hi
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
