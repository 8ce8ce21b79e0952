"""What the engine's use cases answer: typed dictionaries (JSON-ready, keys as documented).

They stay plain mappings so that the API's response models and the simulation read them as
before; the types say which keys there are.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from dispatcher.store.tables import OfferRow


class OfferSet(TypedDict):
    """Offers for a trip: at the asked time (best first), and alternatives around it."""

    offers: list[OfferRow]
    alternatives: list[OfferRow]


class ReportResult(TypedDict):
    """A driver's report taken; ``status`` the booking's status after it (when about one)."""

    ok: bool
    status: NotRequired[str]


class BreakResult(TypedDict):
    """A break started: when, and when it ends (epoch s)."""

    ok: bool
    start_s: int
    end_s: int


class DepotResult(TypedDict):
    """Back at the depot (epoch s), and whether the shift is over."""

    ok: bool
    at: int
    shift_ended: bool


class ReoptResult(TypedDict):
    """A re-optimisation cycle: its status (``idle``, ``stale``, ``unchanged``, the solver's)
    and service day; when plans changed, the vehicles whose plan changed, the route costs
    before and after, the bookings handed over and those placed late (booking → s)."""

    status: str
    day: str
    vehicles: NotRequired[list[str]]
    cost_before: NotRequired[float]
    cost_after: NotRequired[float]
    moved: NotRequired[list[str]]
    late: NotRequired[dict[str, int]]
