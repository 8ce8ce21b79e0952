"""The LINE booking dialogue as a pure state machine: from where → to where → when → how many →
offer → confirm, per LINE user.

The dialogue does no I/O: everything it needs from the service (accounts, stop search, offers,
booking) comes through a :class:`Port` the web shell implements, and its state is a plain
:class:`Conversation` the shell stores between messages. Replies are :class:`Reply` values the
shell turns into LINE messages.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from dispatcher.credentials import pin_weakness
from dispatcher.errors import NoriaiError
from dispatcher.line.parse import PartyCounts, choice, fold, parse_party, parse_when

STEPS = ("idle", "phone", "pin", "name", "new_pin", "origin", "destination", "when", "party",
         "offer")
RESET_WORDS = ("やめる", "やめます", "中止", "最初から", "りせっと", "cancel", "reset")
YES_WORDS = ("はい", "ok", "お願いします", "おねがいします", "予約する", "yes")
MAX_PIN_TRIES = 3
#: Words that start setting the PIN the rider app signs in with (phone number + PIN).
PIN_WORDS = ("暗証番号", "あんしょうばんごう", "暗証番号を設定", "pin")


@dataclass(frozen=True, slots=True)
class StopChoice:
    """A stop the rider may mean."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class OfferText:
    """What the dialogue shows of an offer (times already local HH:MM)."""

    id: str
    pickup_from: str
    pickup_to: str
    arrive: str
    fare: int
    alternative: bool = False
    #: Why this offer is recommended (おすすめ), empty for the others.
    recommended: str = ""


@dataclass(frozen=True, slots=True)
class Booked:
    """A booking just made."""

    id: str
    pickup_from: str
    pickup_to: str
    day: str
    fare: int


@dataclass(frozen=True, slots=True)
class Reply:
    """A text message, with quick-reply choices."""

    text: str
    quick: tuple[str, ...] = ()


class Port(Protocol):
    """What the dialogue needs from the service (the web shell implements it per LINE user).

    Methods that fail for a reason the rider should read raise :class:`NoriaiError`; its
    Japanese message is replied.
    """

    tz: ZoneInfo

    def now(self) -> datetime:
        """The service's current moment."""
        ...

    def earliest(self) -> datetime | None:
        """The earliest trip time a booking made now may ask for (None: nothing bookable)."""
        ...

    def linked(self) -> bool:
        """Whether this LINE user has a rider account."""
        ...

    def phone_known(self, phone: str) -> bool:
        """Whether a rider account has this phone number."""
        ...

    def link(self, phone: str, pin: str) -> bool:
        """Link the LINE user to the account of ``phone`` if ``pin`` is its PIN."""
        ...

    def create_account(self, phone: str, name: str) -> None:
        """Create a rider account for this LINE user."""
        ...

    def set_pin(self, pin: str) -> None:
        """Set the PIN of this LINE user's account (for signing in to the rider app)."""
        ...

    def find_stops(self, text: str) -> list[StopChoice]:
        """Stops whose name or reading contains ``text``, most visited first."""
        ...

    def home_stop(self) -> StopChoice | None:
        """The rider's home stop, if set."""
        ...

    def frequent_stops(self) -> list[StopChoice]:
        """A few frequent places (hospital, branch office...)."""
        ...

    def offers(self, origin: str, destination: str, rule: str, at: datetime,
               party: PartyCounts) -> list[OfferText]:
        """Offers in the rider's order (the recommended one first)."""
        ...

    def book(self, offer_id: str) -> Booked:
        """Accept an offer."""
        ...


@dataclass
class Conversation:
    """One LINE user's place in the dialogue (stored by the shell between messages)."""

    step: str = "idle"
    phone: str = ""
    tries: int = 0
    candidates: list[dict[str, str]] = field(default_factory=list)
    origin: dict[str, str] | None = None
    destination: dict[str, str] | None = None
    rule: str = ""
    at: str = ""
    party: dict[str, int] | None = None
    offers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Conversation:
        """Read a stored conversation; unknown or damaged data starts afresh."""
        if not data:
            return cls()
        try:
            conv = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except TypeError:
            return cls()
        return conv if conv.step in STEPS else cls()


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one message: the new state and the replies."""

    state: Conversation
    replies: list[Reply]
    booked: Booked | None = None


ASK_ORIGIN = "どこから乗りますか？乗り場の名前を送ってください。（例：びょういん、市出張所）"
ASK_DESTINATION = "どこまで行きますか？降りる場所の名前を送ってください。"
ASK_WHEN = ("いつ乗りますか？日にちと時刻を送ってください。\n"
            "例：「明日 10時」「今日 14時半」\n到着したい時刻なら「10時に着きたい」")
ASK_PARTY = ("何人で乗りますか？\n例：「1人」「大人2 子ども1」「1人 車いす」")
ASK_NEW_PIN = ("ウェブの予約画面で使う暗証番号（数字4〜12けた）を送ってください。\n"
               "同じ数字だけ・連続した数字は使えません。")
ASK_PHONE = ("はじめまして。乗合タクシーの予約窓口です。\n"
             "ご本人の確認のため、電話番号を送ってください。（例：090-1234-5678）")


def _stop(c: StopChoice) -> dict[str, str]:
    return {"id": c.id, "name": c.name}


def _offer_line(i: int, o: dict[str, Any]) -> str:
    best = f"【おすすめ：{o['recommended']}】" if o.get("recommended") else ""
    return (f"{i}. {best}{o['pickup_from']}〜{o['pickup_to']} にお迎え、"
            f"{o['arrive']}ごろ到着　運賃 {o['fare']}円")


class Dialogue:
    """The booking dialogue. ``handle`` is a pure function of (state, text, port answers)."""

    def start(self, port: Port) -> Turn:
        """The first message after a rider adds the account as a friend."""
        if not port.linked():
            return Turn(Conversation(step="phone"), [Reply(ASK_PHONE)])
        return self._ask_origin(Conversation(), port, "こんにちは。乗合タクシーのご予約をお受けします。")

    def handle(self, state: Conversation, text: str, port: Port) -> Turn:
        """Answer one text message."""
        t = fold(text)
        if any(fold(w) == t for w in RESET_WORDS):
            if port.linked():
                return Turn(Conversation(), [Reply("ご予約を中止しました。また「予約」と送ってください。",
                                                   ("予約",))])
            return Turn(Conversation(step="phone"), [Reply(ASK_PHONE)])
        if not port.linked() and state.step not in ("phone", "pin", "name"):
            return Turn(Conversation(step="phone"), [Reply(ASK_PHONE)])
        if port.linked() and any(fold(w) == t for w in PIN_WORDS):
            return Turn(Conversation(step="new_pin"), [Reply(ASK_NEW_PIN)])
        handler = getattr(self, f"_on_{state.step}")
        try:
            return handler(state, text, port)
        except NoriaiError as exc:
            state.step = "when" if state.step in ("party", "offer") else state.step
            state.offers = []
            return Turn(state, [Reply(exc.message_ja + ("\n" + ASK_WHEN if state.step == "when" else ""))])

    # ------------------------------------------------------------------ account

    def _on_phone(self, state: Conversation, text: str, port: Port) -> Turn:
        digits = re.sub(r"\D", "", fold(text))
        if not 10 <= len(digits) <= 11:
            return Turn(state, [Reply("電話番号が読み取れませんでした。数字で送ってください。（例：090-1234-5678）")])
        state.phone = digits
        if port.phone_known(digits):
            state.step, state.tries = "pin", 0
            return Turn(state, [Reply("この電話番号のアカウントがあります。暗証番号（数字4けた以上）を送ってください。")])
        state.step = "name"
        return Turn(state, [Reply("新しく登録します。お名前を送ってください。（例：山田 花子）")])

    def _on_pin(self, state: Conversation, text: str, port: Port) -> Turn:
        if port.link(state.phone, re.sub(r"\D", "", fold(text))):
            return self._ask_origin(Conversation(), port, "アカウントとつながりました。")
        state.tries += 1
        if state.tries >= MAX_PIN_TRIES:
            return Turn(Conversation(step="phone"),
                        [Reply("暗証番号が違います。お手数ですが、電話番号からやり直してください。")])
        return Turn(state, [Reply("暗証番号が違います。もう一度送ってください。")])

    def _on_name(self, state: Conversation, text: str, port: Port) -> Turn:
        name = text.strip()
        if not 1 <= len(name) <= 60:
            return Turn(state, [Reply("お名前を送ってください。")])
        port.create_account(state.phone, name)
        return self._ask_origin(Conversation(), port,
                                f"{name} さん、登録しました。\n（ウェブの予約画面も使うときは、いつでも"
                                "「暗証番号」と送って暗証番号を決めてください。）")

    def _on_new_pin(self, state: Conversation, text: str, port: Port) -> Turn:
        pin = fold(text).strip()
        if not re.fullmatch(r"[0-9]{4,12}", pin):
            return Turn(state, [Reply("暗証番号は数字4〜12けたで送ってください。（やめるときは「やめる」）")])
        if pin_weakness(pin) is not None:  # the same rule as the web sign-up and PIN change
            return Turn(state, [Reply("同じ数字・連続した数字・くり返しの暗証番号は使えません。"
                                      "別の暗証番号を送ってください。")])
        port.set_pin(pin)
        return Turn(Conversation(), [Reply(
            "暗証番号を設定しました。ウェブの予約画面では、電話番号とこの暗証番号でログインできます。\n"
            "この暗証番号は他の人に教えないでください。", ("予約",))])

    # ------------------------------------------------------------------ booking

    def _on_idle(self, state: Conversation, text: str, port: Port) -> Turn:  # noqa: ARG002
        return self._ask_origin(Conversation(), port, "ご予約をお受けします。")

    def _ask_origin(self, state: Conversation, port: Port, greeting: str) -> Turn:
        state.step = "origin"
        quick = [c.name for c in ([port.home_stop()] if port.home_stop() else [])]
        quick += [c.name for c in port.frequent_stops() if c.name not in quick]
        return Turn(state, [Reply(f"{greeting}\n{ASK_ORIGIN}", tuple(quick[:4]))])

    def _pick_stop(self, state: Conversation, text: str, port: Port) -> tuple[StopChoice | None, Reply | None]:
        """The stop a message names, or the question to ask instead."""
        if state.candidates:
            k = choice(text, len(state.candidates))
            if k is not None:
                c = state.candidates[k]
                return StopChoice(c["id"], c["name"]), None
        t = fold(text)
        if t in ("家", "自宅", "いえ", "じたく") and port.home_stop() is not None:
            return port.home_stop(), None
        found = port.find_stops(text)
        exact = [c for c in found if fold(c.name) == t]
        if len(found) == 1 or len(exact) == 1:
            return (exact or found)[0], None
        if not found:
            state.candidates = []
            return None, Reply("その名前の乗り場が見つかりませんでした。ひらがなや短い名前でもう一度送ってください。")
        state.candidates = [_stop(c) for c in found[:5]]
        lines = "\n".join(f"{i + 1}. {c.name}" for i, c in enumerate(found[:5]))
        return None, Reply(f"どれですか？番号を送ってください。\n{lines}",
                           tuple(str(i + 1) for i in range(len(found[:5]))))

    def _on_origin(self, state: Conversation, text: str, port: Port) -> Turn:
        stop, ask = self._pick_stop(state, text, port)
        if stop is None:
            return Turn(state, [ask] if ask else [])
        state.origin, state.candidates, state.step = _stop(stop), [], "destination"
        return Turn(state, [Reply(f"乗る場所：{stop.name}\n{ASK_DESTINATION}",
                                  tuple(c.name for c in port.frequent_stops()
                                        if c.id != stop.id)[:4])])

    def _on_destination(self, state: Conversation, text: str, port: Port) -> Turn:
        stop, ask = self._pick_stop(state, text, port)
        if stop is None:
            return Turn(state, [ask] if ask else [])
        if state.origin and stop.id == state.origin["id"]:
            state.candidates = []
            return Turn(state, [Reply("乗る場所と同じです。降りる場所を送ってください。")])
        state.destination, state.candidates, state.step = _stop(stop), [], "when"
        return Turn(state, [Reply(f"降りる場所：{stop.name}\n{ASK_WHEN}", ("今日 14時", "明日 10時"))])

    def _on_when(self, state: Conversation, text: str, port: Port) -> Turn:
        when = parse_when(text, port.now(), port.tz)
        if when is None:
            return Turn(state, [Reply("日時が読み取れませんでした。\n" + ASK_WHEN)])
        earliest = port.earliest()
        if earliest is not None and when.at < earliest:
            # Too soon (inside the minimum notice): say so now, with the earliest time as one tap.
            at = earliest.astimezone(port.tz)
            tap = f"{at.month}月{at.day}日 {at:%H:%M}" + ("まで" if when.rule == "dropoff_before" else "")
            return Turn(state, [Reply(
                f"{when.at.month}月{when.at.day}日 {when.at:%H:%M} はもう予約できません。"
                f"いちばん早く予約できるのは {at.month}月{at.day}日 {at:%H:%M} です。\n"
                "別の日時を送ってください。", (tap,))])
        state.rule, state.at, state.step = when.rule, when.at.isoformat(), "party"
        verb = "に着くように" if when.rule == "dropoff_before" else "以降に出発"
        return Turn(state, [Reply(f"{when.at.month}月{when.at.day}日 {when.at:%H:%M} {verb}\n{ASK_PARTY}", ("1人", "2人"))])

    def _on_party(self, state: Conversation, text: str, port: Port) -> Turn:
        party = parse_party(text)
        if party is None:
            return Turn(state, [Reply("人数が読み取れませんでした。\n" + ASK_PARTY)])
        state.party = {"adults": party.adults, "children": party.children,
                       "wheelchairs": party.wheelchairs}
        assert state.origin and state.destination
        found = port.offers(state.origin["id"], state.destination["id"], state.rule,
                            datetime.fromisoformat(state.at), party)[:3]
        state.offers = [asdict(o) for o in found]
        state.step = "offer"
        asked = [o for o in found if not o.alternative]
        head = ("ご提案です。" if asked else
                "ご希望の時間は空きがありません。近い時間のご提案です。")
        body = "\n".join(_offer_line(i + 1, o) for i, o in enumerate(state.offers))
        tail = ("この内容で予約するときは「はい」を送ってください。" if len(found) == 1 else
                "予約する番号を送ってください。") + "\nやめるときは「やめる」と送ってください。"
        quick = ("はい", "やめる") if len(found) == 1 else (*[str(i + 1) for i in range(len(found))], "やめる")
        return Turn(state, [Reply(f"{head}\n{body}\n{tail}", quick)])

    def _on_offer(self, state: Conversation, text: str, port: Port) -> Turn:
        k = choice(text, len(state.offers))
        if k is None and len(state.offers) == 1 and any(fold(w) == fold(text) for w in YES_WORDS):
            k = 0
        if k is None:
            return Turn(state, [Reply("番号（または「はい」）を送ってください。やめるときは「やめる」。")])
        booked = port.book(state.offers[k]["id"])
        o = state.origin or {"name": ""}
        d = state.destination or {"name": ""}
        text_out = (f"ご予約を承りました。\n予約番号：{booked.id}\n{booked.day}\n"
                    f"{o['name']} → {d['name']}\nお迎え：{booked.pickup_from}〜{booked.pickup_to}\n"
                    f"運賃：{booked.fare}円（車内でお支払いください）\n"
                    "この時間に乗り場でお待ちください。")
        return Turn(Conversation(), [Reply(text_out, ("予約",))], booked)
