"""The LINE webhook signature: base64 of HMAC-SHA256 of the raw request body with the channel secret.

LINE sends it in the ``X-Line-Signature`` header; a request whose header is missing or differs
must be refused before anything in it is read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(body: bytes, channel_secret: str) -> str:
    """Return the signature LINE puts in ``X-Line-Signature`` for ``body``.

    Parameters
    ----------
    body
        The raw request body, byte for byte as sent.
    channel_secret
        The channel secret of the LINE Messaging API channel.

    Returns
    -------
    str
        Base64 (standard alphabet, padded) of the HMAC-SHA256 digest.
    """
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(body: bytes, channel_secret: str, signature: str | None) -> bool:
    """Whether ``signature`` is LINE's signature of ``body`` (constant-time comparison).

    An empty channel secret or a missing signature never verifies.
    """
    if not channel_secret or not signature:
        return False
    return hmac.compare_digest(sign(body, channel_secret).encode("ascii"),
                               signature.strip().encode("ascii", "replace"))
