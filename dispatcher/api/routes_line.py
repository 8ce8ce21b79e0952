"""The LINE Messaging API webhook: signature check, then the booking dialogue per LINE user.

Every request is checked first: ``X-Line-Signature`` must be the base64 HMAC-SHA256 of the raw
body with the channel secret, or the call is refused with 401 and nothing is read or changed.
Each LINE user's place in the dialogue is kept in the ``settings`` table (key ``line:USERID``);
a repeated delivery of the same event (``webhookEventId``) is applied once. Events are applied one
at a time per service area (:attr:`Runtime.line_serial`): one area's LINE traffic never waits for
another's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from sqlmodel import Session

from dispatcher.api.deps import RuntimeDep, Unauthorized
from dispatcher.api.routes_auth import account_key, normalise_phone
from dispatcher.api.runtime import Runtime
from dispatcher.api.schemas_feeds import WebhookOut
from dispatcher.api.security import hash_password, verify_or_dummy
from dispatcher.api.throttle import Key
from dispatcher.api.views import rank_rows
from dispatcher.errors import InvalidInput, NotFound
from dispatcher.line.client import ReplyClient, text_message
from dispatcher.line.dialogue import (
    Booked,
    Conversation,
    Dialogue,
    OfferText,
    Reply,
    StopChoice,
    Turn,
)
from dispatcher.line.parse import PartyCounts, fold
from dispatcher.line.signature import verify
from dispatcher.rules import earliest_bookable
from dispatcher.stop_search import search_stops
from dispatcher.store import repo, users
from dispatcher.store.tables import ClientAction, Setting, User
from dispatcher.trip import Party, Place, TripInput

log = logging.getLogger("noriai.line")
router = APIRouter(prefix="/api/v1/line", tags=["line"])
_dialogue = Dialogue()


class LinePort:
    """The dialogue's view of the service for one LINE user (implements ``dialogue.Port``)."""

    def __init__(self, runtime: Runtime, line_user_id: str, event_id: str) -> None:
        self.runtime = runtime
        self.engine = runtime.engine
        self.tz = runtime.engine.tz
        self.line_user_id = line_user_id
        self.event_id = event_id

    def _user(self) -> User | None:
        with Session(self.runtime.db, expire_on_commit=False) as s:
            return users.rider_by_line_id(s, self.line_user_id)

    def now(self) -> datetime:
        """The engine's now, local."""
        return datetime.fromtimestamp(self.engine.clock(), tz=UTC).astimezone(self.tz)

    def earliest(self) -> datetime | None:
        """The earliest trip time a booking made now may ask for."""
        found = earliest_bookable(self.runtime.service, self.engine.clock())
        return None if found is None else datetime.fromtimestamp(found, tz=UTC).astimezone(self.tz)

    def linked(self) -> bool:
        """Whether this LINE user has a rider account."""
        return self._user() is not None

    def phone_known(self, phone: str) -> bool:
        """Whether a rider has this phone number (each look-up counts against this LINE user's
        budget, so that numbers cannot be tried in bulk; 429-style refusal when spent)."""
        throttle = self.runtime.throttle
        lookups: Key = ("line_lookup", self.line_user_id)
        throttle.check(lookups, ("line", self.line_user_id))
        throttle.failed(lookups)
        with Session(self.runtime.db) as s:
            return users.by_phone(s, normalise_phone(phone), role="rider") is not None

    def link(self, phone: str, pin: str) -> bool:
        """Link to the rider account of ``phone`` when ``pin`` is right. Wrong PINs count against
        the account (shared with the web sign-in) and against this LINE user, whatever phone
        number it sends next: sending the number again does not give new tries."""
        throttle = self.runtime.throttle
        account, source = account_key(phone=normalise_phone(phone)), ("line", self.line_user_id)
        throttle.check(account, source)
        with Session(self.runtime.db, expire_on_commit=False) as s:
            user = users.by_phone(s, normalise_phone(phone), role="rider")
        if not pin or not verify_or_dummy(pin, user.password_hash if user else None) or not user:
            throttle.failed(account, source)
            return False
        throttle.succeeded(account)
        with Session(self.runtime.db, expire_on_commit=False) as s, s.begin():
            row = s.get(User, user.id)
            if row is None:
                return False
            row.line_user_id = self.line_user_id
            repo.add_event(s, "line_linked", actor_id=user.id, at=self.engine.now_dt())
        return True

    def create_account(self, phone: str, name: str) -> None:
        """A rider account for this LINE user (no usable PIN until the rider sets one by sending
        「暗証番号」)."""
        with Session(self.runtime.db, expire_on_commit=False) as s, s.begin():
            user = User(id=f"r-{uuid.uuid4().hex[:12]}", role="rider", name=name[:120],
                        phone=normalise_phone(phone), line_user_id=self.line_user_id,
                        password_hash=hash_password(secrets.token_urlsafe(24)))
            s.add(user)
            repo.add_event(s, "rider_registered", actor_id=user.id, at=self.engine.now_dt(),
                           channel="line")

    def set_pin(self, pin: str) -> None:
        """Set the PIN of this LINE user's rider account (hashed as at sign-up)."""
        with Session(self.runtime.db, expire_on_commit=False) as s, s.begin():
            user = users.rider_by_line_id(s, self.line_user_id)
            if user is None:
                raise NotFound("アカウントが見つかりません", "no rider account is linked")
            user.password_hash = hash_password(pin)
            user.token_version += 1  # tokens issued with the old PIN are void
            repo.add_event(s, "pin_set", actor_id=user.id, at=self.engine.now_dt(), channel="line")

    def find_stops(self, text: str) -> list[StopChoice]:
        """Stops whose name, reading or alias (「やくば」「みちのえき」) matches the text, best
        first (only the one stop the text names in full, if there is one)."""
        if not fold(text):
            return []
        svc = self.runtime.service
        found = search_stops(svc.stops, svc.aliases, text)
        exact = [m for m in found if m.exact]
        # A name, reading or alias typed in full means that stop, not every stop it starts.
        return [StopChoice(m.stop.id, m.stop.name_ja) for m in (exact if len(exact) == 1 else found)]

    def home_stop(self) -> StopChoice | None:
        """The rider's home stop."""
        user = self._user()
        if user is None or not user.home_stop_id or user.home_stop_id not in self.engine.stop_place:
            return None
        return StopChoice(user.home_stop_id, self.runtime.service.stop(user.home_stop_id).name_ja)

    def frequent_stops(self) -> list[StopChoice]:
        """The three most visited stops."""
        top = sorted(self.runtime.service.stops, key=lambda s: -s.weight)[:3]
        return [StopChoice(s.id, s.name_ja) for s in top]

    def offers(self, origin: str, destination: str, rule: str, at: datetime,
               party: PartyCounts) -> list[OfferText]:
        """Offers from the engine in the rider's order (おすすめ first, with its reason); offers
        that read the same (same times and fare on another vehicle) once."""
        user = self._require_user()
        trip = TripInput(origin=Place(origin), destination=Place(destination),
                         party=Party(party.adults, party.children, 0, party.wheelchairs),
                         rule=rule, time_s=int(at.timestamp()), notes="LINE")
        result = self.engine.make_offers(user.id, trip)
        rows = [*result["offers"], *result["alternatives"]]
        asked = len(result["offers"])
        hm = lambda d: d.astimezone(self.tz).strftime("%H:%M")  # noqa: E731
        ranked = sorted(zip(rank_rows(rows), range(len(rows)), strict=True), key=lambda x: x[0].rank)
        out: list[OfferText] = []
        seen = set()
        for r, k in ranked:
            row = rows[k]
            same = (row.pickup_earliest_at, row.pickup_latest_at, row.dropoff_expected_at, row.fare)
            if same in seen:  # another vehicle with the same times reads the same to the rider
                continue
            seen.add(same)
            why = "・".join(lb.text_ja for lb in r.labels if lb.code != "recommended")
            out.append(OfferText(row.id, hm(row.pickup_earliest_at), hm(row.pickup_latest_at),
                                 hm(row.dropoff_expected_at), row.fare, k >= asked,
                                 why if r.recommended else ""))
        return out

    def book(self, offer_id: str) -> Booked:
        """Accept the offer for this rider (the LINE event id is the idempotency key)."""
        user = self._require_user()
        row, _ = self.engine.accept(user.id, offer_id, f"line:{self.event_id}", booked_by=user.id,
                                    channel="line", rider_name=user.name,
                                    rider_phone=user.phone or "")
        a = row.pickup_earliest_at.astimezone(self.tz)
        return Booked(row.id, a.strftime("%H:%M"),
                      row.pickup_latest_at.astimezone(self.tz).strftime("%H:%M"),
                      f"{a.month}月{a.day}日", row.fare)

    def _require_user(self) -> User:
        user = self._user()
        if user is None:
            raise NotFound("アカウントが見つかりません", "no rider account is linked")
        return user


def _messages(replies: list[Reply]) -> list[dict[str, Any]]:
    return [text_message(r.text, list(r.quick)) for r in replies]


def handle_event(runtime: Runtime, event: dict[str, Any]) -> Turn | None:
    """Apply one webhook event (follow or text message) and send the reply; None if ignored."""
    source = event.get("source") or {}
    uid = source.get("userId")
    token = event.get("replyToken")
    kind = event.get("type")
    if not isinstance(uid, str) or not uid or len(uid) > 58 or kind not in ("follow", "message"):
        return None
    event_id = str(event.get("webhookEventId") or uuid.uuid4().hex)[:40]
    done_key = f"line:{event_id}"
    # One LINE event at a time in the area: a user's state is read, advanced and written as
    # one step. Each area has its own lock (and its own channel and database).
    with runtime.line_serial:
        with Session(runtime.db, expire_on_commit=False) as s:
            if s.get(ClientAction, done_key) is not None:
                return None
            stored = s.get(Setting, f"line:{uid}")
        state = Conversation.from_dict(stored.value if stored else None)
        port = LinePort(runtime, uid, event_id)
        message = event.get("message") or {}
        if kind == "follow":
            turn = _dialogue.start(port)
        elif message.get("type") == "text" and isinstance(message.get("text"), str):
            turn = _dialogue.handle(state, message["text"][:500], port)
        else:
            turn = Turn(state, [Reply("文字で送ってください。（スタンプや写真にはお答えできません）")])
        with Session(runtime.db, expire_on_commit=False) as s, s.begin():
            row = s.get(Setting, f"line:{uid}") or Setting(key=f"line:{uid}")
            row.value = turn.state.to_dict()
            s.add(row)
            s.add(ClientAction(client_id=done_key, actor_id="line",
                               result={"booking_id": turn.booked.id if turn.booked else None}))
    if isinstance(token, str) and token:
        client = ReplyClient(runtime.settings.line_api_base, runtime.settings.line_access_token)
        client.reply(token, _messages(turn.replies))
    return turn


@router.post("/webhook")
async def webhook(request: Request, runtime: RuntimeDep,
                  x_line_signature: Annotated[str | None, Header()] = None) -> WebhookOut:
    """LINE Messaging API webhook (refuses a missing or wrong X-Line-Signature with 401)."""
    body = await request.body()
    if not verify(body, runtime.settings.line_channel_secret, x_line_signature):
        raise Unauthorized("署名が正しくありません", "missing or invalid X-Line-Signature")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("JSON として読めません", "the body is not JSON") from exc
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        raise InvalidInput("events がありません", "the body has no events list")
    handled = 0
    for event in events:
        if isinstance(event, dict):
            turn = await asyncio.to_thread(handle_event, runtime, event)
            handled += turn is not None
    return WebhookOut(ok=True, handled=handled)
