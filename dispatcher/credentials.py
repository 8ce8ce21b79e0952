"""What makes a password, PIN or secret key too weak, and how long to wait after failed tries.

Pure: values in, a verdict out (``None`` when acceptable, else a :class:`Weakness` with a
Japanese and an English reason). The settings refuse weak production credentials with it, the
API refuses weak new passwords and PINs, and the throttle computes its back-off with
:func:`backoff_s`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

MIN_PASSWORD_CHARS = 12
MIN_SECRET_BYTES = 32
MIN_PIN_DIGITS = 4
MAX_PIN_DIGITS = 12

#: Development defaults and passwords found at the top of every leaked-password list. Compared
#: case-insensitively, and also with digits and punctuation stripped from the end.
COMMON_PASSWORDS = frozenset({
    "operator-dev", "driver-dev", "supervisor-dev", "operator-test", "driver-test",
    "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty",
    "qwertyuiop", "qwerty123", "asdfghjkl", "zxcvbnm", "letmein", "welcome", "admin",
    "administrator", "changeme", "change-me", "changeit", "secret", "default", "iloveyou",
    "monkey", "dragon", "master", "sunshine", "trustno1", "abc123", "football", "baseball",
    "operator", "driver", "supervisor", "noriai", "mitsugi", "onomichi", "test", "testtest",
    "guest", "root", "toor", "user", "login",
})

#: Secret keys that appear in this repository's tests, docs or examples.
KNOWN_DEV_SECRETS = frozenset({
    "s" * 40, "f" * 40, "t" * 40, "b" * 40, "x" * 40, "a" * 32,
    "change-me-change-me-change-me-change-me", "dev-secret", "development-secret-key",
})


@dataclass(frozen=True, slots=True)
class Weakness:
    """Why a credential is refused."""

    ja: str
    en: str


def _period(text: str) -> int:
    """Length of the shortest unit the text repeats (its own length when it repeats nothing)."""
    n = len(text)
    for p in range(1, n // 2 + 1):
        if n % p == 0 and text[:p] * (n // p) == text:
            return p
    return n


def _mostly_sequential(text: str) -> bool:
    """Whether most neighbouring characters step by +1 or -1 (abcdef..., 98765...)."""
    if len(text) < 3:
        return False
    steps = [ord(b) - ord(a) for a, b in pairwise(text)]
    return sum(1 for s in steps if s in (1, -1)) >= 0.6 * len(steps)


def shannon_bits(data: str | bytes) -> float:
    """Empirical entropy of the whole value in bits (per-symbol entropy times its length)."""
    if not data:
        return 0.0
    counts = Counter(data)
    n = len(data)
    per = -sum(c / n * math.log2(c / n) for c in counts.values())
    return per * n


def password_weakness(password: str, *, min_chars: int = MIN_PASSWORD_CHARS,
                      names: tuple[str, ...] = ()) -> Weakness | None:
    """Why ``password`` is too weak for a staff account (``names``: the login or account names
    it must not be), or None."""
    if len(password) < min_chars:
        return Weakness(f"パスワードは{min_chars}文字以上にしてください",
                        f"the password must have at least {min_chars} characters")
    low = password.lower()
    core = low.rstrip("0123456789!@#$%^&*()-_=+.?, ")
    if low in COMMON_PASSWORDS or core in COMMON_PASSWORDS:
        return Weakness("よく使われるパスワードや開発用のパスワードは使えません",
                        "the password is a common or development password")
    if {low, core} & {n.lower() for n in names if n}:
        return Weakness("ログインIDと同じパスワードは使えません",
                        "the password must differ from the login")
    if len(set(password)) < 4 or _period(password) < len(password) or _mostly_sequential(password):
        return Weakness("同じ文字の繰り返しや連続した文字だけのパスワードは使えません",
                        "the password is a repetition or a sequence of characters")
    return None


def secret_weakness(secret: str) -> Weakness | None:
    """Why a signing secret (text) is too weak: under 32 bytes, a known development key, a
    repetition, a sequence or too little entropy (under 128 bits estimated)."""
    raw = secret.encode()
    if len(raw) < MIN_SECRET_BYTES:
        return Weakness("鍵は32バイト以上の乱数にしてください", "the key must be 32+ random bytes")
    if secret in KNOWN_DEV_SECRETS or secret.startswith("dev-"):
        return Weakness("開発用の鍵は使えません", "the key is a development key")
    if (_period(secret) < len(secret) or _mostly_sequential(secret) or len(set(secret)) < 10
            or shannon_bits(secret) < 128):
        return Weakness("鍵が単純すぎます（乱数で作ってください）",
                        "the key has too little randomness (generate it randomly)")
    return None


def key_bytes_weakness(raw: bytes) -> Weakness | None:
    """Why a 32-byte binary key (ticket seed, short-code secret) is too weak: a repetition,
    a sequence or fewer than 16 distinct bytes (a random one has about 30)."""
    if len(raw) < MIN_SECRET_BYTES:
        return Weakness("鍵は32バイト以上です", "the key must be 32+ bytes")
    if len(set(raw)) < 16 or _period(raw.hex()) < len(raw.hex()) or _mostly_sequential(
            raw.decode("latin-1")):
        return Weakness("鍵が単純すぎます（乱数で作ってください）",
                        "the key has too little randomness (generate it randomly)")
    return None


def pin_weakness(pin: str) -> Weakness | None:
    """Why a rider's PIN is refused: not 4-12 digits, one digit repeated (0000), a run of
    consecutive digits (1234, 9876), or a repeated pair (1212)."""
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        return Weakness(f"暗証番号は数字{MIN_PIN_DIGITS}〜{MAX_PIN_DIGITS}けたです",
                        f"the PIN must be {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")
    if (len(set(pin)) == 1 or pin in "01234567890123456789" or pin in "98765432109876543210"
            or _period(pin) < len(pin)):
        return Weakness("同じ数字・連続した数字・くり返しの暗証番号は使えません",
                        "the PIN must not be one digit repeated, a run of consecutive digits "
                        "or a repeated pattern")
    return None


def backoff_s(failures: int, *, free: int, base_s: int, cap_s: int) -> int:
    """Seconds to wait before the next try after ``failures`` failures in a row: none for the
    first ``free``, then ``base_s`` doubling with each further failure, at most ``cap_s``."""
    if failures < free:
        return 0
    return min(cap_s, base_s * 2 ** min(failures - free, 30))
