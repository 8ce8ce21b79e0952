"""The ticketing shell: the service's keyring, tickets of bookings, driver sync, check-in, payment.

Plugs the pure core (:mod:`dispatcher.tickets`, :mod:`dispatcher.fares`) into the store:

- **Keys.** The public keyring lives in the ``ticket_keys`` table (:class:`KeyRow`). In
  development the private keys are stored there too and generated when needed; in production
  (``NORIAI_MODE=production``) they come only from ``NORIAI_TICKET_KEY`` (PKCS#8 PEM blocks or
  base64url 32-byte seeds, several allowed, separated by whitespace or commas) and the table
  holds their public halves. The short-code secret is ``NORIAI_TICKET_CODE_KEY`` (base64 of 32
  bytes) in production and a ``settings`` row in development.
- **Rotation.** :meth:`Ticketing.add_key` (CLI: ``noriai tickets rotate``) adds a key that starts
  signing at its ``valid_from``; older keys stay in the keyring until their own end, so tickets
  they signed keep verifying. New tickets are signed by the newest key valid now whose end lies
  after the ticket's.
- **Tickets.** Issued lazily from the booking row the first time anyone asks (rider, operator)
  and recorded as a ``ticket_issued`` event holding every signed field, so the same booking and
  issue counter always give the same text (Ed25519 signatures are deterministic). A reissue
  raises the booking's ``ticket_issue`` and records ``ticket_reissued``; the older ticket is then
  ``superseded`` on the server and, after their next sync, in the drivers' apps.
- **Check-in.** :meth:`Ticketing.checkin` verifies a ticket or short code with the same core
  functions against the live state, records one :class:`TicketCheck` per booking and boards the
  rider through the engine.
- **Payment.** :func:`record_booking_payment` stores :func:`dispatcher.fares.record_payment`'s
  result on the booking with a ``payment`` event.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import logging
import re
import sys
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dispatcher import tickets
from dispatcher.errors import Conflict, InvalidInput, NoriaiError, NotFound
from dispatcher.fares import (
    Fare,
    FareLine,
    PaymentRecord,
    PaymentStatus,
    Recorder,
    fare_for,
    record_payment,
)
from dispatcher.service_area import ServiceArea
from dispatcher.settings import Settings
from dispatcher.store import repo
from dispatcher.store.tables import BookingRow, Event, KeyRow, Setting, TicketCheck

log = logging.getLogger("noriai.ticketing")

Clock = Callable[[], int]

ISSUE_EVENTS = ("ticket_issued", "ticket_reissued")
CODE_KEY_SETTING = "ticket_code_key"
CLOCK_MARGIN_S = 86_400
"""A first key starts a day before "now", so that devices whose clock runs late accept it."""
CLOSED_STATUSES = ("cancelled", "no_show", "completed")
REFUSED_STATUSES = ("cancelled", "no_show")
RIDDEN_STATUSES = ("onboard", "completed")


class TicketUnavailable(Conflict):
    """The booking has no usable ticket any more (cancelled, no-show or completed)."""

    code = "ticket_unavailable"


class NoSigningKey(NoriaiError):
    """No private key can sign this ticket now (production keys must be rotated)."""

    status = 503
    code = "no_signing_key"


class TicketingConfigError(RuntimeError):
    """The deployment's ticket keys are missing or malformed (the service refuses to start)."""


# --- keys from the environment ----------------------------------------------------------------

_PEM_RE = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.S)


def parse_private_keys(text: str) -> list[Ed25519PrivateKey]:
    """The Ed25519 private keys in ``NORIAI_TICKET_KEY`` text.

    Parameters
    ----------
    text
        PKCS#8 PEM blocks and/or base64url (or standard base64) 32-byte seeds, separated by
        whitespace or commas; a literal ``\\n`` counts as a line break (one-line env files).

    Raises
    ------
    InvalidInput
        If any part is not an Ed25519 private key.
    """
    text = text.replace("\\n", "\n")
    keys = [tickets.private_key_from_pem(m.group(0).encode()) for m in _PEM_RE.finditer(text)]
    rest = _PEM_RE.sub(" ", text)
    for part in re.split(r"[\s,]+", rest.strip()):
        if part:
            keys.append(tickets.private_key_from_b64(part.replace("+", "-").replace("/", "_")
                                                     .rstrip("=")))
    return keys


def parse_code_key(text: str) -> bytes:
    """The 32-byte short-code secret from base64 (standard or url-safe, padded or not).

    Raises
    ------
    InvalidInput
        If the text is not base64 of exactly 32 bytes.
    """
    raw_text = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput("番号用の鍵を読めません", "the code key is not base64") from None
    if len(raw) != 32:
        raise InvalidInput("番号用の鍵は32バイトです", "the code key must be 32 bytes")
    return raw


def key_id_of(public_b64: str) -> str:
    """A key id derived from a public key (``k`` + 10 hex digits of its SHA-256)."""
    return "k" + hashlib.sha256(public_b64.encode("ascii")).hexdigest()[:10]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _s(moment: datetime) -> int:
    return int(moment.timestamp())


def ticket_svg(text: str, *, scale: int = 4, title: str = "", xmldecl: bool = False) -> str:
    """SVG of a ticket's QR code for web pages: black on an opaque white square (readable on
    dark pages), 4-module quiet zone, and a ``viewBox`` so CSS can resize it
    (``svg { width: 100%; height: auto }``) without cropping."""
    from io import BytesIO

    qr = tickets.qr_code(text)
    buf = BytesIO()
    qr.save(buf, kind="svg", scale=scale, border=4, title=title or None, dark="#000",
            light="#fff", xmldecl=xmldecl, svgclass="noriai-ticket-qr", lineclass=None)
    svg = buf.getvalue().decode("utf-8")
    side = (qr.symbol_size(scale=1, border=4)[0]) * scale
    return svg.replace("<svg ", f'<svg viewBox="0 0 {side} {side}" role="img" ', 1)


# --- the service shell ------------------------------------------------------------------------


@dataclass
class Ticketing:
    """Tickets of one service over its database; ``clock`` is the engine's (epoch seconds).

    Create with :meth:`create`; every method opens its own transaction.
    """

    service: ServiceArea
    db: DbEngine
    clock: Clock
    production: bool
    key_days: int
    code_key: bytes
    env_keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def tz(self) -> ZoneInfo:
        """The service's time zone."""
        return ZoneInfo(self.service.timezone)

    @classmethod
    def create(cls, settings: Settings, service: ServiceArea, db: DbEngine,
               clock: Clock) -> Ticketing:
        """Load (production) or create (development) the keys and the code secret.

        Raises
        ------
        TicketingConfigError
            In production, if ``NORIAI_TICKET_KEY`` or ``NORIAI_TICKET_CODE_KEY`` is missing
            or malformed.
        """
        production = settings.mode == "production"
        env_keys: dict[str, Ed25519PrivateKey] = {}
        if production:
            if not settings.ticket_key or not settings.ticket_code_key:
                raise TicketingConfigError(
                    "NORIAI_TICKET_KEY and NORIAI_TICKET_CODE_KEY must be set in production "
                    "(generate them with `noriai tickets new-secrets`)")
            try:
                for k in parse_private_keys(settings.ticket_key):
                    env_keys[tickets.public_key_to_b64(k.public_key())] = k
                code_key = parse_code_key(settings.ticket_code_key)
            except InvalidInput as exc:
                raise TicketingConfigError(f"ticket keys: {exc.message_en}") from None
        else:
            code_key = cls._dev_code_key(db)
        self = cls(service, db, clock, production, settings.ticket_key_days, code_key, env_keys)
        self._register_env_keys()
        if not production and not self.signing_keys():
            now = clock()
            self.add_key(valid_from_s=now - CLOCK_MARGIN_S)
        return self

    @staticmethod
    def _dev_code_key(db: DbEngine) -> bytes:
        with Session(db) as s, s.begin():
            row = s.get(Setting, CODE_KEY_SETTING)
            if row is None:
                row = Setting(key=CODE_KEY_SETTING,
                              value={"b64": _b64(tickets.new_code_key())})
                s.add(row)
            return parse_code_key(str(row.value["b64"]))

    def _register_env_keys(self) -> None:
        """Add environment keys the table does not know yet, valid from now for ``key_days``."""
        if not self.env_keys:
            return
        with Session(self.db) as s:
            known = {r.public_key for r in s.exec(select(KeyRow))}
        now = self.clock()
        for pub in self.env_keys:
            if pub not in known:
                self._store_key(key_id_of(pub), pub, "", now - CLOCK_MARGIN_S,
                                now + self.key_days * 86_400)
                log.info("registered ticket key %s from the environment", key_id_of(pub))

    def _store_key(self, key_id: str, public_b64: str, private_b64: str, valid_from_s: int,
                   valid_until_s: int) -> None:
        with Session(self.db) as s, s.begin():
            if s.get(KeyRow, key_id) is not None:
                raise Conflict("同じ鍵IDがあります", f"key id {key_id} exists already")
            s.add(KeyRow(key_id=key_id, public_key=public_b64, private_key=private_b64,
                         valid_from=_dt(valid_from_s), valid_until=_dt(valid_until_s)))
            repo.add_event(s, "ticket_key_added", actor_id="system", at=_dt(self.clock()),
                           key_id=key_id, valid_from=valid_from_s, valid_until=valid_until_s)

    def _key_rows(self) -> list[KeyRow]:
        with Session(self.db, expire_on_commit=False) as s:
            return list(s.exec(select(KeyRow).where(col(KeyRow.active))
                               .order_by(col(KeyRow.valid_from))))

    def keyring(self) -> dict[str, tickets.KeyInfo]:
        """The public keyring: every active key (id -> public key and validity)."""
        return {r.key_id: tickets.KeyInfo(tickets.public_key_from_b64(r.public_key),
                                          _s(r.valid_from), _s(r.valid_until))
                for r in self._key_rows()}

    def keyring_json(self) -> dict[str, Any]:
        """The public keyring as the driver app imports it (:func:`tickets.keyring_to_json`)."""
        return tickets.keyring_to_json(self.service.id, self.keyring())

    def signing_keys(self) -> dict[str, tickets.SigningKey]:
        """Active keys whose private half this process holds (environment or dev table)."""
        out: dict[str, tickets.SigningKey] = {}
        for r in self._key_rows():
            if self.production:
                private = self.env_keys.get(r.public_key)
            else:
                private = (tickets.private_key_from_b64(r.private_key) if r.private_key
                           else None)
            if private is not None:
                out[r.key_id] = tickets.SigningKey(r.key_id, private, _s(r.valid_from),
                                                   _s(r.valid_until))
        return out

    def add_key(self, *, valid_from_s: int | None = None, days: int | None = None,
                key_id: str | None = None) -> tuple[tickets.SigningKey, str | None]:
        """Rotate: add a new signing key to the keyring; old keys stay valid until their end.

        Parameters
        ----------
        valid_from_s
            When the key starts signing (epoch s; default now). Give the drivers' apps time
            to sync it first (the CLI's default is one day ahead).
        days
            Its lifetime in days (default ``NORIAI_TICKET_KEY_DAYS``).
        key_id
            Its id (default derived from the public key).

        Returns
        -------
        tuple[SigningKey, str | None]
            The key, and in production its private seed (base64url) for the secret store:
            production never stores private keys; add it to ``NORIAI_TICKET_KEY``.
        """
        start = self.clock() if valid_from_s is None else valid_from_s
        end = start + (days or self.key_days) * 86_400
        key = tickets.generate_signing_key(key_id or "pending", valid_from=start, valid_until=end)
        private = key.private_key
        pub = tickets.public_key_to_b64(private.public_key())
        kid = key_id or key_id_of(pub)
        seed = tickets.private_key_to_b64(private)
        self._store_key(kid, pub, "" if self.production else seed, start, end)
        if self.production:
            self.env_keys[pub] = private
        return tickets.SigningKey(kid, private, start, end), seed if self.production else None

    def pick_key(self, now_s: int, not_after_s: int) -> tickets.SigningKey:
        """The key that signs a ticket valid until ``not_after_s``: the newest one valid now
        that outlives the ticket (a development service adds one when none fits).

        Raises
        ------
        NoSigningKey
            In production, when no key fits (rotate keys).
        """
        fits = [k for k in self.signing_keys().values()
                if k.valid_from <= now_s < k.valid_until and not_after_s <= k.valid_until]
        if fits:
            return max(fits, key=lambda k: (k.valid_from, k.key_id))
        if self.production:
            raise NoSigningKey("乗車券を発行できません（署名鍵の更新が必要です）",
                               "cannot issue tickets: no signing key fits (rotate the keys)")
        days = max(self.key_days, (not_after_s - now_s) // 86_400 + 2)
        return self.add_key(valid_from_s=now_s - CLOCK_MARGIN_S, days=days)[0]

    # --- tickets ------------------------------------------------------------------------------

    def booking(self, booking_id: str) -> BookingRow:
        """A booking row (raises NotFound)."""
        with Session(self.db, expire_on_commit=False) as s:
            row = s.get(BookingRow, booking_id)
        if row is None:
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        return row

    def fare_of(self, row: BookingRow) -> Fare:
        """The booking's fare: riders by category from the row, total as promised at booking."""
        counts = {"adult": row.adults + row.wheelchairs - sum(row.concessions.values()),
                  "child": row.children, "infant": row.infants, **row.concessions}
        try:
            fare = fare_for(self.service.fares, {k: v for k, v in counts.items() if v > 0})
        except InvalidInput:  # rules changed since booking: keep the booked total, adults only
            fare = Fare(self.service.fares.currency,
                        (FareLine("adult", max(1, row.adults), 0, row.fare),), row.fare)
        return Fare(fare.currency, fare.lines, row.fare)

    def _record(self, s: Session, booking_id: str, issue: int) -> dict[str, Any] | None:
        events = s.exec(select(Event).where(Event.booking_id == booking_id,
                                                 col(Event.type).in_(ISSUE_EVENTS))
                        .order_by(col(Event.id).desc()))
        for e in events:
            if e.data.get("ticket", {}).get("issue") == issue:
                return e.data
        return None

    def _new_ticket(self, row: BookingRow, issue: int, now_s: int) -> tuple[tickets.Ticket,
                                                                           tickets.SigningKey]:
        pick_from, pick_to = _s(row.pickup_earliest_at), _s(row.pickup_latest_at)
        not_before, not_after = tickets.default_validity(pick_from, pick_to)
        key = self.pick_key(now_s, not_after)
        fare = self.fare_of(row)
        stop = row.origin_stop_id or f"pt:{row.origin_lat:.5f}:{row.origin_lon:.5f}"
        ticket = tickets.Ticket(
            key_id=key.key_id, service_id=self.service.id, booking_id=row.id, issue=issue,
            rider_initial=tickets.rider_initial(row.rider_name),
            passengers=tickets.passengers_tuple(fare.passengers()), pickup_stop_id=stop,
            pickup_from_s=pick_from, pickup_to_s=pick_to, currency=fare.currency,
            fare=fare.total, not_before_s=not_before, not_after_s=not_after,
            vehicle_id=row.vehicle_id or "")
        return ticket, key

    def _issued(self, data: dict[str, Any]) -> tickets.IssuedTicket | None:
        """Re-sign a recorded ticket (same text), or None if its key is gone."""
        t = dict(data["ticket"])
        t["passengers"] = tuple((c, n) for c, n in t["passengers"])
        ticket = tickets.Ticket(**t)
        key = self.signing_keys().get(ticket.key_id)
        if key is None:
            return None
        return self._finish(ticket, key, int(data["issued_at_s"]))

    def _finish(self, ticket: tickets.Ticket, key: tickets.SigningKey,
                at_s: int) -> tickets.IssuedTicket:
        text = tickets.sign_ticket(ticket, key, now_s=at_s)
        ids = {"service_id": ticket.service_id, "booking_id": ticket.booking_id,
               "issue": ticket.issue}
        return tickets.IssuedTicket(ticket, text, tickets.short_code(self.code_key, **ids),
                                    tickets.manifest_code(self.code_key, **ids))

    def _issue(self, s: Session, row: BookingRow, issue: int, event: str,
               actor_id: str) -> tickets.IssuedTicket:
        now = self.clock()
        ticket, key = self._new_ticket(row, issue, now)
        issued = self._finish(ticket, key, now)
        data = {"ticket": {f.name: getattr(ticket, f.name) for f in fields(ticket)},
                "issued_at_s": now}
        data["ticket"]["passengers"] = [list(p) for p in ticket.passengers]
        repo.add_event(s, event, booking_id=row.id, vehicle_id=row.vehicle_id, actor_id=actor_id,
                       at=_dt(now), **data)
        return issued

    def ticket_for(self, booking_id: str, *, actor_id: str = "system") -> tickets.IssuedTicket:
        """The booking's current ticket: the recorded one, or issued now on first request.

        Raises
        ------
        TicketUnavailable
            If the booking is cancelled, a no-show or completed.
        """
        with self._lock:
            self._prepare_key(booking_id)
            return self._ticket_for(booking_id, actor_id)

    def _prepare_key(self, booking_id: str) -> None:
        """Let a development service add a fitting key before a write transaction opens
        (adding one writes too, and SQLite allows one writer at a time)."""
        if self.production:
            return
        with Session(self.db, expire_on_commit=False) as s:
            row = s.get(BookingRow, booking_id)
        if row is not None:
            _, not_after = tickets.default_validity(_s(row.pickup_earliest_at),
                                                    _s(row.pickup_latest_at))
            self.pick_key(self.clock(), not_after)

    def _ticket_for(self, booking_id: str, actor_id: str) -> tickets.IssuedTicket:
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            row = s.get(BookingRow, booking_id)
            if row is None:
                raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
            self._refuse_closed(row)
            data = self._record(s, booking_id, row.ticket_issue)
            if data is not None:
                issued = self._issued(data)
                if issued is not None:
                    return issued
            return self._issue(s, row, row.ticket_issue, "ticket_issued", actor_id)

    @staticmethod
    def _refuse_closed(row: BookingRow) -> None:
        if row.status in CLOSED_STATUSES:
            ja = {"cancelled": "取り消された予約", "no_show": "不乗車となった予約",
                  "completed": "乗車が済んだ予約"}[row.status]
            raise TicketUnavailable(f"{ja}の乗車券は使えません",
                                    f"a {row.status.replace('_', '-')} booking has no valid ticket",
                                    booking_id=row.id, status=row.status)

    def reissue(self, booking_id: str, actor_id: str) -> tickets.IssuedTicket:
        """Reissue a booking's ticket with ``issue + 1``; the old one becomes ``superseded``.

        Raises
        ------
        TicketUnavailable
            Unless the booking is still waiting for pickup (confirmed).
        """
        with self._lock:
            self._prepare_key(booking_id)
            return self._reissue(booking_id, actor_id)

    def _reissue(self, booking_id: str, actor_id: str) -> tickets.IssuedTicket:
        with Session(self.db, expire_on_commit=False) as s, s.begin():
            row = s.get(BookingRow, booking_id, with_for_update=True)
            if row is None:
                raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
            self._refuse_closed(row)
            if row.status != "confirmed":
                raise TicketUnavailable("乗車済みの予約の乗車券は再発行できません",
                                        "a booking on board cannot get a new ticket",
                                        booking_id=row.id, status=row.status)
            if row.ticket_issue >= 0xFFFF:
                raise Conflict("再発行の上限に達しました", "too many reissues")
            row.ticket_issue += 1
            row.updated_at = _dt(self.clock())
            s.add(row)
            return self._issue(s, row, row.ticket_issue, "ticket_reissued", actor_id)

    def ticket_json(self, booking_id: str, issued: tickets.IssuedTicket) -> dict[str, Any]:
        """The ticket as the API shows it (times ISO in the service's zone)."""
        t = issued.ticket
        with Session(self.db, expire_on_commit=False) as s:
            row = s.get(BookingRow, booking_id)
            check = s.get(TicketCheck, booking_id)
        tz = self.tz

        def iso(x: int) -> str:
            return _dt(x).astimezone(tz).isoformat()

        return {
            "booking_id": t.booking_id, "issue": t.issue, "text": issued.text,
            "code": issued.code,
            "svg": ticket_svg(issued.text, scale=4, title=f"乗車券 Ticket {t.booking_id}"),
            "key_id": t.key_id, "valid_from": iso(t.not_before_s),
            "valid_until": iso(t.not_after_s), "fare": t.fare, "currency": t.currency,
            "passengers": dict(t.passengers),
            "pickup_stop_id": row.origin_stop_id if row else t.pickup_stop_id,
            "pickup_window": [iso(t.pickup_from_s), iso(t.pickup_to_s)],
            "vehicle_id": t.vehicle_id or None, "rider_initial": t.rider_initial,
            "status": row.status if row else None, "checked_in": check is not None,
        }

    # --- the driver's sync --------------------------------------------------------------------

    def _days(self) -> tuple[date, date]:
        today = datetime.fromtimestamp(self.clock(), tz=self.tz).date()
        return today, today + timedelta(days=1)

    def _rows_of_days(self, s: Session, days: Iterable[date]) -> list[BookingRow]:
        return list(s.exec(select(BookingRow).where(BookingRow.service_id == self.service.id,
                                                    col(BookingRow.service_day).in_(list(days)))))

    def sync(self, vehicle_id: str) -> dict[str, Any]:
        """What a driver's app needs to verify tickets offline for today and tomorrow.

        ``used`` lists bookings checked in (and those already on board or completed: their
        ticket has been used); ``onboard`` those on board now; ``cancelled`` the cancelled and
        no-show ones; ``latest_issue`` every booking's issue counter; ``vehicle_of`` and
        ``day_of`` the vehicle each booking is on now and its service day (so that a booking
        moved to another vehicle is refused offline too); ``service_day`` today;
        ``manifest_codes`` the short-code hashes of this vehicle's bookings.
        """
        now = self.clock()
        with Session(self.db, expire_on_commit=False) as s:
            rows = self._rows_of_days(s, self._days())
            ids = [r.id for r in rows]
            checked = {c.booking_id for c in s.exec(
                select(TicketCheck).where(col(TicketCheck.booking_id).in_(ids)))} if ids else set()
        mine = [r for r in rows if r.vehicle_id == vehicle_id]
        return {
            "service_id": self.service.id, "vehicle_id": vehicle_id,
            "now": _dt(now).astimezone(self.tz).isoformat(), "now_s": now,
            "keyring": self.keyring_json(),
            "manifest_codes": [tickets.manifest_code(self.code_key, service_id=self.service.id,
                                                     booking_id=r.id,
                                                     issue=r.ticket_issue).as_json()
                               for r in mine],
            "on_manifest": [r.id for r in mine if r.status in ("confirmed", "onboard")],
            "cancelled": sorted(r.id for r in rows if r.status in REFUSED_STATUSES),
            "used": sorted(checked | {r.id for r in rows if r.status in RIDDEN_STATUSES}),
            "onboard": sorted(r.id for r in rows if r.status == "onboard"),
            "latest_issue": {r.id: r.ticket_issue for r in rows},
            "service_day": self._days()[0].isoformat(),
            "vehicle_of": {r.id: r.vehicle_id or "" for r in rows},
            "day_of": {r.id: r.service_day.isoformat() for r in rows},
        }

    # --- check-in at the door -----------------------------------------------------------------

    def _state(self, s: Session, row: BookingRow, vehicle_id: str) -> dict[str, Any]:
        used = s.get(TicketCheck, row.id) is not None or row.status in RIDDEN_STATUSES
        return {"used": {row.id} if used else set(),
                "cancelled": {row.id} if row.status in REFUSED_STATUSES else set(),
                "onboard": {row.id} if row.status == "onboard" else set(),
                "latest_issue": {row.id: row.ticket_issue},
                "on_manifest": {row.id} if row.vehicle_id == vehicle_id else set(),
                "vehicle_of": {row.id: row.vehicle_id or ""},
                "day_of": {row.id: row.service_day.isoformat()}}

    def verify_ticket(self, text: str, vehicle_id: str, boarding_here: Collection[str] | None = None,
                      ) -> tuple[tickets.Verdict, BookingRow | None]:
        """Verify a ticket's QR text against the live state (never raises for bad input).

        The booking's vehicle, day and status are the database's; ``boarding_here`` (the
        bookings that board at the vehicle's current stop now, from the engine's plan) makes
        any other booking ``other_stop`` (None: not checked).
        """
        now = self.clock()
        keys = self.keyring()
        try:
            ticket, _, _ = tickets.decode_text(text)
        except InvalidInput:
            return tickets.verify(text, keys=keys, now_s=now), None
        with Session(self.db, expire_on_commit=False) as s:
            row = (s.get(BookingRow, ticket.booking_id)
                   if ticket.service_id == self.service.id else None)
            state = self._state(s, row, vehicle_id) if row is not None else {}
        verdict = tickets.verify(text, keys=keys, now_s=now, vehicle_id=vehicle_id,
                                 service_id=self.service.id, service_day=self._days()[0].isoformat(),
                                 boarding_here=boarding_here if row is not None else None, **state)
        if verdict.ok and row is None:
            return tickets.Verdict(False, tickets.Reason.UNKNOWN_CODE, verdict.ticket,
                                   ticket.booking_id, "no such booking"), None
        return verdict, row

    def verify_short_code(self, code: str, vehicle_id: str,
                          boarding_here: Collection[str] | None = None,
                          ) -> tuple[tickets.Verdict, BookingRow | None]:
        """Verify a typed short code against this vehicle's bookings of today and tomorrow,
        then against the ticket's validity window (the server knows the booking's times);
        ``boarding_here`` as for :meth:`verify_ticket`."""
        now = self.clock()
        with Session(self.db, expire_on_commit=False) as s:
            rows = [r for r in self._rows_of_days(s, self._days()) if r.vehicle_id == vehicle_id]
            ids = [r.id for r in rows]
            checked = {c.booking_id for c in s.exec(
                select(TicketCheck).where(col(TicketCheck.booking_id).in_(ids)))} if ids else set()
        manifest = [tickets.manifest_code(self.code_key, service_id=self.service.id,
                                          booking_id=r.id, issue=r.ticket_issue) for r in rows]
        verdict = tickets.verify_code(
            code, manifest=manifest, service_id=self.service.id,
            used=checked | {r.id for r in rows if r.status in RIDDEN_STATUSES},
            cancelled={r.id for r in rows if r.status in REFUSED_STATUSES},
            onboard={r.id for r in rows if r.status == "onboard"},
            service_day=self._days()[0].isoformat(),
            day_of={r.id: r.service_day.isoformat() for r in rows},
            boarding_here=boarding_here)
        row = next((r for r in rows if r.id == verdict.booking_id), None)
        if verdict.ok and row is not None:
            lo, hi = tickets.default_validity(_s(row.pickup_earliest_at), _s(row.pickup_latest_at))
            if now < lo:
                return tickets.Verdict(False, tickets.Reason.NOT_YET_VALID, None, row.id), row
            if now >= hi:
                return tickets.Verdict(False, tickets.Reason.EXPIRED, None, row.id), row
        return verdict, row

    def refusal_detail(self, reason: tickets.Reason, row: BookingRow) -> dict[str, str]:
        """What the driver needs to send a refused rider the right way: where and when the
        booking boards (another stop), or its day (another day); empty otherwise."""
        tz = self.tz
        if reason == tickets.Reason.OTHER_STOP:
            stop = (self.service.stop(row.origin_stop_id) if row.origin_stop_id
                    and row.origin_stop_id in self.service.stop_ids() else None)
            ja, en = (stop.name_ja, stop.name_en) if stop else ("指定地点", "the chosen point")
            a = row.pickup_earliest_at.astimezone(tz).strftime("%H:%M")
            b = row.pickup_latest_at.astimezone(tz).strftime("%H:%M")
            return {"detail_ja": f"乗車: {ja} {a}–{b}", "detail_en": f"Boards at {en} {a}–{b}"}
        if reason == tickets.Reason.WRONG_DAY:
            d = row.service_day
            return {"detail_ja": f"予約日: {d.month}月{d.day}日",
                    "detail_en": f"Booked for {d.strftime('%a %d %b')}"}
        return {}

    def checkin(self, vehicle_id: str, actor_id: str, *, ticket: str | None = None,
                code: str | None = None,
                board: Callable[[str], dict[str, Any]] | None = None,
                boarding_here: Collection[str] | None = None) -> dict[str, Any]:
        """Check a ticket or short code in at the door, once; board the rider when accepted.

        Parameters
        ----------
        vehicle_id, actor_id
            The driver's vehicle and user id.
        ticket, code
            Exactly one: the scanned QR text or the typed short code.
        board
            Called with the booking id when the booking is still ``confirmed`` (the engine's
            ``boarded`` event); if it raises, the check-in is undone.
        boarding_here
            The bookings that board at the vehicle's current stop now: a ticket of any other
            booking is refused (``other_stop``) and boards nobody. None: not checked.

        Returns
        -------
        dict
            ``ok``, ``reason``, ``message_ja``/``message_en``, ``booking_id`` and, when
            accepted, the booking's ``status``.
        """
        if (ticket is None) == (code is None):
            raise InvalidInput("乗車券（ticket）か番号（code）のどちらか一つを送ってください",
                               "send exactly one of ticket or code")
        with self._lock:
            if ticket is not None:
                verdict, row = self.verify_ticket(ticket, vehicle_id, boarding_here)
                method, issue = "qr", verdict.ticket.issue if verdict.ticket else None
            else:
                verdict, row = self.verify_short_code(str(code), vehicle_id, boarding_here)
                method, issue = "code", row.ticket_issue if row else None
            out: dict[str, Any] = {"ok": verdict.ok, "booking_id": verdict.booking_id,
                                   "reason": str(verdict.reason), "message": verdict.message_ja,
                                   "message_ja": verdict.message_ja,
                                   "message_en": verdict.message_en}
            if not verdict.ok or row is None:
                out["ok"] = False
                if row is not None:
                    out.update(self.refusal_detail(verdict.reason, row))
                return out
            now = self.clock()
            try:
                with Session(self.db) as s, s.begin():
                    s.add(TicketCheck(booking_id=row.id, issue=issue or row.ticket_issue,
                                      vehicle_id=vehicle_id, checked_at=_dt(now)))
                    s.flush()
                    repo.add_event(s, "ticket_checked_in", booking_id=row.id,
                                   vehicle_id=vehicle_id, actor_id=actor_id, at=_dt(now),
                                   method=method, issue=issue)
            except IntegrityError:
                used = tickets.Verdict(False, tickets.Reason.ALREADY_USED, None, row.id)
                return out | {"ok": False, "reason": str(used.reason),
                              "message": used.message_ja, "message_ja": used.message_ja,
                              "message_en": used.message_en}
            status = row.status
            if status == "confirmed" and board is not None:
                try:
                    status = str(board(row.id).get("status", "onboard"))
                except Exception:
                    with Session(self.db) as s, s.begin():
                        done = s.get(TicketCheck, row.id)
                        if done is not None:
                            s.delete(done)
                    raise
            return out | {"status": status, "issue": issue}


# --- payments ---------------------------------------------------------------------------------


def record_booking_payment(db: DbEngine, service: ServiceArea, clock: Clock, booking_id: str,
                           status: str, *, by: Recorder, actor_id: str,
                           vehicle_id: str | None = None) -> BookingRow:
    """Record a payment status on a booking through :func:`dispatcher.fares.record_payment`.

    Parameters
    ----------
    vehicle_id
        For a driver: the booking must be on this vehicle.

    Raises
    ------
    NotFound, Conflict, Forbidden, RuleViolation
        As the core decides (unknown booking, impossible transition, role, payment method).
    """
    now = clock()
    with Session(db, expire_on_commit=False) as s, s.begin():
        row = s.get(BookingRow, booking_id, with_for_update=True)
        if row is None or (vehicle_id is not None and row.vehicle_id != vehicle_id):
            raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
        if row.status in REFUSED_STATUSES and status != PaymentStatus.UNPAID:
            raise Conflict("取り消された予約の支払は記録できません",
                           "a cancelled or no-show booking cannot be paid")
        target = PaymentStatus(status)
        record = record_payment(PaymentRecord(status=PaymentStatus(row.payment_status)), target,
                                by=by, actor_id=actor_id, at_s=now,
                                amount=0 if target == PaymentStatus.UNPAID else row.fare,
                                rules=service.fares)
        previous = row.payment_status
        row.payment_status = str(record.status)
        row.updated_at = _dt(now)
        s.add(row)
        repo.add_event(s, "payment", booking_id=booking_id, vehicle_id=row.vehicle_id,
                       actor_id=actor_id, at=_dt(now), status=str(record.status),
                       previous=previous, recorded_by=str(record.recorded_by),
                       amount=record.amount)
        s.flush()
        s.expunge(row)
    return row


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``noriai tickets``: list keys, rotate (add a key), or print new production secrets."""
    import time

    from dispatcher.services import load_service
    from dispatcher.store.db import make_engine, migrate

    parser = argparse.ArgumentParser(prog="noriai tickets", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: NORIAI_DB or ./var)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("keys", help="list the keyring")
    rot = sub.add_parser("rotate", help="add a signing key; old keys stay valid until their end")
    rot.add_argument("--starts-in-hours", type=float, default=24.0,
                     help="when the key starts signing (default 24 h: drivers sync it first)")
    rot.add_argument("--days", type=int, default=None, help="lifetime in days")
    rot.add_argument("--key-id", default=None)
    sub.add_parser("new-secrets", help="print a new NORIAI_TICKET_KEY and NORIAI_TICKET_CODE_KEY")
    args = parser.parse_args(argv)
    if args.cmd == "new-secrets":
        key = Ed25519PrivateKey.generate()
        print(f"NORIAI_TICKET_KEY={tickets.private_key_to_b64(key)}")
        print(f"NORIAI_TICKET_CODE_KEY={_b64(tickets.new_code_key())}")
        return 0
    settings = Settings(**({"db": args.db} if args.db else {}))
    service = load_service(settings.service)
    db = make_engine(settings.db_url)
    migrate(db)
    try:
        t = Ticketing.create(settings, service, db, lambda: int(time.time()))
    except TicketingConfigError as exc:
        print(f"noriai tickets: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "rotate":
        start = int(time.time() + args.starts_in_hours * 3600)
        key, seed = t.add_key(valid_from_s=start, days=args.days, key_id=args.key_id)
        print(f"added key {key.key_id}: signs from {_dt(key.valid_from).isoformat()} "
              f"until {_dt(key.valid_until).isoformat()}")
        if seed is not None:
            print("production: append this private key to NORIAI_TICKET_KEY (keep the old ones "
                  f"until their end) and restart:\n{seed}")
    for kid, info in t.keyring().items():
        signs = "signing" if kid in t.signing_keys() else "verify-only"
        print(f"{kid}\t{_dt(info.valid_from).isoformat()}\t{_dt(info.valid_until).isoformat()}"
              f"\t{signs}")
    db.dispose()
    return 0
