"""Issue 16, finding 2: password settings applied only when an account was first created and
there was no password change; a database promoted from development kept its development
passwords and ticket signing key. Now staff change their password through the API (tokens
revoked), a changed password setting takes effect at the next start without overwriting a
password changed through the API when the setting is unchanged, and the first production start
on a development database retires the development keys and passwords."""

from __future__ import annotations

from sqlmodel import Session, select

from dispatcher.store.tables import Event, KeyRow, Setting
from tests.api.conftest import login, register
from tests.security.conftest import DRIVER_PW, OPERATOR_PW, client, development, production


def _bearer(c, **body: str) -> dict[str, str]:
    return login(c, **body)


def test_staff_change_their_password_and_old_tokens_stop_working(tmp_path, clock):
    with client(development(f"sqlite:///{tmp_path / 'd.db'}", tmp_path), clock) as c:
        for who, old in (("operator", "operator-dev"), ("mitsugi-1", "driver-dev")):
            h = _bearer(c, login=who, password=old)
            assert c.get("/api/v1/auth/me", headers=h).status_code == 200
            weak = c.post("/api/v1/auth/password", headers=h,
                          json={"current_password": old, "new_password": "password123"})
            assert weak.status_code == 422 and weak.json()["message_en"]
            wrong = c.post("/api/v1/auth/password", headers=h,
                           json={"current_password": "not-it", "new_password": "tidal-orbit-58-fern"})
            assert wrong.status_code == 400 and "current" in wrong.json()["message_en"]
            ok = c.post("/api/v1/auth/password", headers=h,
                        json={"current_password": old, "new_password": "tidal-orbit-58-fern"})
            assert ok.status_code == 204, ok.text
            assert c.get("/api/v1/auth/me", headers=h).status_code == 401  # revoked
            r = c.post("/api/v1/auth/login", json={"login": who, "password": old})
            assert r.status_code == 401
            _bearer(c, login=who, password="tidal-orbit-58-fern")
        rider = register(c, "090-6060-7070")
        r = c.post("/api/v1/auth/password", headers=rider,
                   json={"current_password": "2580", "new_password": "tidal-orbit-58-fern"})
        assert r.status_code == 403 and "/auth/pin" in r.json()["message_en"]


def test_a_rotated_setting_takes_effect_and_an_unchanged_one_keeps_api_changes(tmp_path, clock):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    with client(production(db, tmp_path), clock) as c:
        h = _bearer(c, login="mitsugi-1", password=DRIVER_PW)
        assert c.post("/api/v1/auth/password", headers=h,
                      json={"current_password": DRIVER_PW,
                            "new_password": "tidal-orbit-58-fern"}).status_code == 204
        op = _bearer(c, login="operator", password=OPERATOR_PW)
    # Same settings: the driver's own password stays, the operator's token stays valid.
    with client(production(db, tmp_path), clock) as c:
        _bearer(c, login="mitsugi-1", password="tidal-orbit-58-fern")
        assert c.get("/api/v1/auth/me", headers=op).status_code == 200
    # The operator password setting rotated: the new one signs in, the old one and its tokens
    # no longer do; the drivers' setting did not change, so the driver keeps their own.
    with client(production(db, tmp_path, operator_password="copper-meadow-92-wren"), clock) as c:
        assert c.post("/api/v1/auth/login", json={"login": "operator", "password": OPERATOR_PW}
                      ).status_code == 401
        assert c.get("/api/v1/auth/me", headers=op).status_code == 401
        _bearer(c, login="operator", password="copper-meadow-92-wren")
        _bearer(c, login="mitsugi-1", password="tidal-orbit-58-fern")
        with Session(c.app.state.runtime.db) as s:
            applied = s.exec(select(Event).where(Event.type == "password_setting_applied")).all()
        assert [e.data["setting"] for e in applied] == ["operator_password"]


def test_promotion_from_development_retires_development_keys_and_passwords(tmp_path, clock):
    db = f"sqlite:///{tmp_path / 'promo.db'}"
    with client(development(db, tmp_path), clock) as c:
        rider = register(c, "090-8080-9090")
        _bearer(c, login="mitsugi-1", password="driver-dev")
        with Session(c.app.state.runtime.db) as s:
            dev_keys = [k.key_id for k in s.exec(select(KeyRow))]
            assert s.get(Setting, "ticket_code_key") is not None
            assert s.get(Setting, "deployment_mode").value["mode"] == "development"
    assert dev_keys
    with client(production(db, tmp_path), clock) as c:
        for who, old in (("operator", "operator-dev"), ("mitsugi-1", "driver-dev")):
            r = c.post("/api/v1/auth/login", json={"login": who, "password": old})
            assert r.status_code == 401, who
        _bearer(c, login="mitsugi-1", password=DRIVER_PW)
        assert c.get("/api/v1/auth/me", headers=rider).status_code == 401  # tokens revoked
        with Session(c.app.state.runtime.db) as s:
            keys = {k.key_id: k for k in s.exec(select(KeyRow))}
            assert all(not keys[k].active and keys[k].private_key == "" for k in dev_keys)
            assert s.get(Setting, "ticket_code_key") is None
            assert s.get(Setting, "deployment_mode").value["mode"] == "production"
            promoted = s.exec(select(Event).where(Event.type == "promoted_to_production")).all()
        assert len(promoted) == 1 and set(promoted[0].data["retired_keys"]) == set(dev_keys)
    # A second production start promotes nothing again.
    with client(production(db, tmp_path), clock) as c, Session(c.app.state.runtime.db) as s:
        assert len(s.exec(select(Event).where(Event.type == "promoted_to_production")).all()) == 1
