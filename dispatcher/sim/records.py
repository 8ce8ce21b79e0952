"""What a simulated day leaves behind: bookings, events and legs as plain records, the KPIs,
and the invariants checked from the event log (capacity, promises, final states, KPIs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine as DbEngine

from dispatcher.kpis import Kpis, compute_kpis
from dispatcher.statuses import BookingStatus
from dispatcher.store.kpi_records import load_day_log

FINAL = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW)


@dataclass
class DayRecords:
    """Bookings, events and driven legs of service days, as plain records (epoch s)."""

    bookings: list[dict[str, Any]]
    events: list[dict[str, Any]]
    legs: list[dict[str, Any]]
    capacity: dict[str, tuple[int, int]]


def load_records(db: DbEngine, tz: ZoneInfo, start: date, end: date | None = None) -> DayRecords:
    """Read the records of the service days ``start``..``end`` (bookings and events as the
    operator's indicators read them, :mod:`dispatcher.store.kpi_records`) and every event of
    those local days."""
    log = load_day_log(db, tz, start, end or start)
    return DayRecords(log.bookings, log.events, log.legs, log.capacity)


def kpis_of(rec: DayRecords) -> Kpis:
    """The service's KPIs (dispatcher.kpis) of the records."""
    return compute_kpis(rec.bookings, rec.events, rec.legs)


@dataclass
class LogCheck:
    """Invariants of a day checked from the event log; every list empty when all hold."""

    over_capacity: list[str] = field(default_factory=list)
    broken_promises: list[str] = field(default_factory=list)
    #: One record per broken promise: booking, vehicle, the interval it covers and the excess (s).
    broken_detail: list[dict[str, Any]] = field(default_factory=list)
    not_final: list[str] = field(default_factory=list)
    kpi_mismatch: list[str] = field(default_factory=list)
    boarded: int = 0
    alighted: int = 0

    @property
    def ok(self) -> bool:
        """True when no invariant is broken."""
        return not (self.over_capacity or self.broken_promises or self.not_final
                    or self.kpi_mismatch)


def check_log(rec: DayRecords) -> LogCheck:
    """Replay the event log and check capacity, promises, final states and the KPIs.

    Capacity: boarded/alighted events replayed per vehicle with each booking's seats and
    wheelchairs. Promises: each boarded event inside its booking's promised pickup window (from
    its ``booked`` event), each alighted event no later than the latest drop-off and within the
    maximum ride time of its boarding. KPIs: counts recomputed from the log agree with
    :func:`dispatcher.kpis.compute_kpis` over the booking rows.
    """
    out = LogCheck()
    booked: dict[str, dict[str, Any]] = {}
    rows = {b["id"]: b for b in rec.bookings}
    load: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    boarded_at: dict[str, int] = {}
    counts: dict[str, int] = defaultdict(int)
    person_of: dict[str, int] = {}
    for e in rec.events:
        kind, bid, data = e["type"], e["booking_id"], e["data"] or {}
        counts[kind] += 1
        if kind == "booked" and bid:
            booked[bid] = data
            person_of[bid] = int(data.get("seats", 0)) + int(data.get("wheelchairs", 0))
        elif kind in ("boarded", "alighted") and bid:
            sign = 1 if kind == "boarded" else -1
            v = e["vehicle_id"]
            load[v][0] += sign * int(data.get("seats", 0))
            load[v][1] += sign * int(data.get("wheelchairs", 0))
            seats, chairs = rec.capacity.get(v, (0, 0))
            if load[v][0] > seats or load[v][1] > chairs:
                out.over_capacity.append(f"{v} at {e['at_s']}: {load[v]} > {(seats, chairs)}")
            promise = booked.get(bid)
            if promise is None:
                out.broken_promises.append(f"{bid}: {kind} without a booked event")
                continue
            if kind == "boarded":
                _check_boarding(out, e, data, promise, boarded_at)
            else:
                _check_alighting(out, e, promise, rows.get(bid), boarded_at)
    out.not_final = [f"{b['id']}: {b['status']}" for b in rec.bookings if b["status"] not in FINAL]
    out.kpi_mismatch = _kpi_mismatches(rec, counts, person_of)
    return out


def _check_boarding(out: LogCheck, e: Mapping[str, Any], data: Mapping[str, Any],
                    promise: Mapping[str, Any], boarded_at: dict[str, int]) -> None:
    """A boarding inside its promised pickup window (noting when the ride limit starts)."""
    bid, v = e["booking_id"], e["vehicle_id"]
    out.boarded += 1
    # The ride limit counts from the end of the party's planned boarding
    # (Promise.max_ride_s); older logs without it count from the boarding itself.
    boarded_at[bid] = int(data.get("ride_from_s", e["at_s"]))
    lo, hi = promise["pickup_window"]
    if not lo <= e["at_s"] <= hi:
        out.broken_promises.append(f"{bid}: boarded at {e['at_s']} outside [{lo}, {hi}]")
        out.broken_detail.append({"booking_id": bid, "vehicle_id": v,
                                  "kind": "pickup" if e["at_s"] > hi else "early",
                                  "from_s": lo - 3600, "to_s": e["at_s"],
                                  "excess_s": e["at_s"] - hi})


def _check_alighting(out: LogCheck, e: Mapping[str, Any], promise: Mapping[str, Any],
                     row: Mapping[str, Any] | None, boarded_at: dict[str, int]) -> None:
    """An alighting by the latest drop-off and within the ride limit of its boarding."""
    bid, v = e["booking_id"], e["vehicle_id"]
    out.alighted += 1
    if e["at_s"] > promise["dropoff_latest"]:
        out.broken_promises.append(
            f"{bid}: alighted at {e['at_s']} > latest {promise['dropoff_latest']}")
        out.broken_detail.append({"booking_id": bid, "vehicle_id": v,
                                  "kind": "dropoff",
                                  "from_s": promise["pickup_window"][0] - 3600,
                                  "to_s": e["at_s"],
                                  "excess_s": e["at_s"] - promise["dropoff_latest"]})
    if row and bid in boarded_at and e["at_s"] - boarded_at[bid] > row["max_ride_s"]:
        out.broken_promises.append(
            f"{bid}: ride {e['at_s'] - boarded_at[bid]} s > {row['max_ride_s']} s")
        out.broken_detail.append({
            "booking_id": bid, "vehicle_id": v, "kind": "ride",
            "from_s": promise["pickup_window"][0] - 3600,
            "to_s": e["at_s"],
            "excess_s": e["at_s"] - boarded_at[bid] - row["max_ride_s"]})


def _kpi_mismatches(rec: DayRecords, counts: Mapping[str, int],
                    person_of: Mapping[str, int]) -> list[str]:
    """Counts recomputed from the log that differ from the KPIs of the booking rows."""
    out: list[str] = []
    k = kpis_of(rec)
    expect = {
        "accepted": counts["booked"], "completed": counts["alighted"],
        "no_shows": counts["no_show"], "cancellations": counts["cancelled"],
        "riders_carried": sum(person_of.get(e["booking_id"], 0) for e in rec.events
                              if e["type"] == "alighted"),
        "offers_made": counts["offered"],
    }
    for name, value in expect.items():
        if getattr(k, name) != value:
            out.append(f"{name}: kpis {getattr(k, name)} != log {value}")
    km = sum(int((e["data"] or {}).get("distance_m", 0)) for e in rec.events
             if e["type"] == "leg") / 1000
    if abs(k.vehicle_km - km) > 1e-6:
        out.append(f"vehicle_km: kpis {k.vehicle_km} != log {km}")
    return out


@dataclass(frozen=True, slots=True)
class PromiseFigures:
    """How well a day kept its promises: shares of pickups inside their window, drop-offs by
    their latest time and rides within their limit, and the lateness where they were not (s)."""

    pickups: int
    pickups_in_window: int
    dropoffs: int
    dropoffs_on_time: int
    rides_in_limit: int
    pickup_late_max_s: int
    dropoff_late_max_s: int
    ride_over_max_s: int

    @property
    def pickup_share(self) -> float:
        """Share of boardings inside their promised window (1.0 with none)."""
        return self.pickups_in_window / self.pickups if self.pickups else 1.0

    @property
    def dropoff_share(self) -> float:
        """Share of alightings no later than their latest drop-off (1.0 with none)."""
        return self.dropoffs_on_time / self.dropoffs if self.dropoffs else 1.0

    @property
    def ride_share(self) -> float:
        """Share of rides within their maximum ride time (1.0 with none)."""
        return self.rides_in_limit / self.dropoffs if self.dropoffs else 1.0


def promise_figures(check: LogCheck) -> PromiseFigures:
    """Promise-keeping shares and worst lateness from a checked log."""
    worst: dict[str, int] = {"pickup": 0, "dropoff": 0, "ride": 0, "early": 0}
    count: dict[str, set[str]] = {"pickup": set(), "dropoff": set(), "ride": set(), "early": set()}
    for d in check.broken_detail:
        kind = d.get("kind", "pickup")
        count[kind].add(d["booking_id"])
        worst[kind] = max(worst[kind], int(d["excess_s"]))
    bad_pickups = len(count["pickup"] | count["early"])
    return PromiseFigures(check.boarded, check.boarded - bad_pickups, check.alighted,
                          check.alighted - len(count["dropoff"]),
                          check.alighted - len(count["ride"]), worst["pickup"], worst["dropoff"],
                          worst["ride"])


def classify_broken(check: LogCheck, delays: dict[str, list[tuple[int, int, int, str]]]
                    ) -> dict[str, list[str]]:
    """Split broken promises by cause: the engine's plan, slower reality, or a no-show's grace.

    ``delays`` lists, per vehicle, what reality added to the plan: ``(start_s, end_s, extra_s,
    kind)`` with kind ``"slower"`` for a leg or dwell slower than planned and ``"grace"`` for
    waiting out the grace of a rider who did not come beyond the planned departure (planning
reserves that wait, see DispatchParams.pickup_from_s, so none is expected).
    A broken promise is not the plan's when the vehicle's delays from the hour before the
    booking's window up to the broken moment (a late vehicle boards late and arrives late) add
    up to at least its excess; it is then put under the larger of the two kinds.

    Returns
    -------
    dict[str, list[str]]
        Booking ids under ``"planned"`` (the engine's own plan broke it: must be empty),
        ``"late_in_reality"`` and ``"grace_wait"``.
    """
    out: dict[str, list[str]] = {"planned": [], "late_in_reality": [], "grace_wait": []}
    for d in check.broken_detail:
        extra = {"slower": 0, "grace": 0}
        for a, b, x, kind in delays.get(d["vehicle_id"], ()):
            if b > d["from_s"] and a < d["to_s"]:
                extra[kind] += x
        if extra["slower"] + extra["grace"] < d["excess_s"]:
            out["planned"].append(d["booking_id"])
        elif extra["grace"] > extra["slower"]:
            out["grace_wait"].append(d["booking_id"])
        else:
            out["late_in_reality"].append(d["booking_id"])
    return out
