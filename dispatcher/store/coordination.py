"""Workers that share one PostgreSQL database: advisory locks, day versions and notifications.

The SQL of :mod:`dispatcher.engine.workers` (which holds the policy):

- a service day's changes serialise on a transaction-level advisory lock keyed by the service
  area and the day (:func:`lock_day`); the lock goes with the transaction, so a worker that
  dies holding it never blocks the others;
- every committed change bumps the day's version in ``day_versions`` and notifies
  :data:`CHANNEL` in the same transaction (:func:`bump_day`) — the notification is delivered
  only if the change commits;
- the background work of an area (re-optimisation, standing orders) belongs to the worker that
  holds the area's leadership lock, a session-level advisory lock on a connection of its own
  (:class:`LeaderConnection`); PostgreSQL releases it when that connection closes, which
  happens at once when the worker's process dies and within seconds (TCP keepalives) when its
  machine does.

On SQLite (one process) none of this is used.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

log = logging.getLogger("noriai.workers")

#: The notification channel of committed day changes; payload ``"<service>|<day>|<version>"``.
CHANNEL = "noriai_days"
#: Second key of the leadership lock (day keys are date ordinals, never 0 or below).
_LEADER = 0
#: Second key of the start-up lock (seeding, accounts, ticket keys).
_STARTUP = -1
#: Server-side TCP keepalives of the leader's connection: a dead machine is noticed within
#: about idle + interval × count seconds and its lock released.
_KEEPALIVES = {"tcp_keepalives_idle": 3, "tcp_keepalives_interval": 1, "tcp_keepalives_count": 3}


def is_shared(db: Engine) -> bool:
    """True for a database that several workers may share (PostgreSQL)."""
    return db.dialect.name == "postgresql"


def area_key(service_id: str) -> int:
    """The advisory-lock key (signed 32 bits) of a service area."""
    k = zlib.crc32(service_id.encode("utf-8"))
    return k - (1 << 32) if k >= 1 << 31 else k


def libpq_url(db: Engine) -> str:
    """The database's URL as libpq (psycopg) reads it."""
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def lock_day(db: Engine, service_id: str, day: date) -> Iterator[int]:
    """Hold the advisory lock of a service day until the block ends; yields the day's version
    as committed when the lock was granted."""
    with db.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": area_key(service_id), "b": day.toordinal()})
        yield _version(conn, service_id, day)


@contextmanager
def startup_lock(db: Engine, service_id: str) -> Iterator[None]:
    """Serialise the start-up of workers (seeding, accounts, keys) on one area."""
    with db.connect() as conn, conn.begin():
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                     {"a": area_key(service_id), "b": _STARTUP})
        yield


def _version(conn: Connection | Session, service_id: str, day: date) -> int:
    row = conn.execute(text("SELECT version FROM day_versions WHERE service_id = :s AND day = :d"),
                       {"s": service_id, "d": day}).first()
    return int(row[0]) if row is not None else 0


def day_versions(s: Session, service_id: str, first_day: date) -> dict[date, int]:
    """The committed versions of the service's days from ``first_day`` on."""
    rows = s.exec(  # type: ignore[call-overload]
        text("SELECT day, version FROM day_versions WHERE service_id = :s AND day >= :d"),
        params={"s": service_id, "d": first_day}).all()
    return {r[0]: int(r[1]) for r in rows}


def bump_day(s: Session, service_id: str, day: date) -> int:
    """Count a change of a service day in ``s``'s transaction and notify the other workers
    when it commits; the day's new version."""
    version = s.exec(  # type: ignore[call-overload]
        text("INSERT INTO day_versions (service_id, day, version) VALUES (:s, :d, 1) "
             "ON CONFLICT (service_id, day) DO UPDATE SET version = day_versions.version + 1 "
             "RETURNING version"),
        params={"s": service_id, "d": day}).one()[0]
    s.exec(text("SELECT pg_notify(:c, :p)"),  # type: ignore[call-overload]
           params={"c": CHANNEL, "p": f"{service_id}|{day.isoformat()}|{int(version)}"})
    return int(version)



class LeaderConnection:
    """A connection of its own that may hold a service area's leadership lock."""

    def __init__(self, db: Engine, service_id: str) -> None:
        self.url = libpq_url(db)
        self.key = area_key(service_id)
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False

    def try_lead(self) -> bool:
        """Hold the leadership (True), taking it when free; False while another worker holds
        it. A lost connection loses the leadership (and the lock with it)."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                for name, value in _KEEPALIVES.items():
                    self._conn.execute(f"SET {name} = {int(value)}")
                self._held = False
            if self._held:
                self._conn.execute("SELECT 1")
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                     (self.key, _LEADER)).fetchone()
            self._held = bool(row and row[0])
            return self._held
        except psycopg.Error:
            log.warning("leadership connection lost", exc_info=True)
            self.close()
            return False


    def close(self) -> None:
        """Give the leadership up (closing the connection releases the lock)."""
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
        self._conn = None
        self._held = False


class DayListener:
    """A connection of its own that listens to :data:`CHANNEL`."""

    def __init__(self, db: Engine) -> None:
        self.url = libpq_url(db)
        self._conn: psycopg.Connection[Any] | None = None

    def poll(self, timeout_s: float) -> list[tuple[str, date, int]]:
        """The day changes notified within ``timeout_s`` (service, day, version); connects (and
        starts listening) when needed. Raises psycopg.Error on a lost connection."""
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            self._conn.execute(f"LISTEN {CHANNEL}")
        got = list(self._conn.notifies(timeout=timeout_s, stop_after=1))
        if got:  # then whatever else has arrived, without waiting
            got += list(self._conn.notifies(timeout=0.01))
        out = []
        for n in got:
            service_id, day, version = n.payload.split("|")
            out.append((service_id, date.fromisoformat(day), int(version)))
        return out

    def close(self) -> None:
        """Stop listening."""
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
        self._conn = None
