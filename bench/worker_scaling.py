"""Worker scaling: bookings per second with 1, 2, 4 ``noriai serve`` worker processes on one
PostgreSQL database, in one run (issue 18).

A Mitsugi-like service with 50 vehicles (written as a service folder, so that the worker
processes load it like any deployment), a fresh database per worker count, concurrent clients
that ask for offers and book them over the week's service days, end to end over real sockets
(``noriai serve --workers N``, uvicorn's process manager). After each run a fresh worker reads
the database back and checks it: every booking on one plan, no plan broken, no vehicle over
its seats ("broken" counts what is not so).

    python -m bench.worker_scaling [--workers 1 2 4] [--bookings 600] [--clients 16]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import httpx
import numpy as np
import psycopg

from bench.rows import print_rows
from dispatcher.api.runtime import Runtime
from dispatcher.services import load_service, service_dir
from dispatcher.settings import Settings
from dispatcher.units import TOKYO, at_local
from tests.api.live import free_port

SERVER = os.environ.get("NORIAI_BENCH_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "noriai_bench_workers"
SECRET = "w" * 40
START_DAY = date(2027, 1, 12)  # a Tuesday; the clock starts at 07:00 that day


def service_folder(folder: Path, vehicles: int) -> Path:
    """Mitsugi's configuration with ``vehicles`` vehicles (depots spread over the stops)."""
    src = service_dir("mitsugi")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("stops.csv", "aliases.toml"):
        shutil.copy(src / name, folder / name)
    text = (src / "service.toml").read_text(encoding="utf-8")
    head, _, rest = text.partition("[[fleet]]")
    tail = rest[rest.index("\n[[districts]]"):] if "\n[[districts]]" in rest else ""
    stops = [s.id for s in load_service("mitsugi").stops]
    fleet = "".join(
        f'[[fleet]]\nid = "v{i:03d}"\nname = "車両{i}"\nseats = {4 + (i % 3) * 2}\n'
        f'wheelchair_spaces = {i % 2}\ndepot = "{stops[i % len(stops)]}"\n'
        f'shifts = [{{ start = "07:30", end = "17:30" }}]\n\n'
        for i in range(vehicles))
    (folder / "service.toml").write_text(head + fleet + tail.lstrip("\n"), encoding="utf-8")
    return folder


def fresh_database() -> str:
    """(Re)create the benchmark's database; its SQLAlchemy URL."""
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return SERVER.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + "/" + DB_NAME


def start_workers(db_url: str, folder: Path, data_dir: Path, workers: int,
                  log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """``noriai serve --workers N``; returns its URL once every worker answers."""
    port = free_port()
    env = {**os.environ, "NORIAI_SECRET_KEY": SECRET, "NORIAI_OPERATOR_PASSWORD": "operator-bench",
           "NORIAI_DRIVER_PASSWORD": "driver-bench", "NORIAI_REOPT_INTERVAL_S": "0",
           "NORIAI_STANDING_INTERVAL_S": "0"}
    start = datetime.combine(START_DAY, clock_time(7, 0), tzinfo=TOKYO).isoformat()
    cmd = [sys.executable, "-c", "import sys; from dispatcher.cli import main; sys.exit(main())",
           "serve", "--db", db_url, "--port", str(port), "--service", str(folder),
           "--data-dir", str(data_dir), "--clock-speed", "1", "--clock-start", start,
           "--workers", str(workers)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    seen: set[str] = set()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(seen) < workers:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        try:
            seen.add(httpx.get(f"{url}/health", timeout=2).json()["worker"])
        except httpx.HTTPError:
            time.sleep(0.3)
    return url, proc


def stop_workers(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def load(url: str, n_bookings: int, clients: int, seed: int) -> dict[str, float]:
    """Book ``n_bookings`` with ``clients`` concurrent clients; the figures."""
    service = load_service("mitsugi")
    stops = [s.id for s in service.stops]
    days = [d for d in (START_DAY + timedelta(days=k) for k in range(8))
            if service.calendar.runs_on(d)]
    rng = np.random.default_rng(seed)
    with httpx.Client(base_url=url, timeout=60) as c:
        tokens = []
        for i in range(64):
            r = c.post("/api/v1/auth/register",
                       json={"phone": f"070{i:08d}", "pin": "2580", "name": f"rider{i}"})
            tokens.append({"Authorization": f"Bearer {r.json()['access_token']}"})
    bodies = []
    for _ in range(n_bookings * 3):
        o, d = rng.choice(len(stops), size=2, replace=False)
        day = days[int(rng.integers(len(days)))]
        minute = int(rng.integers(9 * 60, 16 * 60 + 30))
        at = datetime.combine(day, clock_time(minute // 60, minute % 60), tzinfo=TOKYO)
        bodies.append({"origin": {"stop_id": stops[o]}, "destination": {"stop_id": stops[d]},
                       "party": {"adults": int(rng.integers(1, 3))},
                       "rule": "pickup_after" if rng.random() < 0.7 else "dropoff_before",
                       "time": at.isoformat()})
    offer_ms: list[float] = []
    book_ms: list[float] = []
    booked = 0
    errors = 0

    def one(i: int) -> tuple[float, float | None, bool, bool]:
        h = tokens[i % len(tokens)]
        with httpx.Client(base_url=url, timeout=120) as cc:
            t0 = time.perf_counter()
            r = cc.post("/api/v1/offers", json=bodies[i], headers=h)
            t_offer = (time.perf_counter() - t0) * 1000
            if r.status_code != 200 or not r.json()["offers"]:
                return t_offer, None, False, r.status_code >= 500
            t1 = time.perf_counter()
            b = cc.post("/api/v1/bookings", json={"offer_id": r.json()["offers"][0]["id"]},
                        headers={**h, "Idempotency-Key": f"w-{i}"})
            return t_offer, (time.perf_counter() - t1) * 1000, b.status_code == 201, \
                b.status_code >= 500

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        i = 0
        while booked < n_bookings and i < len(bodies):
            batch = range(i, min(i + clients * 4, len(bodies)))
            i = batch.stop
            for t_offer, t_book, ok, err in pool.map(one, batch):
                offer_ms.append(t_offer)
                if t_book is not None:
                    book_ms.append(t_book)
                booked += ok
                errors += err
    elapsed = time.perf_counter() - t0
    return {"bookings": booked, "seconds": round(elapsed, 1),
            "bookings_per_s": round(booked / elapsed, 1),
            "offer_p50_ms": round(float(np.percentile(offer_ms, 50)), 1),
            "offer_p95_ms": round(float(np.percentile(offer_ms, 95)), 1),
            "book_p50_ms": round(float(np.percentile(book_ms, 50)), 1),
            "book_p95_ms": round(float(np.percentile(book_ms, 95)), 1),
            "server_errors": errors}


def check(db_url: str, folder: Path, data_dir: Path) -> dict[str, int]:
    """Read the database back with a fresh worker: bookings off their plan, broken plans,
    vehicles over their seats."""
    records: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Catch(logging.WARNING)
    logging.getLogger("noriai.engine").addHandler(handler)
    try:
        runtime = Runtime.create(Settings(db=db_url, data_dir=data_dir, reopt_interval_s=0,
                                          secret_key=SECRET, service=str(folder),
                                          operator_password="operator-bench",
                                          driver_password="driver-bench"),
                                 clock=lambda: at_local(START_DAY, clock_time(7, 5)))
    finally:
        logging.getLogger("noriai.engine").removeHandler(handler)
    try:
        engine = runtime.engine
        broken = over = 0
        for vd in engine.vehicle_days():
            view = engine.view(vd)
            assert view is not None
            sched = engine.schedule(vd)
            broken += not sched.feasible
            over += any(st.seats_after > view.vehicle.seats for st in sched.stops)
        return {"replanned_at_start": sum("re-planned after restart" in m for m in records),
                "broken_plans": broken, "over_seats": over}
    finally:
        runtime.stop()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (and JSON with --json)."""
    p = argparse.ArgumentParser(prog="python -m bench.worker_scaling", description=__doc__)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--bookings", type=int, default=600)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--vehicles", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = service_folder(Path(tmp) / "service", args.vehicles)
        for n in args.workers:
            db_url = fresh_database()
            data_dir = Path(tmp) / f"data{n}"
            print(f"{n} worker(s): starting …", flush=True)
            url, proc = start_workers(db_url, folder, data_dir, n, Path(tmp) / f"serve{n}.log")
            try:
                figures = load(url, args.bookings, args.clients, args.seed)
            finally:
                stop_workers(proc)
            figures.update(check(db_url, folder, data_dir))
            rows.append({"workers": n, **figures})
            print(f"{n} worker(s): {figures}", flush=True)
    base = rows[0]["bookings_per_s"]
    for r in rows:
        r["vs_first"] = round(float(r["bookings_per_s"]) / float(base), 2) if base else 0.0
    print_rows(rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
