"""Failed credential checks, counted per account and per source, with lockout and back-off.

Every check of a password or PIN (HTTP sign-in, registration on a taken number, password and
PIN change, LINE linking) first asks :meth:`Throttle.check` whether its account and its source
(the client's IP address, or the LINE user) may try now, and reports a failure with
:meth:`Throttle.failed`. After a few free failures each further one doubles the wait (capped);
a success clears the account's count (never the source's, so that signing in to one's own
account does not reset a guesser's budget). Counts are forgotten a day after the last failure.

The state is in the database (table ``auth_throttle``), so it holds across workers and
restarts; keys are SHA-256 digests, never phone numbers or addresses in clear.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine as DbEngine
from sqlmodel import Session

from dispatcher.credentials import backoff_s
from dispatcher.errors import NoriaiError
from dispatcher.store import throttle as counters
from dispatcher.store.tables import AuthThrottle


@dataclass(frozen=True, slots=True)
class Limits:
    """Free failures, then a wait of ``base_s`` doubling up to ``cap_s``."""

    free: int
    base_s: int
    cap_s: int


#: Per kind of key: an account (phone or login), an IP address, a LINE user.
LIMITS = {
    "account": Limits(free=5, base_s=30, cap_s=3600),
    "ip": Limits(free=20, base_s=30, cap_s=3600),
    # A LINE user's wrong PINs, whichever phone number it sent: the dialogue's three tries.
    "line": Limits(free=3, base_s=60, cap_s=3600),
    # A LINE user's phone-number look-ups (each tells whether the number has an account).
    "line_lookup": Limits(free=10, base_s=300, cap_s=6 * 3600),
}
FORGET_S = 86_400


class TooManyAttempts(NoriaiError):
    """Too many failed tries: wait ``retry_after_s`` seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, -(-(retry_after_s - 1) // 60))
        super().__init__(
            f"失敗が続いたため、しばらく受け付けを止めています。{minutes}分ほどたってから、もう一度"
            "お試しください。暗証番号やパスワードを忘れた場合は、営業所にお問い合わせください。",
            f"Too many failed attempts. Please try again in about {minutes} minute"
            f"{'s' if minutes > 1 else ''}. If you forgot your PIN or password, contact the office.",
            retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


def key_of(kind: str, value: str) -> str:
    """The stored key of an account or source."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


Key = tuple[str, str]
"""(kind, value), e.g. ("account", "phone:09012345678"), ("ip", "203.0.113.9")."""


class Throttle:
    """The shared failure counts (database) with a clock tests may replace."""

    def __init__(self, db: DbEngine, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(int(self.clock()), tz=UTC)

    def check(self, *keys: Key | None) -> None:
        """Refuse (429) when any of the keys is locked now.

        Raises
        ------
        TooManyAttempts
            With the longest remaining wait.
        """
        now = self._now()
        wait = 0
        with Session(self.db) as s:
            for k in keys:
                if k is None:
                    continue
                row = s.get(AuthThrottle, key_of(*k))
                if row is not None and row.locked_until is not None and row.locked_until > now:
                    wait = max(wait, int((row.locked_until - now).total_seconds()) + 1)
        if wait:
            raise TooManyAttempts(wait)

    def failed(self, *keys: Key | None) -> None:
        """Count one failure against each key and lock it for its back-off."""
        now = self._now()
        with Session(self.db) as s, s.begin():
            counters.forget_before(s, now - timedelta(seconds=FORGET_S))
            for k in keys:
                if k is not None:
                    self._count(s, k, now)

    @staticmethod
    def _count(s: Session, k: Key, now: datetime) -> None:
        key = key_of(*k)
        limits = LIMITS[k[0]]
        row = counters.count_failure(s, key, now)
        wait = backoff_s(row.failures, free=limits.free, base_s=limits.base_s, cap_s=limits.cap_s)
        if wait:
            row.locked_until = now + timedelta(seconds=wait)
            s.add(row)

    def succeeded(self, account: Key | None) -> None:
        """Clear the account's failures after a right password or PIN."""
        if account is None:
            return
        with Session(self.db) as s, s.begin():
            counters.clear(s, key_of(*account))

    def remaining_free(self, k: Key) -> int:
        """Failures left before ``k`` is locked (for messages; never below 0)."""
        with Session(self.db) as s:
            row = s.get(AuthThrottle, key_of(*k))
        return max(0, LIMITS[k[0]].free - (row.failures if row else 0))
