"""``noriai demo``: the service, the apps and the console, live on a simulated Mitsugi day.

Starts the API on a fresh SQLite file under ``./var/demo/`` with an accelerated clock (60× by
default: one service hour per minute) on the next operating day, the operations console
(Streamlit, when ``ops_console/app.py`` exists) with ``NORIAI_API_URL`` set, and plays the day
through the HTTP API: riders sign up and book in the app or by phone (through the operator),
cancel, or fail to turn up; simulated drivers follow their manifests, report departures,
arrivals, boardings, alightings, no-shows and positions along the roads. Everything the apps and
the console show is therefore live. Ctrl-C stops everything; ``--minutes`` / ``--until`` stop by
themselves.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np

from dispatcher.errors import NoriaiError
from dispatcher.model import Passengers
from dispatcher.params import DispatchParams
from dispatcher.service_area import ServiceArea, clock_s
from dispatcher.services import load_service
from dispatcher.sim.clock import DemoClock
from dispatcher.sim.demand import DemandParams, TripSpec, generate_day
from dispatcher.sim.runner import next_operating_day
from dispatcher.sim.vehicles import SimVehicle, StopView, VehicleView

log = logging.getLogger("noriai.demo")
REPO = Path(__file__).resolve().parents[2]


class ApiError(NoriaiError):
    """The API refused a simulated action (4xx)."""

    status = 409
    code = "api_refused"


def free_port() -> int:
    """An unused local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _epoch(iso: str | None) -> int:
    return int(datetime.fromisoformat(iso).timestamp()) if iso else 0


class HttpGateway:
    """Simulated drivers and riders speaking to the running service over HTTP."""

    def __init__(self, base: str, network: Any, params: DispatchParams, driver_password: str,
                 operator_password: str, runtime: Any) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.network = network
        self.params = params
        self.driver_password = driver_password
        self.runtime = runtime
        self._tokens: dict[str, dict[str, str]] = {}
        self._riders: dict[int, dict[str, str]] = {}
        self._nodes: dict[tuple[float, float], int] = {}
        self.operator = self._login({"login": "operator", "password": operator_password})

    def _login(self, body: dict[str, str]) -> dict[str, str]:
        r = self.http.post("/api/v1/auth/login", json=body)
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def _driver(self, vehicle_id: str) -> dict[str, str]:
        if vehicle_id not in self._tokens:
            self._tokens[vehicle_id] = self._login({"login": vehicle_id,
                                                    "password": self.driver_password})
        return self._tokens[vehicle_id]

    def _call(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
        r = self.http.request(method, url, headers=headers, **kw)
        if r.status_code >= 400:
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") \
                else {}
            raise ApiError(body.get("message_ja", r.text), body.get("message_en", r.text))
        return r.json() if r.content else None

    def _node(self, lat: float, lon: float) -> int:
        key = (round(lat, 6), round(lon, 6))
        if key not in self._nodes:
            self._nodes[key] = int(self.network.snap(lat, lon))
        return self._nodes[key]

    # -- the driver's side (vehicles.Gateway)
    def view(self, vehicle_id: str) -> VehicleView | None:
        """The manifest of the vehicle, as the driver app reads it."""
        m = self._call("GET", "/api/v1/driver/manifest", self._driver(vehicle_id))
        if m.get("off_shift"):
            return None
        stops = []
        for st in m["stops"]:
            pax = Passengers(st.get("adults", 1) or 0, st.get("children", 0) or 0,
                             st.get("wheelchairs", 0) or 0) if (
                st.get("adults") or st.get("children") or st.get("wheelchairs")) else Passengers()
            stops.append(StopView(st["booking_id"], st["kind"], self._node(st["lat"], st["lon"]),
                                  _epoch(st.get("eta")), _epoch(st.get("service_start")),
                                  _epoch(st["window"][0]) if st.get("window") else None,
                                  self.params.dwell_s(pax)))
        return VehicleView(tuple(stops), tuple(_epoch(b) for b in m.get("breaks", [])),
                           tuple(m.get("onboard", [])))

    def report(self, vehicle_id: str, kind: str, booking_id: str | None,
               lat: float | None, lon: float | None) -> None:
        """POST a driver event."""
        self._call("POST", "/api/v1/driver/events", self._driver(vehicle_id),
                   json={"type": kind, "booking_id": booking_id, "lat": lat, "lon": lon})

    def no_show(self, vehicle_id: str, booking_id: str) -> None:
        """POST a no-show."""
        self.report(vehicle_id, "no_show", booking_id, None, None)

    def position(self, vehicle_id: str, lat: float, lon: float) -> None:
        """POST a position."""
        self._call("POST", "/api/v1/driver/position", self._driver(vehicle_id),
                   json={"lat": lat, "lon": lon})

    def take_break(self, vehicle_id: str, start_s: int) -> int:
        """Start a break (the API has no break route yet: the engine is called directly)."""
        return int(self.runtime.engine.break_taken(vehicle_id, start_s,
                                                   f"driver-{vehicle_id}")["end_s"])

    def travel_s(self, a: int, b: int) -> int:
        """Planned travel time between road nodes."""
        return int(self.network.travel_time(a, b))

    def polyline(self, a: int, b: int) -> list[tuple[float, float]]:
        """Road path between nodes."""
        return list(self.network.polyline(a, b))

    def coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a node."""
        lat, lon = self.network.node_coords(node)
        return float(lat), float(lon)

    # -- the riders' side
    def _rider(self, n: int) -> dict[str, str]:
        if n not in self._riders:
            r = self.http.post("/api/v1/auth/register", json={
                "phone": f"090-7000-{n:04d}", "pin": "2580", "name": f"デモ利用者{n}"})
            if r.status_code == 409:
                self._riders[n] = self._login({"phone": f"090-7000-{n:04d}", "password": "2580"})
            else:
                r.raise_for_status()
                self._riders[n] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._riders[n]

    def book(self, spec: TripSpec, tz: ZoneInfo) -> tuple[str | None, str]:
        """Ask for offers and accept one (app or phone); returns (booking id, outcome)."""
        body: dict[str, Any] = {
            "origin": {"stop_id": spec.origin}, "destination": {"stop_id": spec.destination},
            "party": {"adults": spec.adults, "children": spec.children,
                      "wheelchairs": spec.wheelchairs},
            "rule": spec.rule,
            "time": datetime.fromtimestamp(spec.time_s, tz).isoformat()}
        caller = {"name": f"電話利用者{spec.rider}", "phone": f"0848-70-{spec.rider:04d}"}
        try:
            if spec.channel == "phone":
                found = self._call("POST", "/api/v1/operator/offers", self.operator,
                                   json=body | {"caller": caller})
            else:
                found = self._call("POST", "/api/v1/offers", self._rider(spec.rider), json=body)
        except ApiError:
            return None, "refused"
        offers = found["offers"]
        outcome = "booked"
        if not offers:
            if not spec.accepts_alternative or not found["alternatives"]:
                return None, "declined"
            offers = sorted(found["alternatives"], key=lambda o: abs(
                _epoch(o["pickup_window"][0]) - spec.time_s))
            outcome = "alternative"
        try:
            if spec.channel == "phone":
                row = self._call("POST", "/api/v1/operator/bookings",
                                 self.operator | {"Idempotency-Key": f"demo-{spec.id}"},
                                 json={"offer_id": offers[0]["id"], "caller": caller})
            else:
                row = self._call("POST", "/api/v1/bookings",
                                 self._rider(spec.rider) | {"Idempotency-Key": f"demo-{spec.id}"},
                                 json={"offer_id": offers[0]["id"]})
        except ApiError:
            return None, "lost"
        return str(row["id"]), outcome

    def cancel(self, spec: TripSpec, booking_id: str) -> bool:
        """Cancel (the rider in the app, or the operator for a phone booking)."""
        try:
            if spec.channel == "phone":
                self._call("POST", f"/api/v1/operator/bookings/{booking_id}/cancel", self.operator)
            else:
                self._call("POST", f"/api/v1/bookings/{booking_id}/cancel",
                           self._rider(spec.rider))
        except ApiError:
            return False
        return True


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``noriai demo``."""
    p = argparse.ArgumentParser(prog="noriai demo", description=(
        "Run the service, the driver and rider apps and the operations console on a simulated "
        "Mitsugi day (accelerated clock)."))
    p.add_argument("--port", type=int, default=8000, help="API port (0: any free port)")
    p.add_argument("--console-port", type=int, default=8501)
    p.add_argument("--no-console", action="store_true", help="do not start the Streamlit console")
    p.add_argument("--speed", type=float, default=60.0, help="clock speed-up (default 60×)")
    p.add_argument("--start", default="07:45", help="local start time of the simulated day")
    p.add_argument("--day", type=date.fromisoformat, default=None,
                   help="service day (default: the next operating day)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--minutes", type=float, default=None, help="stop after N wall-clock minutes")
    p.add_argument("--until", default=None, help="stop at this simulated local time HH:MM")
    p.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    return p


def main(argv: list[str]) -> int:
    """Start everything, play the day, stop cleanly."""
    args = build_parser().parse_args(argv)
    stop_event = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda *_: stop_event.set())
        signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from routing.network import load_network

    service = load_service("mitsugi")
    tz = ZoneInfo(service.timezone)
    day = args.day or next_operating_day(service, datetime.now(tz).date())
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
    start_s = midnight + clock_s(args.start)
    db_file = _fresh_db_file(args.data_dir)
    # Advance bookings are made "the evening before": hold the clock early, book, then run.
    clock = DemoClock(min(start_s, midnight + 6 * 3600 + 1800), args.speed)
    network = load_network(service.id)
    api = _start_api(args, db_file, network, clock)
    if api is None:
        print("noriai demo: the API did not start", file=sys.stderr)
        return 1
    console = _start_console(args, api.base)
    _print_banner(service, day, args, api.base, db_file, console)
    gw = HttpGateway(api.base, network, service.dispatch_params(), "driver-demo",
                     "operator-demo", api.app.state.runtime)
    demand = DemandParams.from_toml()
    trips = generate_day(service, demand, day, np.random.default_rng(args.seed))
    play = _DemoDay(gw, clock, tz)
    wall0 = time.monotonic()
    try:
        play.book_ahead(trips, start_s, stop_event)
        clock.jump(start_s)
        clock.run()
        play.add_vehicles(service, network, demand, midnight,
                          np.random.default_rng(args.seed + 2))
        end_s = midnight + max(v.shifts[0].end_s for v in service.fleet) + 1800
        stop_s = midnight + clock_s(args.until) if args.until else end_s
        stop_wall = time.monotonic() + args.minutes * 60 if args.minutes else None
        play.run(stop_event, stop_s, stop_wall, api.base)
    finally:
        _shut_down(console, api, gw, previous)
    sim_end = clock()
    print(f"noriai demo stopped at {datetime.fromtimestamp(sim_end, tz):%H:%M} simulated "
          f"({time.monotonic() - wall0:.0f} s wall): asked {play.counts['asked']}, "
          f"booked {len(play.booked)}, cancelled {play.counts['cancelled']}.")
    return 0


def _fresh_db_file(data_dir: Path) -> Path:
    """The demo's SQLite file under ``data_dir``, an earlier demo's removed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db_file = data_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    return db_file


@dataclass
class _Api:
    """The API served in a thread of this process."""

    app: Any
    server: Any
    thread: threading.Thread
    base: str


def _start_api(args: argparse.Namespace, db_file: Path, network: Any,
               clock: DemoClock) -> _Api | None:
    """Serve the API on the demo's clock and wait until it answers (None: it did not start)."""
    import uvicorn

    from dispatcher.api.app import create_app
    from dispatcher.settings import Settings

    settings = Settings(db=f"sqlite:///{db_file.resolve()}", data_dir=args.data_dir,
                        operator_password="operator-demo", driver_password="driver-demo",
                        reopt_interval_s=max(1.0, 300 / args.speed), reopt_time_limit_s=1.0)
    app = create_app(settings, network=network, clock=clock, background=True)
    port = args.port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="noriai-api", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return _Api(app, server, thread, base)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            return None
        time.sleep(0.2)


def _start_console(args: argparse.Namespace, base: str) -> subprocess.Popen[bytes] | None:
    """The Streamlit console on the API, unless not wanted or not in this build."""
    console_app = REPO / "ops_console" / "app.py"
    if args.no_console or not console_app.is_file():
        return None
    # Only where the API is: people sign in to the console with their own account (the
    # demo's is printed below); the simulated phone staff use the API directly.
    env = dict(os.environ, NORIAI_API_URL=base)
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(console_app), "--server.headless",
         "true", "--server.port", str(args.console_port), "--browser.gatherUsageStats",
         "false"], env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)


def _print_banner(service: ServiceArea, day: date, args: argparse.Namespace, base: str,
                  db_file: Path, console: subprocess.Popen[bytes] | None) -> None:
    """Where everything is and how to sign in."""
    print(f"noriai demo — {service.name_ja} / {service.name_en}, {day:%Y-%m-%d} "
          f"from {args.start} at {args.speed:g}× (one service hour per {60 / args.speed:g} min)")
    print(f"  API            {base}/docs  (health: {base}/health)")
    print(f"  driver app     {base}/driver/   sign in: vehicle id (mitsugi-1..3) / driver-demo")
    print(f"  rider app      {base}/rider/    demo riders: 090-7000-NNNN / PIN 2580")
    if console is not None:
        print(f"  ops console    http://127.0.0.1:{args.console_port}/   sign in: operator / "
              "operator-demo (a supervisor: creates the other accounts)")
    elif not args.no_console:
        print("  ops console    (ops_console/app.py not present in this build)")
    print(f"  database       {db_file}   (Ctrl-C stops everything)", flush=True)


def _shut_down(console: subprocess.Popen[bytes] | None, api: _Api, gw: HttpGateway,
               previous: Any) -> None:
    """Stop the console and the API, and give Ctrl-C back."""
    if console is not None:
        console.terminate()
        try:
            console.wait(timeout=10)
        except subprocess.TimeoutExpired:
            console.kill()
    api.server.should_exit = True
    api.thread.join(timeout=30)
    gw.http.close()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)


class _DemoDay:
    """The demo's riders and drivers on the accelerated clock: a queue of bookings,
    cancellations and vehicle steps played as the clock reaches them."""

    def __init__(self, gw: HttpGateway, clock: DemoClock, tz: ZoneInfo) -> None:
        self.gw = gw
        self.clock = clock
        self.tz = tz
        self.counts = {"asked": 0, "booked": 0, "alternative": 0, "refused": 0, "declined": 0,
                       "lost": 0, "cancelled": 0}
        self.booked: dict[str, TripSpec] = {}
        self.booking_of: dict[str, str] = {}
        self.heap: list[tuple[int, int, str, Any]] = []
        self.seq = itertools.count()
        self.fleet: dict[str, SimVehicle] = {}
        self.wake_at: dict[str, int] = {}

    def push(self, t: int, kind: str, payload: Any) -> None:
        """Queue an event at ``t`` (epoch s)."""
        heapq.heappush(self.heap, (int(t), next(self.seq), kind, payload))

    def book(self, spec: TripSpec) -> None:
        """A rider asks and books (and will cancel later if the trip says so)."""
        self.counts["asked"] += 1
        bid, outcome = self.gw.book(spec, self.tz)
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if bid is not None:
            self.booked[bid] = spec
            self.booking_of[spec.id] = bid
            if spec.cancel_at_s is not None:
                self.push(max(self.clock(), spec.cancel_at_s), "cancel", spec)

    def no_show(self, booking_id: str) -> bool:
        """Whether the rider of a booking stays away."""
        return bool(self.booked.get(booking_id) and self.booked[booking_id].no_show)

    def book_ahead(self, trips: list[TripSpec], start_s: int,
                   stop_event: threading.Event) -> None:
        """Book the advance trips now; queue the others at their booking time."""
        for spec in trips:
            if stop_event.is_set():
                break
            if spec.book_at_s is None or spec.book_at_s < start_s:
                self.book(spec)
            else:
                self.push(spec.book_at_s, "book", spec)

    def add_vehicles(self, service: ServiceArea, network: Any, demand: DemandParams,
                     midnight: int, vrng: np.random.Generator) -> None:
        """A simulated driver per vehicle, woken at its first shift's start."""
        for v in service.fleet:
            node = network.snap(service.stop(v.depot).lat, service.stop(v.depot).lon)
            self.fleet[v.id] = SimVehicle(v.id, node, self.gw,
                                          np.random.default_rng(vrng.integers(1 << 31)),
                                          demand.reality(), self.no_show,
                                          service.booking.no_show_grace_s,
                                          demand.position_every_s)
            self.push(midnight + v.shifts[0].start_s, "veh", v.id)

    def run(self, stop_event: threading.Event, stop_s: int, stop_wall: float | None,
            base: str) -> None:
        """Play the day until stopped, ``stop_s`` (simulated) or ``stop_wall`` (monotonic)."""
        clock = self.clock
        last_line = 0.0
        while not stop_event.is_set():
            now = clock()
            if now >= stop_s or (stop_wall and time.monotonic() >= stop_wall):
                break
            self._play_due(now)
            # Plans change under the drivers (bookings, re-optimisation): free drivers look again.
            for vid, veh in self.fleet.items():
                if veh.interruptible(clock()) and self.wake_at.get(vid, 0) > clock() + 60:
                    self.wake_at[vid] = clock()
                    self.push(clock(), "veh", vid)
            if time.monotonic() - last_line > 5:
                last_line = time.monotonic()
                self._progress_line(base)
            heap = self.heap
            pause = 0.25 if not heap else min(0.25, clock.wall_seconds_until(heap[0][0]))
            stop_event.wait(max(0.01, pause))

    def _play_due(self, now: int) -> None:
        """Every queued event due at ``now``."""
        heap, clock, wake_at = self.heap, self.clock, self.wake_at
        while heap and heap[0][0] <= now:
            t, _, kind, payload = heapq.heappop(heap)
            if kind == "book":
                self.book(payload)
            elif kind == "cancel":
                bid = self.booking_of.get(payload.id)
                if bid and self.gw.cancel(payload, bid):
                    self.counts["cancelled"] += 1
            elif kind == "veh" and wake_at.get(payload, t) <= t:
                nxt = self.fleet[payload].step(clock())
                wake_at[payload] = max(clock(), nxt) if nxt is not None else 1 << 62
                if nxt is not None:
                    self.push(wake_at[payload], "veh", payload)

    def _progress_line(self, base: str) -> None:
        """One line of the day so far (the API's clock, riders, each vehicle's state)."""
        counts = self.counts
        k = httpx.get(f"{base}/health", timeout=5).json()
        states = " ".join(f"{vid.split('-')[-1]}:{veh.status}" for vid, veh in self.fleet.items())
        print(f"[{datetime.fromtimestamp(k['now'], self.tz):%H:%M}] asked {counts['asked']} "
              f"booked {len(self.booked)} refused {counts['refused'] + counts['declined']} "
              f"cancelled {counts['cancelled']} | vehicles {states}", flush=True)
