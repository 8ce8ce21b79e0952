"""The service's keys: the keyring in the database, private keys from the environment
(production) or the database (development), the short-code secret, rotation and the choice of
the key that signs a ticket."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher import tickets
from dispatcher.errors import Conflict, InvalidInput
from dispatcher.settings import Settings
from dispatcher.store import tickets as store
from dispatcher.store.tables import KeyRow
from dispatcher.store.types import to_dt, to_s
from dispatcher.ticket_service.common import Clock
from dispatcher.ticket_service.errors import NoSigningKey, TicketingConfigError

log = logging.getLogger("noriai.ticketing")

CLOCK_MARGIN_S = 86_400
"""A first key starts a day before "now", so that devices whose clock runs late accept it."""


@dataclass
class TicketKeys:
    """The keyring of one service over its database; ``clock`` is the engine's (epoch s).

    Create with :meth:`load`; every method opens its own transaction.
    """

    db: DbEngine
    clock: Clock
    production: bool
    key_days: int
    code_key: bytes
    env_keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings, db: DbEngine, clock: Clock) -> TicketKeys:
        """Load (production) or create (development) the keys and the code secret.

        Raises
        ------
        TicketingConfigError
            In production, if ``NORIAI_TICKET_KEY`` or ``NORIAI_TICKET_CODE_KEY`` is missing
            or malformed.
        """
        production = settings.mode == "production"
        if production:
            env_keys, code_key = _env_keys(settings)
        else:
            env_keys, code_key = {}, _dev_code_key(db)
        self = cls(db, clock, production, settings.ticket_key_days, code_key, env_keys)
        self._register_env_keys()
        if not production and not self.signing_keys():
            now = clock()
            self.add_key(valid_from_s=now - CLOCK_MARGIN_S)
        return self

    def _register_env_keys(self) -> None:
        """Add environment keys the table does not know yet, valid from now for ``key_days``."""
        if not self.env_keys:
            return
        with Session(self.db) as s:
            known = store.known_public_keys(s)
        now = self.clock()
        for pub in self.env_keys:
            if pub not in known:
                self._store_key(tickets.key_id_of(pub), pub, "", now - CLOCK_MARGIN_S,
                                now + self.key_days * 86_400)
                log.info("registered ticket key %s from the environment", tickets.key_id_of(pub))

    def _store_key(self, key_id: str, public_b64: str, private_b64: str, valid_from_s: int,
                   valid_until_s: int) -> None:
        with Session(self.db) as s, s.begin():
            if store.key_exists(s, key_id):
                raise Conflict("同じ鍵IDがあります", f"key id {key_id} exists already")
            store.add_key(s, key_id, public_b64, private_b64, valid_from_s=valid_from_s,
                          valid_until_s=valid_until_s, at=to_dt(self.clock()))

    def _key_rows(self) -> list[KeyRow]:
        with Session(self.db, expire_on_commit=False) as s:
            return store.active_keys(s)

    def keyring(self) -> dict[str, tickets.KeyInfo]:
        """The public keyring: every active key (id -> public key and validity)."""
        return {r.key_id: tickets.KeyInfo(tickets.public_key_from_b64(r.public_key),
                                          to_s(r.valid_from), to_s(r.valid_until))
                for r in self._key_rows()}

    def keyring_json(self, service_id: str) -> dict[str, Any]:
        """The public keyring as the driver app imports it (:func:`tickets.keyring_to_json`)."""
        return tickets.keyring_to_json(service_id, self.keyring())

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
                out[r.key_id] = tickets.SigningKey(r.key_id, private, to_s(r.valid_from),
                                                   to_s(r.valid_until))
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
        kid = key_id or tickets.key_id_of(pub)
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


def _env_keys(settings: Settings) -> tuple[dict[str, Ed25519PrivateKey], bytes]:
    """Production's private keys (by public key) and code secret from the environment."""
    if not settings.ticket_key or not settings.ticket_code_key:
        raise TicketingConfigError(
            "NORIAI_TICKET_KEY and NORIAI_TICKET_CODE_KEY must be set in production "
            "(generate them with `noriai tickets new-secrets`)")
    env_keys: dict[str, Ed25519PrivateKey] = {}
    try:
        for k in tickets.parse_private_keys(settings.ticket_key):
            env_keys[tickets.public_key_to_b64(k.public_key())] = k
        code_key = tickets.parse_code_key(settings.ticket_code_key)
    except InvalidInput as exc:
        raise TicketingConfigError(f"ticket keys: {exc.message_en}") from None
    return env_keys, code_key


def _dev_code_key(db: DbEngine) -> bytes:
    """Development's code secret from the database (created on first use)."""
    with Session(db) as s, s.begin():
        b64 = store.dev_code_key(s)
        if b64 is None:
            b64 = tickets.b64url_encode(tickets.new_code_key())
            store.save_dev_code_key(s, b64)
        return tickets.parse_code_key(b64)
