"""Booking load: offers and bookings per second and their latency through the HTTP API.

A Mitsugi-like service with 50 vehicles is filled with 2,000 open bookings over its booking
horizon (a week of service days), then measured: offer latency (p50/p95) with those bookings open,
and booking throughput with concurrent clients — end to end over real sockets (uvicorn), on
SQLite and on PostgreSQL. Targets (issue 4): offer p95 ≤ 100 ms, ≥ 50 bookings/s.

    python -m bench.booking_load [--db sqlite|postgres|both] [--bookings 2000] [--vehicles 50]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine, text

from bench.rows import print_rows
from dispatcher.api.app import create_app
from dispatcher.service_area import ServiceArea, ShiftSpec, VehicleSpec
from dispatcher.services import load_service
from dispatcher.settings import Settings
from dispatcher.units import TOKYO, at_local
from tests.api.live import serve

POSTGRES = os.environ.get("NORIAI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def big_service(vehicles: int) -> ServiceArea:
    """The Mitsugi service with ``vehicles`` vehicles (depots spread over the stops)."""
    base = load_service("mitsugi")
    depots = [s.id for s in base.stops]
    fleet = tuple(
        VehicleSpec(id=f"v{i:03d}", name=f"車両{i}", seats=4 + (i % 3) * 2, wheelchair_spaces=i % 2,
                    depot=depots[i % len(depots)],
                    shifts=(ShiftSpec(start_s=7 * 3600 + 1800, end_s=17 * 3600 + 1800),))
        for i in range(vehicles)
    )
    return replace(base, fleet=fleet)


def pct(values: list[float], q: float) -> float:
    """Percentile of a list (ms)."""
    return float(np.percentile(values, q)) if values else float("nan")


def run(db_url: str, label: str, n_bookings: int, vehicles: int, seed: int) -> dict[str, object]:
    """Fill the service and measure; returns the figures."""
    rng = np.random.default_rng(seed)
    service = big_service(vehicles)
    start_day = date(2027, 1, 12)  # a Tuesday; the clock stands at 07:00 that day
    now = at_local(start_day, clock_time(7, 0))
    days = [d for d in (start_day + timedelta(days=k) for k in range(8)) if service.calendar.runs_on(d)]
    stops = [s.id for s in service.stops]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db=db_url or f"sqlite:///{Path(tmp) / 'load.db'}", data_dir=Path(tmp),
                            reopt_interval_s=0, secret_key="b" * 40,
                            operator_password="operator-bench", driver_password="driver-bench")
        app = create_app(settings, clock=lambda: now, background=False, service=service)
        with serve(app) as url, httpx.Client(base_url=url, timeout=60) as c:
            tokens = []
            for i in range(64):
                r = c.post("/api/v1/auth/register", json={"phone": f"070{i:08d}", "pin": "2580",
                                                          "name": f"rider{i}"})
                tokens.append({"Authorization": f"Bearer {r.json()['access_token']}"})

            def trip_body() -> dict[str, object]:
                o, d = rng.choice(len(stops), size=2, replace=False)
                day = days[int(rng.integers(len(days)))]
                minute = int(rng.integers(9 * 60, 16 * 60 + 30))
                at = datetime.combine(day, clock_time(minute // 60, minute % 60), tzinfo=TOKYO)
                rule = "pickup_after" if rng.random() < 0.7 else "dropoff_before"
                return {"origin": {"stop_id": stops[o]}, "destination": {"stop_id": stops[d]},
                        "party": {"adults": int(rng.integers(1, 3))}, "rule": rule,
                        "time": at.isoformat()}

            def one(i: int) -> tuple[float, float | None, bool]:
                h = tokens[i % len(tokens)]
                with httpx.Client(base_url=url, timeout=60) as cc:
                    t0 = time.perf_counter()
                    r = cc.post("/api/v1/offers", json=trip_body(), headers=h)
                    t_offer = (time.perf_counter() - t0) * 1000
                    if r.status_code != 200 or not r.json()["offers"]:
                        return t_offer, None, False
                    t1 = time.perf_counter()
                    b = cc.post("/api/v1/bookings", json={"offer_id": r.json()["offers"][0]["id"]},
                                headers={**h, "Idempotency-Key": f"load-{i}"})
                    return t_offer, (time.perf_counter() - t1) * 1000, b.status_code == 201

            # Phase 1: fill to n_bookings with 8 concurrent clients (also a throughput figure).
            booked = 0
            attempts = 0
            fill_offer: list[float] = []
            t_fill = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                while booked < n_bookings and attempts < n_bookings * 3:
                    batch = list(pool.map(one, range(attempts, attempts + 64)))
                    attempts += 64
                    booked += sum(ok for _, _, ok in batch)
                    fill_offer += [t for t, _, _ in batch]
            fill_s = time.perf_counter() - t_fill
            # Phase 2: offers only, sequential, with the bookings open.
            offer_ms = []
            for i in range(300):
                t0 = time.perf_counter()
                c.post("/api/v1/offers", json=trip_body(), headers=tokens[i % len(tokens)])
                offer_ms.append((time.perf_counter() - t0) * 1000)
            # Phase 3: 400 fresh offers, then concurrent bookings of them (bookings/s).
            import threading

            local = threading.local()

            def client() -> httpx.Client:
                if not hasattr(local, "c"):
                    local.c = httpx.Client(base_url=url, timeout=60)
                return local.c

            pending = []
            for i in range(400):
                r = c.post("/api/v1/offers", json=trip_body(), headers=tokens[i % len(tokens)])
                if r.status_code == 200 and r.json()["offers"]:
                    pending.append((i, r.json()["offers"][0]["id"]))

            def book(item: tuple[int, str]) -> tuple[float, bool]:
                i, offer_id = item
                t0 = time.perf_counter()
                b = client().post("/api/v1/bookings", json={"offer_id": offer_id},
                                  headers={**tokens[i % len(tokens)], "Idempotency-Key": f"p3-{i}"})
                return (time.perf_counter() - t0) * 1000, b.status_code == 201

            t3 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=16) as pool:
                res = list(pool.map(book, pending))
            wall = time.perf_counter() - t3
            book_ms = [ms for ms, ok in res if ok]
            ok = sum(1 for _, k in res if k)
    return {
        "db": label, "vehicles": vehicles, "open_bookings": booked,
        "fill_bookings_per_s": round(booked / fill_s, 1),
        "offer_p50_ms": round(pct(offer_ms, 50), 1), "offer_p95_ms": round(pct(offer_ms, 95), 1),
        "booking_p50_ms": round(pct(book_ms, 50), 1), "booking_p95_ms": round(pct(book_ms, 95), 1),
        "bookings_per_s": round(len(res) / wall, 1), "accepted_in_phase3": ok,
        "refused_in_phase3": len(res) - ok,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (and JSON with --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--bookings", type=int, default=2000)
    p.add_argument("--vehicles", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    rows = []
    if args.db in ("sqlite", "both"):
        rows.append(run("", "sqlite", args.bookings, args.vehicles, args.seed))
    if args.db in ("postgres", "both"):
        eng = create_engine(POSTGRES)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
        eng.dispose()
        rows.append(run(POSTGRES, "postgres", args.bookings, args.vehicles, args.seed))
    print_rows(rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
