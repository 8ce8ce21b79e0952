"""Demand of a simulated service day: who travels where and when, and how riders behave.

Pure: the service (its stops with kinds and weights, hours, booking rules), the parameters
(:class:`DemandParams`, read from a TOML file such as ``mitsugi_demand.toml``, which documents
where each figure comes from) and a seeded :class:`numpy.random.Generator` in; a list of
:class:`TripSpec` out. Outbound trips go from hamlets to what draws people (the hospital, shops,
the branch office and bus connections) with a time-of-day profile per purpose; many riders book
their way home as well.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from dispatcher.errors import InvalidInput
from dispatcher.service_area import ServiceArea, clock_s
from dispatcher.sim.noise import Reality

DEFAULT_FILE = Path(__file__).resolve().parent / "mitsugi_demand.toml"


@dataclass(frozen=True, slots=True)
class Purpose:
    """A reason to travel: destination kinds, arrival profile (local s, s), return behaviour."""

    name: str
    share: float
    destination_kinds: tuple[str, ...]
    arrive_mean_s: int
    arrive_sd_s: int
    arrive_by_share: float
    return_share: float
    stay_s: tuple[int, int]


@dataclass(frozen=True, slots=True)
class DemandParams:
    """Parameters of the demand and behaviour model (see the TOML file for sources).

    Parameters
    ----------
    outbound_per_day
        Poisson mean of outbound trip requests per operating day.
    purposes
        Purposes of outbound trips (shares sum to 1).
    origin_kinds
        Stop kinds where outbound trips start.
    party_sizes, party_weights
        Persons per booking and their probabilities.
    wheelchair_share, child_share
        Shares of bookings with a wheelchair user, of parties of 2+ with a child.
    advance_share
        Share of trips booked before the day starts.
    same_day_extra_lead_s
        Mean extra lead (s) beyond the minimum notice for same-day bookings (exponential).
    accept_alternative_share
        Probability that a rider takes an alternative time when the asked one is full.
    phone_share
        Share of bookings made by phone through the operator (the rest in the app).
    cancel_share, no_show_share
        Shares of bookings cancelled before pickup, and of riders not showing up.
    travel_factor, dwell_factor
        Actual / planned driving time per leg and dwell per stop (uniform ranges).
    day_factor, leg_sigma, dwell_sigma
        A slower day as a whole and lognormal per-leg / per-dwell spread (mean 1): see
        :class:`dispatcher.sim.noise.Reality`.
    position_every_s
        Seconds between a driving vehicle's position reports.
    """

    outbound_per_day: float = 25.0
    purposes: tuple[Purpose, ...] = ()
    origin_kinds: tuple[str, ...] = ("settlement", "bus_stop")
    party_sizes: tuple[int, ...] = (1, 2, 3)
    party_weights: tuple[float, ...] = (0.78, 0.19, 0.03)
    wheelchair_share: float = 0.04
    child_share: float = 0.05
    advance_share: float = 0.55
    same_day_extra_lead_s: int = 45 * 60
    accept_alternative_share: float = 0.7
    phone_share: float = 0.5
    cancel_share: float = 0.05
    no_show_share: float = 0.03
    travel_factor: tuple[float, float] = (0.88, 1.0)
    dwell_factor: tuple[float, float] = (0.6, 1.0)
    day_factor: float = 1.0
    leg_sigma: float = 0.0
    dwell_sigma: float = 0.0
    position_every_s: int = 30
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path | str = DEFAULT_FILE) -> DemandParams:
        """Read the parameters from a TOML file (``mitsugi_demand.toml`` by default)."""
        with Path(path).open("rb") as fh:
            return cls.from_dict(tomllib.load(fh))

    @classmethod
    def from_dict(cls, conf: dict[str, Any]) -> DemandParams:
        """Build from parsed TOML; refuses shares outside 0..1 and purposes not summing to 1."""
        purposes = tuple(
            Purpose(name, float(p["share"]), tuple(p["destination_kinds"]),
                    clock_s(p["arrive_mean"]), int(p["arrive_sd_min"]) * 60,
                    float(p["arrive_by_share"]), float(p["return_share"]),
                    (int(p["stay_min"][0]) * 60, int(p["stay_min"][1]) * 60))
            for name, p in conf.get("purposes", {}).items()
        )
        if not purposes or abs(sum(p.share for p in purposes) - 1.0) > 1e-6:
            raise InvalidInput("需要の目的別割合の合計が1ではありません",
                               "purpose shares must sum to 1")
        party = conf.get("party", {})
        booking = conf.get("booking", {})
        behaviour = conf.get("behaviour", {})
        veh = conf.get("vehicles", {})
        params = cls(
            outbound_per_day=float(conf.get("outbound_per_day", 25)),
            purposes=purposes,
            origin_kinds=tuple(conf.get("origins", {}).get("kinds", ("settlement", "bus_stop"))),
            party_sizes=tuple(int(x) for x in party.get("sizes", (1, 2, 3))),
            party_weights=tuple(float(x) for x in party.get("weights", (0.78, 0.19, 0.03))),
            wheelchair_share=float(party.get("wheelchair_share", 0.04)),
            child_share=float(party.get("child_share", 0.05)),
            advance_share=float(booking.get("advance_share", 0.55)),
            same_day_extra_lead_s=int(booking.get("same_day_extra_lead_mean_min", 45)) * 60,
            accept_alternative_share=float(booking.get("accept_alternative_share", 0.7)),
            phone_share=float(booking.get("phone_share", 0.5)),
            cancel_share=float(behaviour.get("cancel_share", 0.05)),
            no_show_share=float(behaviour.get("no_show_share", 0.03)),
            travel_factor=tuple(veh.get("travel_factor", (0.88, 1.0))),
            dwell_factor=tuple(veh.get("dwell_factor", (0.6, 1.0))),
            day_factor=float(veh.get("day_factor", 1.0)),
            leg_sigma=float(veh.get("leg_sigma", 0.0)),
            dwell_sigma=float(veh.get("dwell_sigma", 0.0)),
            position_every_s=int(veh.get("position_every_s", 30)),
        )
        shares = (params.wheelchair_share, params.child_share, params.advance_share,
                  params.accept_alternative_share, params.phone_share, params.cancel_share,
                  params.no_show_share)
        if min(shares) < 0 or max(shares) > 1 or params.outbound_per_day < 0:
            raise InvalidInput("需要パラメータの割合が0〜1の範囲外です",
                               "demand shares must lie in 0..1")
        params.reality()  # refuses a bad noise model early
        return params

    def reality(self) -> Reality:
        """The simulated drivers' noise model of these parameters."""
        return Reality(self.travel_factor, self.day_factor, self.leg_sigma, self.dwell_factor,
                       self.dwell_sigma)


@dataclass(frozen=True, slots=True)
class TripSpec:
    """One simulated trip request and what its rider will do (epoch s).

    ``book_at_s`` is None for advance bookings (made before the simulated day starts);
    ``cancel_at_s`` is when the rider cancels (None: never); ``no_show`` riders do not turn up.
    """

    id: str
    rider: int
    purpose: str
    leg: str
    origin: str
    destination: str
    rule: str
    time_s: int
    adults: int
    children: int
    wheelchairs: int
    book_at_s: int | None
    channel: str
    cancel_at_s: int | None = None
    no_show: bool = False
    accepts_alternative: bool = True

    @property
    def persons(self) -> int:
        """Persons travelling."""
        return self.adults + self.children + self.wheelchairs


def _pick(rng: np.random.Generator, ids: list[str], weights: list[float]) -> str:
    w = np.asarray(weights, dtype=float)
    return ids[int(rng.choice(len(ids), p=w / w.sum()))]


def _party(rng: np.random.Generator, params: DemandParams) -> tuple[int, int, int]:
    w = np.asarray(params.party_weights, dtype=float)
    size = int(params.party_sizes[int(rng.choice(len(w), p=w / w.sum()))])
    chairs = 1 if rng.random() < params.wheelchair_share else 0
    children = 1 if size >= 2 and rng.random() < params.child_share else 0
    adults = size - chairs - children
    return adults, children, chairs


def generate_day(service: ServiceArea, params: DemandParams, day: date,
                 rng: np.random.Generator) -> list[TripSpec]:
    """The trip requests of one operating day, ordered by the time they are asked for.

    Parameters
    ----------
    service
        The service: stops (kinds, weights), operating periods, booking rules, time zone.
    params
        The demand model.
    day
        The local service day.
    rng
        Seeded random generator (the whole day follows from its seed).

    Returns
    -------
    list[TripSpec]
        Outbound trips and, for many, the return trip (booked at the same time).
    """
    tz = ZoneInfo(service.timezone)
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
    open_s = min(p.start_s for p in service.periods)
    close_s = max(p.end_s for p in service.periods)
    origins = [s for s in service.stops if s.kind in params.origin_kinds]
    if not origins:
        raise InvalidInput("出発地となる乗り場がありません", "no stop of the origin kinds")
    notice = service.booking.min_notice_s
    n_out = int(rng.poisson(params.outbound_per_day))
    shares = np.asarray([p.share for p in params.purposes])
    trips: list[TripSpec] = []
    for rider in range(n_out):
        purpose = params.purposes[int(rng.choice(len(shares), p=shares / shares.sum()))]
        dests = [s for s in service.stops if s.kind in purpose.destination_kinds]
        if not dests:
            continue
        o = _pick(rng, [s.id for s in origins], [s.weight for s in origins])
        d = _pick(rng, [s.id for s in dests], [s.weight for s in dests])
        if o == d:
            continue
        arrive = int(rng.normal(purpose.arrive_mean_s, purpose.arrive_sd_s))
        arrive = int(np.clip(arrive, open_s + 40 * 60, close_s - 45 * 60)) // 60 * 60
        arrive_by = rng.random() < purpose.arrive_by_share
        rule = "dropoff_before" if arrive_by else "pickup_after"
        # Riders asking "leave after" think of leaving about half an hour before they arrive.
        asked = midnight + (arrive if arrive_by else max(open_s, arrive - 30 * 60))
        adults, children, chairs = _party(rng, params)
        advance = rng.random() < params.advance_share
        book_at: int | None = None
        if not advance:
            lead = notice + 300 + int(rng.exponential(params.same_day_extra_lead_s))
            book_at = asked - lead
            if book_at < midnight + open_s - 3600:
                book_at = None
        channel = "phone" if rng.random() < params.phone_share else "app"
        cancelled = rng.random() < params.cancel_share
        no_show = (not cancelled) and rng.random() < params.no_show_share
        cancel_at = None
        if cancelled:
            first = book_at if book_at is not None else midnight + open_s - 3600
            cancel_at = int(rng.uniform(first, max(first + 60, asked - 20 * 60)))
        alt = bool(rng.random() < params.accept_alternative_share)
        trips.append(TripSpec(f"{day:%m%d}-{rider:03d}o", rider, purpose.name, "out", o, d, rule,
                              asked, adults, children, chairs, book_at, channel, cancel_at,
                              no_show, alt))
        back = arrive + int(rng.uniform(*purpose.stay_s))
        if rng.random() < purpose.return_share and back <= close_s - 20 * 60:
            back = back // 300 * 300
            back_cancel = cancel_at
            if no_show:
                # Nobody went, so nobody comes back: the return is called off after the window.
                back_cancel = asked + 20 * 60
            trips.append(TripSpec(f"{day:%m%d}-{rider:03d}r", rider, purpose.name, "return", d, o,
                                  "pickup_after", midnight + back, adults, children, chairs,
                                  book_at, channel, back_cancel, False, alt))
    return sorted(trips, key=lambda t: (t.time_s, t.id))
