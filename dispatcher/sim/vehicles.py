"""Simulated drivers: vehicles that follow their plans along the road network in simulated time.

A :class:`SimVehicle` reads its vehicle's plan and schedule through a :class:`Gateway` (the
engine in process, or the HTTP API in the demo), drives to the next stop when the schedule says
so (travel and dwell with noise), and reports what a driver app reports: departed, arrived,
boarded, alighted, no-show (after the grace time), breaks and positions along the road.
:meth:`SimVehicle.step` is called at the times it asks for and whenever the plans change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dispatcher.errors import NoriaiError
from dispatcher.sim.noise import Reality

#: Seconds a driver leaves earlier than the manifest's "leave by" time.
DEPART_MARGIN_S = 60


@dataclass(frozen=True, slots=True)
class StopView:
    """One pending stop as the driver sees it (road node; epoch s)."""

    booking_id: str
    kind: str
    node: int
    arrival_s: int
    start_s: int
    window_earliest_s: int | None
    dwell_s: int
    leave_by_s: int | None = None


@dataclass(frozen=True, slots=True)
class VehicleView:
    """The vehicle's pending stops, scheduled break starts and riders on board."""

    stops: tuple[StopView, ...]
    break_starts_s: tuple[int, ...] = ()
    onboard: tuple[str, ...] = ()


class Gateway(Protocol):
    """How a simulated driver reads its plan and reports (engine or HTTP API)."""

    def view(self, vehicle_id: str) -> VehicleView | None:
        """The vehicle's plan today, or None when it has no shift."""
        ...

    def report(self, vehicle_id: str, kind: str, booking_id: str | None,
               lat: float | None, lon: float | None) -> None:
        """A driver event (departed, arrived, boarded, alighted)."""
        ...

    def no_show(self, vehicle_id: str, booking_id: str) -> None:
        """Record a no-show."""
        ...

    def position(self, vehicle_id: str, lat: float, lon: float) -> None:
        """Report a position."""
        ...

    def take_break(self, vehicle_id: str, start_s: int) -> int:
        """Start the due break; returns its end (epoch s)."""
        ...

    def travel_s(self, a: int, b: int) -> int:
        """Planned travel time between road nodes (s)."""
        ...

    def polyline(self, a: int, b: int) -> list[tuple[float, float]]:
        """Road path between nodes as (lat, lon) points."""
        ...

    def coords(self, node: int) -> tuple[float, float]:
        """(lat, lon) of a road node."""
        ...


def along(points: list[tuple[float, float]], fraction: float) -> tuple[float, float]:
    """The point at ``fraction`` (0..1) of a polyline's length (planar approximation)."""
    if not points:
        raise ValueError("empty polyline")
    if len(points) == 1 or fraction <= 0:
        return points[0]
    if fraction >= 1:
        return points[-1]
    pts = np.asarray(points, dtype=float)
    scale = np.array([1.0, np.cos(np.radians(pts[0, 0]))])
    seg = np.hypot(*((np.diff(pts, axis=0) * scale).T))
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] == 0:
        return points[0]
    target = fraction * cum[-1]
    i = int(np.searchsorted(cum, target, side="right")) - 1
    i = min(max(i, 0), len(seg) - 1)
    f = (target - cum[i]) / seg[i] if seg[i] else 0.0
    lat, lon = pts[i] + f * (pts[i + 1] - pts[i])
    return float(lat), float(lon)


@dataclass
class Drive:
    """A leg being driven: from/to road nodes, simulated start and arrival, booking, path."""

    origin: int
    target: int
    start_s: int
    end_s: int
    booking_id: str
    path: list[tuple[float, float]] = field(default_factory=list)


class SimVehicle:
    """A simulated driver and vehicle.

    Parameters
    ----------
    vehicle_id
        The vehicle (without the day).
    node
        Road node where it starts (its depot).
    gateway
        Where it reads plans and reports.
    rng
        Random generator for travel and dwell noise.
    reality
        How actual driving and dwell differ from the plan (:class:`~dispatcher.sim.noise.Reality`).
    no_show
        Tells whether the rider of a booking stays away.
    grace_s
        The service's no-show grace after the window opens.
    position_every_s
        Seconds between position reports while driving (0: none).
    """

    def __init__(self, vehicle_id: str, node: int, gateway: Gateway, rng: np.random.Generator,
                 reality: Reality, no_show: Callable[[str], bool], grace_s: int, position_every_s: int = 0) -> None:
        self.id = vehicle_id
        self.node = node
        self.gw = gateway
        self.rng = rng
        self.reality = reality
        self.is_no_show = no_show
        self.grace_s = grace_s
        self.position_every_s = position_every_s
        self.busy_until = 0
        self.drive: Drive | None = None
        self.errors: list[str] = []
        self.legs = 0
        #: What reality added to the plan: (start_s, end_s, extra_s, kind) of each leg or dwell
        #: slower than planned ("slower") and each wait for a rider who did not come ("grace").
        self.delays: list[tuple[int, int, int, str]] = []

    @property
    def status(self) -> str:
        """driving | busy | free (for progress lines)."""
        if self.drive is not None:
            return "driving"
        return "busy" if self.busy_until else "free"

    def interruptible(self, now: int) -> bool:
        """True when a plan change should make the driver look again now."""
        return self.drive is None and self.busy_until <= now

    def _try(self, what: str, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except NoriaiError as exc:
            # A refused report (e.g. the booking was cancelled meanwhile) is not fatal.
            self.errors.append(f"{what}: {exc.code}: {exc.message_en}")
            return False
        return True

    def step(self, now: int) -> int | None:
        """Act at ``now``; returns when to be called next (None: only on a plan change)."""
        if self.drive is not None:
            wake = self._drive_on(now)
            if wake is not None:
                return wake
        if self.busy_until > now:
            return self.busy_until
        self.busy_until = 0
        view = self.gw.view(self.id)
        if view is None:
            return None
        breaks = list(view.break_starts_s)
        if breaks and not view.onboard and breaks[0] <= now + 30:
            end = self._take_break(now)
            if end is not None:
                return end
        if not view.stops:
            return breaks[0] if breaks and breaks[0] > now else None
        s0 = view.stops[0]
        if s0.node == self.node:
            return self._serve(s0, now)
        return self._head_for(s0, breaks, now)

    def _drive_on(self, now: int) -> int | None:
        """While driving: when to look again (a position report or the arrival); None once the
        vehicle has arrived (and reported it)."""
        d = self.drive
        assert d is not None
        if now < d.end_s:
            if self.position_every_s and d.path:
                lat, lon = along(d.path, (now - d.start_s) / max(1, d.end_s - d.start_s))
                self._try("position", lambda: self.gw.position(self.id, lat, lon))
                return min(d.end_s, now + self.position_every_s)
            return d.end_s
        self.drive = None
        self.node = d.target
        lat, lon = self.gw.coords(d.target)
        if self.position_every_s:
            self._try("position", lambda: self.gw.position(self.id, lat, lon))
        self._try("arrived", lambda: self.gw.report(self.id, "arrived", d.booking_id, lat, lon))
        return None

    def _take_break(self, now: int) -> int | None:
        """Start the due break; its end, or None when the engine refuses it."""
        try:
            end = self.gw.take_break(self.id, now)
        except NoriaiError as exc:
            self.errors.append(f"break: {exc.code}")
            return None
        self.busy_until = end
        return end

    def _head_for(self, s0: StopView, breaks: list[int], now: int) -> int:
        """Leave for the next stop when its "leave by" time (less a margin) has come, else wait
        for it or the next break; returns when to look again."""
        travel = self.gw.travel_s(self.node, s0.node)
        # The manifest's "leave by" (planned start minus the planning travel time), else the
        # planned arrival minus the travel time.
        leave = s0.leave_by_s if s0.leave_by_s is not None else s0.arrival_s - travel
        depart = leave - DEPART_MARGIN_S
        wake = min([depart, *[b for b in breaks if b > now]])
        if wake > now:
            return wake
        lat, lon = self.gw.coords(self.node)
        self._try("departed", lambda: self.gw.report(self.id, "departed", s0.booking_id, lat, lon))
        actual = self.reality.travel_s(travel, self.rng)
        if actual > travel:
            self.delays.append((now, now + actual, actual - travel, "slower"))
        path = self.gw.polyline(self.node, s0.node) if self.position_every_s else []
        self.drive = Drive(self.node, s0.node, now, now + actual, s0.booking_id, path)
        self.legs += 1
        if self.position_every_s:
            return min(now + actual, now + self.position_every_s)
        return now + actual

    def _serve(self, s0: StopView, now: int) -> int | None:
        """At the stop of the next planned stop: alight, board, or wait for the rider."""
        lat, lon = self.gw.coords(self.node)
        dwell = self.reality.dwell_s(s0.dwell_s, self.rng)
        if dwell > s0.dwell_s:
            self.delays.append((now, now + dwell, dwell - s0.dwell_s, "slower"))
        if s0.kind == "dropoff":
            self._try("alighted", lambda: self.gw.report(self.id, "alighted", s0.booking_id,
                                                          lat, lon))
            self.busy_until = now + dwell
            return self.busy_until
        earliest = s0.window_earliest_s or now
        if self.is_no_show(s0.booking_id):
            allowed = earliest + self.grace_s
            if now < allowed:
                # Waiting out the grace: beyond the planned boarding's end, time the plan lacks.
                extra = allowed - max(now, s0.start_s + s0.dwell_s)
                if extra > 0:
                    self.delays.append((now, allowed, extra, "grace"))
                return allowed
            if not self._try("no_show", lambda: self.gw.no_show(self.id, s0.booking_id)):
                # An arrival refused on the way (its booking went away meanwhile) leaves none on
                # record here: report it for this rider and try again; never spin in place.
                self._try("arrived", lambda: self.gw.report(self.id, "arrived", s0.booking_id,
                                                            lat, lon))
                if not self._try("no_show", lambda: self.gw.no_show(self.id, s0.booking_id)):
                    return now + 60
            return now
        board_at = max(s0.start_s, earliest)
        if now < board_at:
            return board_at
        self._try("boarded", lambda: self.gw.report(self.id, "boarded", s0.booking_id, lat, lon))
        self.busy_until = now + dwell
        return self.busy_until
