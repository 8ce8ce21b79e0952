"""Security headers on every response (an ASGI middleware, so streams pass through untouched).

The shipped web apps (``/rider/``, ``/driver/``) load only their own files: scripts and styles
from files (no inline code), map drawn as inline SVG by the scripts, tiles none (the roads come
from the API), QR codes as images from the API or blob URLs. So the policy allows ``'self'``
only, plus ``data:``/``blob:`` images. The interactive API pages (``/docs``, ``/redoc``, served
only when enabled) load FastAPI's UI from its CDN with an inline starter script and get a policy
that allows exactly that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
           "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; "
           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; "
            "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")


def security_headers(path: str, https: bool, hsts_max_age_s: int) -> list[tuple[bytes, bytes]]:
    """The headers for a response to ``path`` (pure)."""
    csp = DOCS_CSP if path.startswith(DOCS_PATHS) else APP_CSP
    out = [
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", b"camera=(self), geolocation=(self), microphone=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https and hsts_max_age_s > 0:
        out.append((b"strict-transport-security",
                    f"max-age={hsts_max_age_s}; includeSubDomains".encode()))
    return out


class SecurityHeaders:
    """Add :func:`security_headers` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, hsts_max_age_s: int) -> None:
        self.app = app
        self.hsts_max_age_s = hsts_max_age_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope.get("path", ""), scope.get("scheme") == "https",
                                 self.hsts_max_age_s)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
