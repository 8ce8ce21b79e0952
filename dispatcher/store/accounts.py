"""The accounts the service seeds from its settings, the deployment mode, and promotion.

At every start :func:`prepare_accounts`:

- creates the seeded accounts that are missing (the operator, one driver per vehicle), each
  with the password of its setting;
- re-applies a password setting that changed since it was last applied: the setting's last
  applied value is kept as an argon2 hash (``settings`` row ``seeded_passwords``), so an
  unchanged setting never overwrites a password changed through the API, and a rotated one
  takes effect (revoking the accounts' tokens);
- records the mode the database runs in (``settings`` row ``deployment_mode``). The first
  production start on a database that ran in development *promotes* it: the development
  ticket keys (whose private halves sit in the database) are retired, the development
  short-code secret is deleted, every seeded account gets its production password and every
  token issued so far is revoked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.passwords import hash_password, verify_password
from dispatcher.service_area import ServiceArea
from dispatcher.settings import Settings
from dispatcher.store import repo
from dispatcher.store.tables import KeyRow, Setting, User

MODE_SETTING = "deployment_mode"
APPLIED_SETTING = "seeded_passwords"
#: The development short-code secret's row (read and written by dispatcher.store.tickets).
DEV_CODE_KEY_SETTING = "ticket_code_key"


def seeded_accounts(service: ServiceArea, settings: Settings) -> Iterator[tuple[str, User]]:
    """(password setting, account as first created) of every account the service seeds; a new
    role's seeded accounts are added here with their setting."""
    yield "operator_password", User(id="operator", role="supervisor", name="運行管理者",
                                    login=settings.operator_login)
    for v in service.fleet:
        yield "driver_password", User(id=f"driver-{v.id}", role="driver",
                                      name=f"{v.name} 運転手", login=v.id, vehicle_id=v.id)


def _was_development(s: Session) -> bool:
    """Whether the database ran in development: its recorded mode, or for a database older than
    the record, development's traces (private ticket keys or the stored short-code secret)."""
    row = s.get(Setting, MODE_SETTING)
    if row is not None:
        return row.value.get("mode") == "development"
    private = s.exec(select(KeyRow).where(KeyRow.private_key != "")).first()
    return private is not None or s.get(Setting, DEV_CODE_KEY_SETTING) is not None


def _promote(s: Session) -> dict[str, Any]:
    """Retire development keys and secrets, revoke every token."""
    keys = list(s.exec(select(KeyRow).where(KeyRow.private_key != "")))
    for k in keys:
        k.private_key, k.active = "", False
        s.add(k)
    code = s.get(Setting, DEV_CODE_KEY_SETTING)
    if code is not None:
        s.delete(code)
    users = list(s.exec(select(User)))
    for u in users:
        u.token_version += 1
        s.add(u)
    return {"retired_keys": [k.key_id for k in keys], "code_key_deleted": code is not None,
            "tokens_revoked": len(users)}


def prepare_accounts(s: Session, service: ServiceArea, settings: Settings, now: datetime) -> None:
    """Seed and rotate the settings' accounts and record the mode (in the caller's transaction).
    """
    promoted: dict[str, Any] | None = None
    if settings.mode == "production" and _was_development(s):
        promoted = _promote(s)
    applied_row = s.get(Setting, APPLIED_SETTING) or Setting(key=APPLIED_SETTING, value={})
    applied = dict(applied_row.value)
    by_setting: dict[str, list[User]] = {}
    for setting, fresh in seeded_accounts(service, settings):
        by_setting.setdefault(setting, []).append(fresh)
    for setting, fresh_users in by_setting.items():
        password = settings.password_of(setting)
        stored = str(applied.get(setting) or "")
        changed = promoted is not None or not verify_password(password, stored)
        new_hash = hash_password(password) if changed else stored
        rotated = []
        ids = [u.id for u in fresh_users]
        existing = {u.id: u for u in s.exec(select(User).where(col(User.id).in_(ids)))}
        for fresh in fresh_users:
            user = existing.get(fresh.id)
            if user is None:
                fresh.password_hash = new_hash
                s.add(fresh)
            elif changed:
                user.password_hash = new_hash
                user.token_version += 1
                s.add(user)
                rotated.append(user.id)
        if changed:
            applied[setting] = new_hash
        if rotated and stored:
            repo.add_event(s, "password_setting_applied", actor_id="system", at=now,
                           setting=setting, accounts=rotated)
    applied_row.value = applied
    s.add(applied_row)
    mode_row = s.get(Setting, MODE_SETTING) or Setting(key=MODE_SETTING, value={})
    if mode_row.value.get("mode") != settings.mode:
        mode_row.value = {"mode": settings.mode, "since": now.isoformat()}
        s.add(mode_row)
    if promoted is not None:
        repo.add_event(s, "promoted_to_production", actor_id="system", at=now, **promoted)
