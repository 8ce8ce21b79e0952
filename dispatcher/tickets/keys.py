"""Key material: Ed25519 signing keys and their public keyring, encodings (raw base64url,
PEM, the driver app's JSON), key ids, and the deployment's key texts (``NORIAI_TICKET_KEY``,
``NORIAI_TICKET_CODE_KEY``) parsed.

Pure but for key generation, which draws from the operating system's randomness.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dispatcher.errors import InvalidInput
from dispatcher.tickets.codec import b64url_decode, b64url_encode, check_id

# --- signing keys -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A public key of the service's keyring and when it verifies tickets (epoch s, [from, until))."""

    public_key: Ed25519PublicKey
    valid_from: int
    valid_until: int


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The service's private signing key with its id and validity (epoch s, [from, until))."""

    key_id: str
    private_key: Ed25519PrivateKey
    valid_from: int
    valid_until: int

    def info(self) -> KeyInfo:
        """The public half as the keyring lists it."""
        return KeyInfo(self.private_key.public_key(), self.valid_from, self.valid_until)


def generate_signing_key(key_id: str, *, valid_from: int, valid_until: int) -> SigningKey:
    """A new Ed25519 signing key valid over ``[valid_from, valid_until)`` (epoch seconds).

    Raises
    ------
    InvalidInput
        If the key id is not an id or the validity is empty.
    """
    check_id("key_id", key_id)
    if valid_from >= valid_until:
        raise InvalidInput("鍵の有効期間が正しくありません", "key validity ends before it starts")
    return SigningKey(key_id, Ed25519PrivateKey.generate(), valid_from, valid_until)


def new_code_key() -> bytes:
    """A new 32-byte secret for short codes (kept by the server only, never by the apps)."""
    return os.urandom(32)


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key as unpadded base64url (what the driver app imports)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64url_encode(raw)


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from unpadded base64url of its 32 raw bytes."""
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise InvalidInput("公開鍵の長さが正しくありません", "an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_to_b64(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte private key (seed) as unpadded base64url, e.g. for a secret store."""
    return b64url_encode(
        key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    )


def private_key_from_b64(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from unpadded base64url of its 32-byte seed."""
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise InvalidInput("秘密鍵の長さが正しくありません", "an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM of a private key, encrypted with ``password`` when given."""
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def private_key_from_pem(data: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in PKCS#8 PEM ``data``; other key types are refused."""
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError):
        raise InvalidInput("秘密鍵を読めません", "cannot read the private key PEM") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("Ed25519 の鍵ではありません", "not an Ed25519 private key")
    return key


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of a public key."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(data: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in PEM ``data``; other key types are refused."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise InvalidInput("公開鍵を読めません", "cannot read the public key PEM") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput("Ed25519 の鍵ではありません", "not an Ed25519 public key")
    return key


def keyring_to_json(service_id: str, keys: Mapping[str, KeyInfo]) -> dict[str, Any]:
    """The public keyring as JSON-ready data for the driver app (times in epoch seconds)."""
    return {
        "service_id": service_id,
        "keys": [
            {
                "kid": kid,
                "alg": "Ed25519",
                "public_key": public_key_to_b64(info.public_key),
                "valid_from": info.valid_from,
                "valid_until": info.valid_until,
            }
            for kid, info in keys.items()
        ],
    }


def keyring_from_json(data: Mapping[str, Any]) -> dict[str, KeyInfo]:
    """The keyring from :func:`keyring_to_json` data.

    Raises
    ------
    InvalidInput
        On a missing field, another algorithm, or a malformed key.
    """
    out: dict[str, KeyInfo] = {}
    try:
        for entry in data["keys"]:
            if entry["alg"] != "Ed25519":
                raise InvalidInput("未対応の鍵です", f"unsupported key algorithm {entry['alg']}")
            out[str(entry["kid"])] = KeyInfo(
                public_key_from_b64(entry["public_key"]),
                int(entry["valid_from"]),
                int(entry["valid_until"]),
            )
    except (KeyError, TypeError) as exc:
        raise InvalidInput("鍵束の形式が正しくありません", f"malformed keyring: {exc}") from None
    return out


# --- the deployment's key texts ---------------------------------------------------------------

_PEM_RE = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.S)


def parse_private_keys(text: str) -> list[Ed25519PrivateKey]:
    """The Ed25519 private keys in ``NORIAI_TICKET_KEY`` text.

    Parameters
    ----------
    text
        PKCS#8 PEM blocks and/or base64url (or standard base64) 32-byte seeds, separated by
        whitespace or commas; a literal ``\\n`` counts as a line break (one-line env files).

    Raises
    ------
    InvalidInput
        If any part is not an Ed25519 private key.
    """
    text = text.replace("\\n", "\n")
    keys = [private_key_from_pem(m.group(0).encode()) for m in _PEM_RE.finditer(text)]
    rest = _PEM_RE.sub(" ", text)
    for part in re.split(r"[\s,]+", rest.strip()):
        if part:
            keys.append(private_key_from_b64(_urlsafe(part)))
    return keys


def parse_code_key(text: str) -> bytes:
    """The 32-byte short-code secret from base64 (standard or url-safe, padded or not).

    Raises
    ------
    InvalidInput
        If the text is not base64 of exactly 32 bytes.
    """
    try:
        raw = b64url_decode(_urlsafe(text.strip()))
    except InvalidInput:
        raise InvalidInput("番号用の鍵を読めません", "the code key is not base64") from None
    if len(raw) != 32:
        raise InvalidInput("番号用の鍵は32バイトです", "the code key must be 32 bytes")
    return raw


def _urlsafe(text: str) -> str:
    """Standard base64 ``text`` as unpadded base64url (base64url text is left as it is)."""
    return text.replace("+", "-").replace("/", "_").rstrip("=")


def key_id_of(public_b64: str) -> str:
    """A key id derived from a public key (``k`` + 10 hex digits of its SHA-256)."""
    return "k" + hashlib.sha256(public_b64.encode("ascii")).hexdigest()[:10]
