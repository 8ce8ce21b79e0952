"""Outgoing LINE messages: the reply and push endpoints of the Messaging API, at a configurable
base URL."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger("noriai.line")

#: LINE accepts at most five message objects per reply.
MAX_MESSAGES = 5


def text_message(text: str, quick: list[str] | None = None) -> dict[str, Any]:
    """A LINE text message, with quick-reply buttons that send their label when tapped."""
    msg: dict[str, Any] = {"type": "text", "text": text[:5000]}
    if quick:
        msg["quickReply"] = {"items": [
            {"type": "action", "action": {"type": "message", "label": q[:20], "text": q}}
            for q in quick[:13]
        ]}
    return msg


class ReplyClient:
    """Sends replies (``POST {base}/v2/bot/message/reply``) and pushes (``.../push``) with the
    channel access token.

    Parameters
    ----------
    base_url
        The API base (``https://api.line.me`` in production; a local stub in tests).
    access_token
        The channel access token (sent as a bearer token).
    timeout_s
        Seconds before a reply is given up.
    """

    def __init__(self, base_url: str, access_token: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.timeout_s = timeout_s

    def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> bool:
        """Send up to five messages as the reply to an event; False (logged) if it failed."""
        body = {"replyToken": reply_token, "messages": messages[:MAX_MESSAGES]}
        return self._post("reply", body)

    def push(self, to: str, messages: list[dict[str, Any]]) -> bool:
        """Send up to five messages to a LINE user unprompted (``POST /v2/bot/message/push``);
        False (logged) if it failed."""
        return self._post("push", {"to": to, "messages": messages[:MAX_MESSAGES]})

    def _post(self, what: str, body: dict[str, Any]) -> bool:
        try:
            r = httpx.post(f"{self.base_url}/v2/bot/message/{what}", json=body,
                           headers={"Authorization": f"Bearer {self.access_token}"},
                           timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            log.warning("LINE %s failed: %s", what, exc)
            return False
        if r.status_code >= 300:
            log.warning("LINE %s refused: %s %s", what, r.status_code, r.text[:200])
            return False
        return True
