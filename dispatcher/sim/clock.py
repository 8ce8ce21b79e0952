"""Clocks of simulated time (epoch s): one that jumps from event to event, one for the demo."""

from __future__ import annotations

import threading
import time


class SimClock:
    """Simulated time that only moves when the simulation moves it (``set``).

    Parameters
    ----------
    start_s
        The first "now" (epoch s).
    """

    def __init__(self, start_s: int) -> None:
        self.t = int(start_s)

    def __call__(self) -> int:
        return self.t

    def set(self, t: int) -> None:
        """Move to ``t`` (never backwards)."""
        self.t = max(self.t, int(t))


class DemoClock:
    """Held at a start time until :meth:`run` is called, then running ``speed`` times faster.

    The demo books the previous evening's advance bookings while the clock is held, then
    lets the day run. ``jump`` moves the held or running clock forward.
    """

    def __init__(self, start_s: int, speed: float) -> None:
        self.speed = float(speed)
        self._lock = threading.Lock()
        self._origin = float(start_s)
        self._t0: float | None = None

    def __call__(self) -> int:
        with self._lock:
            if self._t0 is None:
                return int(self._origin)
            return int(self._origin + (time.monotonic() - self._t0) * self.speed)

    def jump(self, t_s: int) -> None:
        """Move to epoch ``t_s`` (held clocks stay held there)."""
        with self._lock:
            now = self._origin if self._t0 is None else (
                self._origin + (time.monotonic() - self._t0) * self.speed)
            self._origin = max(now, float(t_s))
            if self._t0 is not None:
                self._t0 = time.monotonic()

    def run(self) -> None:
        """Start (or keep) running from the current time."""
        with self._lock:
            if self._t0 is None:
                self._t0 = time.monotonic()

    def wall_seconds_until(self, t_s: int) -> float:
        """Wall-clock seconds until simulated ``t_s`` (0 if passed or held)."""
        with self._lock:
            if self._t0 is None:
                return 0.0
            now = self._origin + (time.monotonic() - self._t0) * self.speed
        return max(0.0, (t_s - now) / self.speed)
