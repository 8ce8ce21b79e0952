"""The LINE webhook end to end: signed requests, the Japanese booking dialogue, replies to the stub."""

from __future__ import annotations

from sqlmodel import Session, select

from dispatcher.store.tables import BookingRow, Event, Setting, User
from tests.line.conftest import SECRET, TOKEN, LineUser


def _counts(client) -> tuple[int, int, int, int]:
    db = client.app.state.runtime.db
    with Session(db) as s:
        return (len(s.exec(select(User)).all()), len(s.exec(select(BookingRow)).all()),
                len(s.exec(select(Setting)).all()), len(s.exec(select(Event)).all()))


def test_full_dialogue_books_a_trip(line_app, line_stub):
    """follow → phone → name → 「びょういん」 → choice → 本村 → 今日 10時 → 2人 → はい ends in a
    stored booking on the LINE channel, with every reply delivered to the stub with the token."""
    u = LineUser(line_app, "U" + "a" * 32)
    assert u.post(u.event("follow")).status_code == 200
    assert "電話番号" in line_stub.texts()[-1]
    u.say("０９０－１２３４－５６７８")
    assert "お名前" in line_stub.texts()[-1]
    u.say("山田 花子")
    assert "どこから" in line_stub.texts()[-1]
    u.say("びょういん")
    assert "番号" in line_stub.texts()[-1] and "公立みつぎ総合病院" in line_stub.texts()[-1]
    u.say("1")
    assert "乗る場所：公立みつぎ総合病院" in line_stub.texts()[-1]
    u.say("ほんむら")
    assert "降りる場所" in line_stub.texts()[-1]
    u.say("今日 10時")
    assert "1月13日 10:00" in line_stub.texts()[-1]
    u.say("2人")
    offer_text = line_stub.texts()[-1]
    assert "にお迎え" in offer_text and "600円" in offer_text, offer_text
    u.say("1" if "番号を送って" in offer_text else "はい")
    done = line_stub.texts()[-1]
    assert "ご予約を承りました" in done, done
    with Session(line_app.app.state.runtime.db) as s:
        user = s.exec(select(User).where(User.line_user_id == u.user_id)).one()
        rows = s.exec(select(BookingRow).where(BookingRow.rider_id == user.id)).all()
    assert user.phone == "09012345678" and user.name == "山田 花子"
    assert len(rows) == 1
    b = rows[0]
    assert (b.channel, b.status, b.origin_stop_id, b.adults) == ("line", "confirmed", "hospital", 2)
    assert b.id in done
    # Every reply went to the Messaging API reply endpoint with the access token and a reply token.
    assert all(r["path"] == "/v2/bot/message/reply" for r in line_stub.requests)
    assert all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in line_stub.requests)
    assert [r["body"]["replyToken"] for r in line_stub.requests] == [f"rt-{i}" for i in range(1, 10)]


def test_wrong_or_missing_signature_is_refused_and_changes_nothing(line_app, line_stub):
    """A body signed with another secret, a tampered signature, or none at all: 401, no reply,
    no account, no stored dialogue state, no event."""
    u = LineUser(line_app, "U" + "b" * 32)
    before = _counts(line_app)
    for kwargs in ({"secret": "another-channel-secret"}, {"signature": None},
                   {"signature": "AAAA" + "=" * 40}, {"signature": ""}):
        r = u.post(u.event(text="予約"), **kwargs)
        assert r.status_code == 401, (kwargs, r.text)
        assert r.json()["message_en"]
    assert _counts(line_app) == before
    assert line_stub.requests == []


def test_signature_covers_the_exact_body(line_app, line_stub):
    """A signature of the body before a change (one character of the text) does not verify the
    changed body: the check is over the raw bytes, not the parsed JSON."""
    import json

    from tests.line.conftest import line_signature

    u = LineUser(line_app, "U" + "c" * 32)
    ev = u.event(text="予約")
    raw = json.dumps({"events": [ev]}, ensure_ascii=False).encode()
    sig = line_signature(raw, SECRET)
    tampered = raw.replace("予約".encode(), "予定".encode())
    r = line_app.post("/api/v1/line/webhook", content=tampered,
                      headers={"X-Line-Signature": sig, "Content-Type": "application/json"})
    assert r.status_code == 401
    r = line_app.post("/api/v1/line/webhook", content=raw,
                      headers={"X-Line-Signature": sig, "Content-Type": "application/json"})
    assert r.status_code == 200 and line_stub.requests


def test_existing_rider_links_with_pin_and_redelivery_applies_once(line_app, line_stub):
    """A rider registered in the app links by phone + PIN; a wrong PIN does not link; LINE's
    redelivery of the same event (same webhookEventId) is not applied twice."""
    r = line_app.post("/api/v1/auth/register",
                      json={"phone": "080-5555-6666", "pin": "2468", "name": "佐藤 一郎"})
    assert r.status_code == 201
    u = LineUser(line_app, "U" + "d" * 32)
    u.say("予約")
    u.say("08055556666")
    assert "暗証番号" in line_stub.texts()[-1]
    u.say("1111")
    assert "違います" in line_stub.texts()[-1]
    with Session(line_app.app.state.runtime.db) as s:
        assert s.exec(select(User).where(User.line_user_id == u.user_id)).first() is None
    ev = u.event(text="2468")
    u.post(ev)
    assert "つながりました" in line_stub.texts()[-1]
    replies = len(line_stub.requests)
    assert u.post(ev).status_code == 200
    assert len(line_stub.requests) == replies
    with Session(line_app.app.state.runtime.db) as s:
        user = s.exec(select(User).where(User.line_user_id == u.user_id)).one()
    assert user.name == "佐藤 一郎"


def test_full_time_offers_alternatives_and_bad_input_gets_a_japanese_answer(line_app, line_stub):
    """Unreadable answers get a Japanese hint and keep the step; a time outside service hours
    gets the service's reason and the dialogue asks for another time."""
    u = LineUser(line_app, "U" + "e" * 32)
    u.say("こんにちは")
    u.say("09011112222")
    u.say("テスト 太郎")
    u.say("zzzz")
    assert "見つかりませんでした" in line_stub.texts()[-1]
    u.say("市出張所")
    u.say("ほんむら")
    u.say("そのうち")
    assert "読み取れませんでした" in line_stub.texts()[-1]
    u.say("今日 午後11時")
    u.say("1人")
    last = line_stub.texts()[-1]
    assert "いつ乗りますか" in last, last
    u.say("やめる")
    assert "中止" in line_stub.texts()[-1]


def test_rider_registered_on_line_sets_a_pin_for_the_web_app(line_app, line_stub):
    """An account made in LINE has no usable PIN; sending 「暗証番号」 asks for one, a trivial or
    malformed PIN is refused, a good one lets the rider sign in to the web app by phone + PIN."""
    u = LineUser(line_app, "U" + "7" * 32)
    u.post(u.event("follow"))
    u.say("090-2222-3333")
    u.say("田中 一子")
    assert "暗証番号" in line_stub.texts()[-1]  # told how to get one
    login = {"phone": "090-2222-3333", "password": "2580"}
    assert line_app.post("/api/v1/auth/login", json=login).status_code == 401
    u.say("暗証番号")
    assert "数字4〜12けた" in line_stub.texts()[-1]
    u.say("12")
    assert "4〜12けた" in line_stub.texts()[-1]
    u.say("1234")
    assert "使えません" in line_stub.texts()[-1]
    u.say("２５８０")  # full-width digits are read too
    assert "設定しました" in line_stub.texts()[-1]
    r = line_app.post("/api/v1/auth/login", json=login)
    assert r.status_code == 200, r.text
    u.say("予約")
    assert "どこから" in line_stub.texts()[-1]


def test_aliases_minimum_notice_and_recommended_offer(line_app, line_stub, line_clock):
    """「やくば」 names the branch office at once; a time inside the minimum notice is answered at
    the time step with the earliest bookable time as a quick reply, which books; the offer says
    おすすめ and why."""
    from datetime import time

    from tests.api.conftest import DAY

    line_clock.set(time(8, 0), DAY)
    u = LineUser(line_app, "U" + "f" * 32)
    u.post(u.event("follow"))
    u.say("090-4444-1111")
    u.say("小林 みどり")
    u.say("ﾔｸﾊﾞ")
    assert "乗る場所：市出張所" in line_stub.texts()[-1]
    u.say("みちの えき")
    assert "降りる場所：クロスロードみつぎ" in line_stub.texts()[-1]
    u.say("今日 8時30分")
    ask = line_stub.requests[-1]["body"]["messages"][-1]
    assert "もう予約できません" in ask["text"] and "09:00" in ask["text"], ask["text"]
    quick = [i["action"]["text"] for i in ask["quickReply"]["items"]]
    assert quick == ["1月13日 09:00"]
    u.say(quick[0])
    assert "1月13日 09:00 以降に出発" in line_stub.texts()[-1]
    u.say("1人")
    offers = line_stub.texts()[-1]
    assert "【おすすめ：ご希望の時刻どおり】09:00〜09:10" in offers, offers
    assert offers.count("にお迎え") == 1  # the same times on another vehicle are listed once
