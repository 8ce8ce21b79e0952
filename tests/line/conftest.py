"""LINE fixtures: a local stub of the Messaging API that captures replies, and the app configured
with a channel secret and the stub's base URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatcher.api.app import create_app
from dispatcher.settings import Settings
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock

SECRET = "3f1c0b6a9d2e4f5a8b7c6d5e4f3a2b1c"
TOKEN = "test-channel-access-token"


def line_signature(raw: bytes, secret: str) -> str:
    """X-Line-Signature as LINE computes it (written out here, independent of the code under test):
    base64 of the HMAC-SHA256 digest of the raw body, keyed with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()


class LineStub:
    """A local HTTP server standing in for api.line.me; keeps every request it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(size)
                stub.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": json.loads(body or b"{}")})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def texts(self) -> list[str]:
        """Text of every message replied so far, in order."""
        return [m["text"] for r in self.requests for m in r["body"]["messages"]]


@pytest.fixture(scope="module")
def line_stub() -> Iterator[LineStub]:
    """The stub Messaging API, running for a test module."""
    stub = LineStub()
    stub.thread.start()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        stub.server.server_close()


@pytest.fixture(autouse=True)
def _fresh_stub(line_stub: LineStub) -> None:
    """Each test sees only its own replies."""
    line_stub.requests.clear()


@pytest.fixture(scope="module")
def line_clock() -> TestClock:
    """Now = 08:00 on the test day."""
    return TestClock(at_local(DAY, time(8, 0)))


@pytest.fixture(scope="module")
def line_app(tmp_path_factory, line_stub, line_clock) -> Iterator[TestClient]:
    """The API on a fresh SQLite file (one per module: tests use distinct LINE users), with a
    LINE channel whose replies go to the stub."""
    tmp_path = tmp_path_factory.mktemp("line")
    settings = Settings(db=f"sqlite:///{tmp_path / 'noriai.db'}", data_dir=tmp_path,
                        reopt_interval_s=0, secret_key="t" * 40, operator_password="operator-test",
                        driver_password="driver-test", line_channel_secret=SECRET,
                        line_access_token=TOKEN, line_api_base=line_stub.url)
    with TestClient(create_app(settings, clock=line_clock, background=False)) as c:
        yield c


class LineUser:
    """Sends webhook calls as LINE would for one user (body signed with the channel secret)."""

    def __init__(self, client: TestClient, user_id: str, prefix: str = "") -> None:
        self.client = client
        self.user_id = user_id
        self.prefix = prefix  # the service area's ("/a/<area>"), or the root's
        self.n = 0

    def event(self, kind: str = "message", text: str | None = None) -> dict[str, Any]:
        """A webhook event of this user."""
        self.n += 1
        ev: dict[str, Any] = {"type": kind, "mode": "active", "timestamp": 1700000000000 + self.n,
                              "webhookEventId": f"01HTEST{self.user_id[-6:]}{self.n:06d}",
                              "deliveryContext": {"isRedelivery": False},
                              "source": {"type": "user", "userId": self.user_id},
                              "replyToken": f"rt-{self.n}"}
        if text is not None:
            ev["message"] = {"type": "text", "id": str(10_000 + self.n), "text": text}
        return ev

    def post(self, *events: dict[str, Any], secret: str = SECRET, signature: str | None = "sign"):
        """POST the events; ``signature=None`` leaves the header out."""
        raw = json.dumps({"destination": "Uchannel", "events": list(events)},
                         ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            headers["X-Line-Signature"] = line_signature(raw, secret)
        elif signature is not None:
            headers["X-Line-Signature"] = signature
        return self.client.post(f"{self.prefix}/api/v1/line/webhook", content=raw,
                                headers=headers)

    def say(self, text: str):
        """Send one text message."""
        r = self.post(self.event(text=text))
        assert r.status_code == 200, r.text
        return r
