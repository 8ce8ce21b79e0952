"""How reality differs from the routing's travel times: the simulated drivers' noise model (pure).

Planning uses the road network's travel times (the *expected* times; promises are checked against
pessimistic ones, see :class:`dispatcher.params.DispatchParams`). A simulated vehicle drives each
leg in::

    actual = planned × U(travel_range) × day_factor × LogNormal(mean 1, leg_sigma)

seconds, and dwells ``planned × U(dwell_range) × LogNormal(mean 1, dwell_sigma)`` at a stop.
``day_factor`` is a slower (or faster) day as a whole — one wet morning is about 1.10 — and the
lognormal factors are per-leg and per-stop variation around it with mean 1, so that the day's
mean stays ``day_factor × mean(U)``. The defaults reproduce the older uniform model (drivers
make the planning speeds or do slightly better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dispatcher.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Reality:
    """Actual / planned driving and dwell times (factors; ``sigma`` of the log, mean-one).

    Parameters
    ----------
    travel_range
        Uniform factor per leg (lo, hi).
    day_factor
        Factor of the whole day (1.10: roads 10 % slower than routing on average).
    leg_sigma
        Spread of a lognormal factor per leg with mean 1 (0: none).
    dwell_range
        Uniform factor per dwell (lo, hi).
    dwell_sigma
        Spread of a lognormal factor per dwell with mean 1 (0: none).
    """

    travel_range: tuple[float, float] = (0.88, 1.0)
    day_factor: float = 1.0
    leg_sigma: float = 0.0
    dwell_range: tuple[float, float] = (0.6, 1.0)
    dwell_sigma: float = 0.0

    def __post_init__(self) -> None:
        lo, hi = self.travel_range
        dlo, dhi = self.dwell_range
        if not (0 < lo <= hi and 0 < dlo <= dhi and self.day_factor > 0
                and self.leg_sigma >= 0 and self.dwell_sigma >= 0):
            raise InvalidInput("走行時間のばらつきの設定が不正です",
                               "noise model out of range (factors must be > 0, lo <= hi, "
                               "sigmas >= 0)")

    @property
    def mean_travel_factor(self) -> float:
        """Mean actual / planned driving time."""
        return self.day_factor * sum(self.travel_range) / 2

    def _lognormal(self, sigma: float, rng: np.random.Generator) -> float:
        if sigma == 0:
            return 1.0
        return math.exp(rng.normal(-sigma * sigma / 2, sigma))

    def travel_s(self, planned_s: int, rng: np.random.Generator) -> int:
        """Seconds a leg planned at ``planned_s`` actually takes (at least 1)."""
        f = rng.uniform(*self.travel_range) * self.day_factor * self._lognormal(self.leg_sigma, rng)
        return max(1, round(planned_s * f))

    def dwell_s(self, planned_s: int, rng: np.random.Generator) -> int:
        """Seconds a dwell planned at ``planned_s`` actually takes (at least 1)."""
        f = rng.uniform(*self.dwell_range) * self._lognormal(self.dwell_sigma, rng)
        return max(1, round(planned_s * f))

    def label(self) -> str:
        """Short description for tables, e.g. ``×1.10 σ0.15``."""
        if self.day_factor == 1.0 and self.leg_sigma == 0 and self.dwell_sigma == 0:
            lo, hi = self.travel_range
            return f"U[{lo:g},{hi:g}]"
        return f"×{self.day_factor:.2f} σ{self.leg_sigma:g}"
