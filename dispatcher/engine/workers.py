"""Several workers over one database: who may change a service day, and who runs the cycles.

SQLite is the embedded one-process default: the engine's lock is all it takes. On PostgreSQL
any number of ``noriai serve`` processes (on one machine or several) share the database and
each keeps its own copy of the live state:

- **Changes serialise per service day.** A use case that changes a day's plans runs under
  that day's advisory lock (:meth:`Workers.day_lock`). Before it plans, the worker compares the
  day's committed version with the one its copy was loaded at and reloads the day when another
  worker changed it (:meth:`Engine.writing <dispatcher.engine.core.Engine.writing>`); its
  transaction bumps the version and notifies the others, so a booking is only ever placed on
  the plans the database holds — no over-booking, whichever worker a rider reaches.
- **Reads follow within milliseconds.** A listener thread reloads a day when another worker's
  change is notified, so offers, manifests and feeds see it without asking the database
  first; an offer made on a copy a moment old is re-checked under the lock when accepted.
- **One leader per service area** runs the background cycles (re-optimisation, standing
  orders, notices): the worker holding the area's leadership lock. Every worker tries for it
  every :data:`LEAD_RETRY_S`; when the leader's process dies PostgreSQL drops its connection
  and the lock, and another worker takes over at its next try.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher.store import coordination

log = logging.getLogger("noriai.workers")

#: Seconds between a follower's tries to take the leadership.
LEAD_RETRY_S = 1.0


class Workers:
    """The coordination of the workers serving one area over one database (see the module)."""

    def __init__(self, db: DbEngine, service_id: str) -> None:
        self.db = db
        self.service_id = service_id
        #: True when other processes may share the database (PostgreSQL).
        self.shared = coordination.is_shared(db)
        self._leader = coordination.LeaderConnection(db, service_id) if self.shared else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._campaign: threading.Thread | None = None
        self._is_leader = False

    @contextmanager
    def day_lock(self, day: date) -> Iterator[int | None]:
        """Hold the day's lock for the block; yields the day's committed version (None when
        the database is not shared: the engine's own lock is enough)."""
        if not self.shared:
            yield None
            return
        with coordination.lock_day(self.db, self.service_id, day) as version:
            yield version

    def starting(self) -> AbstractContextManager[None]:
        """A block in which no other worker of the area starts (seeding, accounts, keys)."""
        if not self.shared:
            return nullcontext()
        return coordination.startup_lock(self.db, self.service_id)

    def bump(self, s: Session, day: date) -> int | None:
        """Count a change of ``day`` in ``s``'s transaction (None when not shared)."""
        return coordination.bump_day(s, self.service_id, day) if self.shared else None

    def versions(self, s: Session, first_day: date) -> dict[date, int]:
        """The committed day versions from ``first_day`` on (empty when not shared)."""
        return coordination.day_versions(s, self.service_id, first_day) if self.shared else {}

    def leads(self) -> bool:
        """True when this worker runs the area's background cycles (always, unshared): holds
        the leadership, trying to take it when nobody does."""
        return self._leader.try_lead() if self._leader is not None else True

    @property
    def leader(self) -> bool:
        """Whether this worker held the leadership at its last try (:meth:`campaign`)."""
        return self._is_leader if self._leader is not None else True


    def campaign(self) -> None:
        """Try for the leadership every :data:`LEAD_RETRY_S` in the background (and keep
        checking that it still holds it) until :meth:`stop`."""
        if self._leader is None or self._campaign is not None:
            return

        def loop() -> None:
            while True:
                was, self._is_leader = self._is_leader, self.leads()
                if self._is_leader != was:
                    log.warning("%s: this worker %s the background cycles", self.service_id,
                                "now runs" if self._is_leader else "no longer runs")
                if self._stop.wait(LEAD_RETRY_S):
                    return

        self._campaign = threading.Thread(target=loop, name="noriai-lead", daemon=True)
        self._campaign.start()


    def listen(self, changed: Callable[[date | None, int], None]) -> None:
        """Call ``changed(day, version)`` for every other worker's committed change (and
        ``changed(None, 0)`` after a lost connection, when any change may have been missed)."""
        if not self.shared or self._thread is not None:
            return
        listener = coordination.DayListener(self.db)

        def loop() -> None:
            missed = True  # whatever changed before the first LISTEN
            while not self._stop.is_set():
                try:
                    got = listener.poll(1.0)
                except Exception:
                    log.warning("day listener lost its connection; reconnecting", exc_info=True)
                    listener.close()
                    missed = True
                    self._stop.wait(1.0)
                    continue
                try:
                    if missed:
                        missed = False
                        changed(None, 0)
                    for service_id, day, version in got:
                        if service_id == self.service_id:
                            changed(day, version)
                except Exception:  # keep listening; the next change reloads again
                    log.exception("reloading a changed day failed")
            listener.close()

        self._thread = threading.Thread(target=loop, name="noriai-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and give up the leadership."""
        self._stop.set()
        for thread in (self._thread, self._campaign):
            if thread is not None:
                thread.join(timeout=10)
        self._thread = self._campaign = None
        if self._leader is not None:
            self._leader.close()
        self._is_leader = False
