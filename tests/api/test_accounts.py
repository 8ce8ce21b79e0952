"""Staff accounts (SQLite and PostgreSQL): supervisors manage operators' accounts, the last
active supervisor stays, a disabled account can neither sign in nor use its token, and every
operator action is in the log under the account that did it."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from tests.api.conftest import driver, login, trip

ACCOUNTS = "/api/v1/operator/accounts"
STRONG = "bus-stop-honmura-7"


def create(client, headers, login_: str, name: str, role: str = "operator",
           password: str = STRONG) -> dict:
    """A new staff account (asserts it was created)."""
    r = client.post(ACCOUNTS, json={"login": login_, "name": name, "role": role,
                                    "password": password}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def tanaka(client, operator) -> dict:
    """An operator's account created by the seeded supervisor, signed in."""
    account = create(client, operator, "tanaka", "田中 美咲")
    return {**account, "headers": login(client, login="tanaka", password=STRONG)}


def test_seeded_account_is_a_supervisor_and_the_list_has_no_secrets(client, operator):
    """A fresh install signs in with the configured account as a supervisor; the list holds the
    staff only (no drivers, no riders) and never a password or hash."""
    r = client.post("/api/v1/auth/login", json={"login": "operator", "password": "operator-test"})
    assert r.json()["role"] == "supervisor"
    create(client, operator, "tanaka", "田中 美咲")
    r = client.get(ACCOUNTS, headers=operator)
    assert r.status_code == 200, r.text
    listed = r.json()
    assert [(a["login"], a["role"], a["disabled"]) for a in listed] == [
        ("operator", "supervisor", False), ("tanaka", "operator", False)]
    assert "hash" not in r.text and "password" not in r.text and STRONG not in r.text


def test_operators_run_the_console_but_only_supervisors_manage_accounts(client, operator, tanaka,
                                                                       rider):
    """An operator's account works every operator route, yet account management answers 403
    with a readable message to operators, riders and drivers."""
    assert client.get("/api/v1/operator/vehicles", headers=tanaka["headers"]).status_code == 200
    assert client.get("/api/v1/operator/bookings", headers=tanaka["headers"]).status_code == 200
    for headers in (tanaka["headers"], rider, driver(client)):
        r = client.get(ACCOUNTS, headers=headers)
        assert r.status_code == 403, r.text
        assert r.json()["message_ja"] == "この操作の権限がありません"
        r = client.post(ACCOUNTS, json={"login": "x-y-z", "name": "x", "password": STRONG},
                        headers=headers)
        assert r.status_code == 403
    assert client.get("/api/v1/operator/vehicles", headers=rider).status_code == 403
    assert client.get(ACCOUNTS).status_code == 401


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"password": "short-pass"}, 422, "12文字以上"),
    ({"password": "aaaaaaaaaaaaaaaa"}, 422, "同じ文字"),
    ({"login": "operator"}, 409, "すでに使われています"),
    ({"login": "a b"}, 422, "ログインID"),
    ({"name": "   "}, 422, "氏名"),
    ({"role": "driver"}, 422, "role"),
])
def test_bad_accounts_are_refused_clearly(client, operator, body, status, words):
    """A short or one-character password, a taken or malformed login, an empty name or an
    unknown role: a 4xx in words, and no account is made."""
    full = {"login": "suzuki", "name": "鈴木 一郎", "role": "operator", "password": STRONG, **body}
    r = client.post(ACCOUNTS, json=full, headers=operator)
    assert r.status_code == status, r.text
    assert words in r.json()["message_ja"]
    assert r.json()["message_en"]
    assert [a["login"] for a in client.get(ACCOUNTS, headers=operator).json()] == ["operator"]


def test_a_role_change_counts_at_once(client, operator, tanaka):
    """Promoted, an operator's current token manages accounts; demoted again, it no longer can
    (the account's role is read on every request, not only at sign-in)."""
    assert client.get(ACCOUNTS, headers=tanaka["headers"]).status_code == 403
    r = client.patch(f"{ACCOUNTS}/{tanaka['id']}", json={"role": "supervisor"}, headers=operator)
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    assert client.get(ACCOUNTS, headers=tanaka["headers"]).status_code == 200
    r = client.patch(f"{ACCOUNTS}/{tanaka['id']}", json={"role": "operator", "name": "田中 美咲子"},
                     headers=operator)
    assert (r.json()["role"], r.json()["name"]) == ("operator", "田中 美咲子")
    assert client.get(ACCOUNTS, headers=tanaka["headers"]).status_code == 403


def test_the_last_active_supervisor_stays(client, operator, tanaka):
    """The only active supervisor can be neither demoted nor disabled (409 saying what to do
    first); once another account is a supervisor, the first may step down; a disabled
    supervisor does not count as active."""
    me = next(a for a in client.get(ACCOUNTS, headers=operator).json() if a["login"] == "operator")
    for change in ({"role": "operator"}, {"disabled": True}):
        r = client.patch(f"{ACCOUNTS}/{me['id']}", json=change, headers=operator)
        assert r.status_code == 409, r.text
        assert "最後の有効なスーパーバイザー" in r.json()["message_ja"]
        assert "last active supervisor" in r.json()["message_en"]
    sato = create(client, operator, "sato", "佐藤 健", role="supervisor")
    r = client.patch(f"{ACCOUNTS}/{sato['id']}", json={"disabled": True}, headers=operator)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert client.patch(f"{ACCOUNTS}/{me['id']}", json={"role": "operator"},
                        headers=operator).status_code == 409
    assert client.patch(f"{ACCOUNTS}/{sato['id']}", json={"disabled": False},
                        headers=operator).status_code == 200
    r = client.patch(f"{ACCOUNTS}/{me['id']}", json={"role": "operator"}, headers=operator)
    assert r.status_code == 200 and r.json()["role"] == "operator"
    assert client.get(ACCOUNTS, headers=operator).status_code == 403


def test_a_disabled_account_cannot_sign_in_nor_use_its_token(client, operator, tanaka):
    """Disabled: the right password gets a clear refusal (not 'wrong password'), the token
    signed before is refused at once; enabled again, the account signs in."""
    r = client.patch(f"{ACCOUNTS}/{tanaka['id']}", json={"disabled": True}, headers=operator)
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/operator/vehicles", headers=tanaka["headers"])
    assert r.status_code == 401 and r.json()["code"] == "account_disabled"
    r = client.post("/api/v1/auth/login", json={"login": "tanaka", "password": STRONG})
    assert r.status_code == 401 and r.json()["code"] == "account_disabled"
    assert "無効" in r.json()["message_ja"] and "disabled" in r.json()["message_en"]
    wrong = client.post("/api/v1/auth/login", json={"login": "tanaka", "password": "not-it-at-all"})
    assert wrong.json()["code"] == "unauthorized"
    client.patch(f"{ACCOUNTS}/{tanaka['id']}", json={"disabled": False}, headers=operator)
    assert client.post("/api/v1/auth/login",
                       json={"login": "tanaka", "password": STRONG}).status_code == 200


def test_a_supervisor_resets_another_accounts_password(client, operator, tanaka):
    """The new password works and the old one no longer does; one's own password, a weak one,
    an operator resetting, a rider's id: each refused clearly."""
    url = f"{ACCOUNTS}/{tanaka['id']}/password"
    weak = client.post(url, json={"password": "1234"}, headers=operator)
    assert weak.status_code == 422 and "12文字以上" in weak.json()["message_ja"]
    assert client.post(url, json={"password": "new-password-2027"},
                       headers=tanaka["headers"]).status_code == 403
    r = client.post(url, json={"password": "new-password-2027"}, headers=operator)
    assert r.status_code == 204, r.text
    # the old password's sessions end with it
    assert client.get("/api/v1/auth/me", headers=tanaka["headers"]).status_code == 401
    assert client.post("/api/v1/auth/login",
                       json={"login": "tanaka", "password": STRONG}).status_code == 401
    assert client.post("/api/v1/auth/login",
                       json={"login": "tanaka", "password": "new-password-2027"}).status_code == 200
    own = client.post(f"{ACCOUNTS}/operator/password", json={"password": "new-password-2027"},
                      headers=operator)
    assert own.status_code == 422 and "パスワード変更" in own.json()["message_ja"]
    rider_id = client.post("/api/v1/auth/register", json={"phone": "090-3333-4444", "pin": "2580",
                                                          "name": "山田"}).json()["user_id"]
    r = client.post(f"{ACCOUNTS}/{rider_id}/password", json={"password": "new-password-2027"},
                    headers=operator)
    assert r.status_code == 404 and r.json()["message_ja"] == "アカウントが見つかりません"


def test_operator_actions_are_logged_under_the_account_that_did_them(client, operator, tanaka,
                                                                     clock):
    """A phone booking (and the caller's new account), a move, a no-show and a re-optimisation
    by 田中 are in the log as 田中 (id, name, login), never as the seeded account; the account
    changes are in the log as the supervisor who made them."""
    me = tanaka["headers"]
    caller = {"name": "岡田 光子", "phone": "0848-76-2001"}
    offers = client.post("/api/v1/operator/offers", json={**trip(at=time(9, 30)), "caller": caller},
                         headers=me).json()
    booking = client.post("/api/v1/operator/bookings",
                          json={"offer_id": offers["offers"][0]["id"], "caller": caller},
                          headers=me).json()
    target = "mitsugi-2" if booking["vehicle_id"] != "mitsugi-2" else "mitsugi-1"
    assert client.post(f"/api/v1/operator/bookings/{booking['id']}/move",
                       json={"vehicle_id": target}, headers=me).status_code == 200
    clock.t = int(datetime.fromisoformat(booking["pickup_window"][0]).timestamp()) + 181
    assert client.post(f"/api/v1/operator/bookings/{booking['id']}/no-show",
                       headers=me).status_code == 200
    assert client.post("/api/v1/operator/reoptimize", headers=me).status_code == 200

    history = client.get(f"/api/v1/operator/bookings/{booking['id']}/events", headers=me).json()
    by_type = {e["type"]: e for e in history}
    for kind in ("booked", "moved", "no_show"):
        e = by_type[kind]
        assert (e["actor_id"], e["actor_name"], e["actor_login"], e["actor_role"]) == (
            tanaka["id"], "田中 美咲", "tanaka", "operator"), kind
    log = client.get("/api/v1/operator/events", headers=operator).json()
    mine = {e["type"] for e in log if e["actor_id"] == tanaka["id"]}
    assert {"rider_registered", "booked", "moved", "no_show", "reoptimize_requested"} <= mine
    created = next(e for e in log if e["type"] == "account_created")
    assert (created["actor_login"], created["actor_name"]) == ("operator", "運行管理者")
    assert created["data"]["login"] == "tanaka" and "password" not in created["data"]
    client.patch(f"{ACCOUNTS}/{tanaka['id']}", json={"disabled": True}, headers=operator)
    updated = client.get("/api/v1/operator/events", params={"type": "account_updated"},
                         headers=operator).json()
    assert updated[-1]["actor_id"] == "operator"
    assert updated[-1]["data"] == {"account_id": tanaka["id"], "login": "tanaka",
                                   "changes": {"disabled": True}}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_makes_the_seeded_operator_a_supervisor(backend, tmp_path, request):
    """A database of the previous release keeps working: its seeded operator account becomes
    the supervisor (so someone can create the other accounts), other staff stay operators, and
    nobody is disabled."""
    from alembic import command
    from sqlalchemy import text

    from dispatcher.store.db import alembic_config, make_engine, migrate
    from tests.api.conftest import reset_postgres

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        reset_postgres(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003_standing_orders")
        for uid, login_ in (("operator", "operator"), ("op-2", "yamada")):
            conn.execute(text("INSERT INTO users (id, role, name, name_kana, login, password_hash, "
                              "lang, notes, created_at) VALUES (:id, 'operator', '', '', :login, "
                              "'', 'ja', '', CURRENT_TIMESTAMP)"), {"id": uid, "login": login_})
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, role, disabled FROM users ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("op-2", "operator", False), ("operator", "supervisor", False)]
