"""Issue 16, finding 3 (LINE): the 3-try PIN limit reset whenever the phone number was sent
again, so a stranger could keep guessing, link someone's account and set a new PIN (account
takeover). Now wrong PINs count against the account (shared with the web sign-in) and against
the LINE user whatever number it sends next; phone-number look-ups are budgeted; setting a PIN
in LINE revokes the account's web tokens."""

from __future__ import annotations

from sqlmodel import Session, select

from dispatcher.api.throttle import LIMITS
from dispatcher.store.tables import User
from tests.line.conftest import LineUser, line_app, line_clock, line_stub  # noqa: F401

OWNER_PIN = "4827"


def _register(c, phone: str) -> dict[str, str]:
    r = c.post("/api/v1/auth/register", json={"phone": phone, "pin": OWNER_PIN, "name": "持ち主"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _linked(c, line_user: str) -> bool:
    with Session(c.app.state.runtime.db) as s:
        return s.exec(select(User).where(User.line_user_id == line_user)).first() is not None


def test_sending_the_number_again_gives_no_new_tries(line_app, line_stub):  # noqa: F811
    _register(line_app, "090-4040-5050")
    stranger = LineUser(line_app, "U" + "e" * 32)
    stranger.post(stranger.event("follow"))
    guesses = iter(f"{n:04d}" for n in range(1000, 9999, 7))
    tried = 0
    for _round in range(4):
        stranger.say("090-4040-5050")
        if "しばらく" in line_stub.texts()[-1]:
            break  # the number sent again: refused, no new tries
        for _ in range(3):
            stranger.say(next(guesses))
            tried += 1
    assert tried == 3
    assert "しばらく" in line_stub.texts()[-1]
    # Even the right PIN cannot be tried now: no takeover by starting over.
    stranger.say("090-4040-5050")
    assert "しばらく" in line_stub.texts()[-1]
    stranger.say(OWNER_PIN)
    assert not _linked(line_app, stranger.user_id)
    # The web sign-in of that number shares the account's count of wrong PINs.
    for n in range(LIMITS["account"].free):
        line_app.post("/api/v1/auth/login", json={"phone": "090-4040-5050", "password": f"{n}739"})
    r = line_app.post("/api/v1/auth/login", json={"phone": "090-4040-5050", "password": OWNER_PIN})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_one_line_user_cannot_look_up_numbers_in_bulk(line_app, line_stub):  # noqa: F811
    prober = LineUser(line_app, "U" + "f" * 32)
    prober.post(prober.event("follow"))
    answers = []
    for n in range(LIMITS["line_lookup"].free + 2):
        prober.say(f"080-1000-{n:04d}")
        answers.append(line_stub.texts()[-1])
        prober.say("やめる")
    assert "しばらく" in answers[-1]
    assert all("しばらく" not in a for a in answers[:LIMITS["line_lookup"].free])


def test_a_pin_set_in_line_revokes_web_tokens(line_app, line_stub):  # noqa: F811
    web = _register(line_app, "090-6161-7171")
    owner = LineUser(line_app, "U" + "d" * 32)
    owner.post(owner.event("follow"))
    owner.say("090-6161-7171")
    owner.say(OWNER_PIN)
    assert _linked(line_app, owner.user_id)
    assert line_app.get("/api/v1/auth/me", headers=web).status_code == 200
    owner.say("暗証番号")
    owner.say("1111")
    assert "使えません" in line_stub.texts()[-1]
    owner.say("7395")
    assert "設定しました" in line_stub.texts()[-1]
    assert line_app.get("/api/v1/auth/me", headers=web).status_code == 401
