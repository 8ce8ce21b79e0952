"""The running service: settings, database, road network, engine and the background cycle."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine as DbEngine

from dispatcher.api.notify import RiskNotifier
from dispatcher.api.throttle import Throttle
from dispatcher.engine import Clock, Engine
from dispatcher.line.client import ReplyClient
from dispatcher.places import RoadNetwork
from dispatcher.service_area import ServiceArea
from dispatcher.services import load_service
from dispatcher.settings import Settings
from dispatcher.standing_orders import StandingOrders
from dispatcher.store.accounts import prepare_accounts
from dispatcher.store.db import make_engine, migrate
from dispatcher.ticket_service import TicketService

log = logging.getLogger("noriai.runtime")


def wall_clock() -> int:
    """Now, epoch s."""
    return int(time.time())


def accelerated_clock(start_iso: str, speed: float) -> Clock:
    """A clock that starts at ``start_iso`` (aware ISO) and runs ``speed`` times faster."""
    origin = datetime.fromisoformat(start_iso).timestamp() if start_iso else time.time()
    t0 = time.monotonic()

    def now() -> int:
        return int(origin + (time.monotonic() - t0) * speed)

    return now


def default_clock(settings: Settings) -> Clock:
    """The clock of the settings: accelerated for the demo (``clock_speed``), else the wall's."""
    if settings.clock_speed > 0:
        return accelerated_clock(settings.clock_start, settings.clock_speed)
    return wall_clock


def default_network(service: ServiceArea, settings: Settings) -> RoadNetwork:
    """The service's road network: an imported extract, or the shipped approximate one."""
    from routing.network import load_network

    return load_network(service.id, data_dir=settings.data_dir)


@dataclass
class Runtime:
    """Everything a request handler needs."""

    settings: Settings
    service: ServiceArea
    db: DbEngine
    engine: Engine
    started: float = field(default_factory=time.time)
    #: This worker's name in /health (host and process).
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _standing_thread: threading.Thread | None = None
    last_cycle: dict[str, object] = field(default_factory=dict)
    standing: StandingOrders = field(init=False)
    throttle: Throttle = field(init=False)
    #: One LINE webhook event at a time in this area (:mod:`dispatcher.api.routes_line`).
    line_serial: threading.Lock = field(default_factory=threading.Lock)
    #: The area's e-tickets: its own signing keys (set by :meth:`create`).
    ticketing: TicketService = field(init=False)

    def __post_init__(self) -> None:
        self.standing = StandingOrders(self.db, self.engine)
        self.throttle = Throttle(self.db)

    @classmethod
    def create(cls, settings: Settings, network: RoadNetwork | None = None,
               clock: Clock | None = None, service: ServiceArea | None = None,
               db_url: str | None = None) -> Runtime:
        """Open (and migrate) the database (``db_url``, default the settings' one), load the
        service and network, start the engine and the ticket service."""
        service = service or load_service(settings.service)
        db = make_engine(db_url or settings.db_url)
        migrate(db)
        if clock is None:
            clock = default_clock(settings)
        net = network or default_network(service, settings)
        engine = Engine(service, db, net, clock)
        from sqlmodel import Session

        with engine.workers.starting(), Session(db) as s, s.begin():
            prepare_accounts(s, service, settings, engine.now_dt())
        engine.start()
        # Other workers' changes (PostgreSQL): reload the days they change.
        engine.workers.listen(engine.day_changed)
        runtime = cls(settings, service, db, engine)
        try:
            with engine.workers.starting():
                runtime.ticketing = TicketService.create(settings, service, db, engine.clock)
        except Exception:
            runtime.stop()
            raise
        return runtime

    def start_background(self) -> None:
        """Start the periodic re-optimisation thread and the standing orders' thread; on a
        shared database they work only while this worker leads the area
        (:mod:`dispatcher.engine.workers`)."""
        self.engine.workers.campaign()
        self._start_standing()
        if self.settings.reopt_interval_s <= 0 or self._thread is not None:
            return

        notifier = self.notifier()

        def loop() -> None:
            while not self._stop.wait(self.settings.reopt_interval_s):
                if not self.engine.workers.leader:
                    continue
                try:
                    self.last_cycle = self.engine.reoptimize(
                        time_limit_s=self.settings.reopt_time_limit_s)
                    notifier.run_once()
                except Exception:  # keep the service alive; the cycle is retried
                    log.exception("re-optimisation cycle failed")

        self._thread = threading.Thread(target=loop, name="noriai-reopt", daemon=True)
        self._thread.start()

    def notifier(self) -> RiskNotifier:
        """The LINE notifier of promises at risk (pushes nothing without a LINE channel)."""
        client = None
        if self.settings.line_access_token:
            client = ReplyClient(self.settings.line_api_base, self.settings.line_access_token)
        return RiskNotifier(self.db, client)

    def _start_standing(self) -> None:
        """Place standing orders' due days at start and then every ``standing_interval_s``."""
        if self.settings.standing_interval_s <= 0 or self._standing_thread is not None:
            return

        def loop() -> None:
            while True:
                try:
                    if self.engine.workers.leader:
                        self.standing.place_due()
                except Exception:  # keep the service alive; the next pass retries
                    log.exception("standing orders pass failed")
                if self._stop.wait(self.settings.standing_interval_s):
                    return

        self._standing_thread = threading.Thread(target=loop, name="noriai-standing", daemon=True)
        self._standing_thread.start()

    def stop(self) -> None:
        """Stop the background threads and release the database."""
        self._stop.set()
        for thread in (self._thread, self._standing_thread):
            if thread is not None:
                thread.join(timeout=30)
        self.engine.workers.stop()
        self.db.dispose()
