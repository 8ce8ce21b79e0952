"""The API's tickets in the driver app's verifier (ticket-verify.js) and the QR SVG in Chromium.

A ticket and the driver's sync come from a real app (SQLite); the browser gets nothing else.
The QR's SVG, as the rider app will inline it, is rendered by Chromium and read back module by
module against the QR matrix of the ticket text.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from dispatcher import tickets
from dispatcher.units import at_local
from tests.api.conftest import DAY, driver, make_client, register, trip
from tests.api.conftest import TestClock as ApiClock

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "driver_app" / "static"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

JS_VERIFY = """
async ([sync, cases]) => {
  const tv = window.ticketVerify;
  const keys = await tv.importKeyring(sync.keyring);
  const out = [];
  for (const c of cases) {
    const s = c.sync ?? sync;
    const v = await tv.verifyTicket(c.text, {
      keys, nowS: c.now_s, vehicleId: s.vehicle_id, serviceId: s.service_id,
      used: new Set(s.used), cancelled: new Set(s.cancelled), latestIssue: s.latest_issue,
      onManifest: new Set(s.on_manifest),
    });
    out.push([v.ok, v.reason]);
  }
  return out;
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture(scope="module")
def page(chromium_path: str) -> Iterator[Any]:
    """The verifier's test page in headless Chromium, served from 127.0.0.1."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(STATIC)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
            pg = browser.new_page()
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(f"http://127.0.0.1:{server.server_address[1]}/verify-test.html")
            pg.wait_for_function("window.ticketVerify !== undefined")
            yield pg
            assert not errors, errors
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, ApiClock]]:
    """A running app on SQLite with the test clock at 08:00."""
    clock = ApiClock(at_local(DAY, time(8, 0)))
    with make_client(f"sqlite:///{tmp_path / 'noriai.db'}", tmp_path, clock) as c:
        yield c, clock


def _book(c: TestClient, rider: dict[str, str], at: time) -> tuple[dict, dict]:
    offer = c.post("/api/v1/offers", json=trip(at=at), headers=rider).json()["offers"][0]
    b = c.post("/api/v1/bookings", json={"offer_id": offer["id"]}, headers=rider).json()
    return b, c.get(f"/api/v1/bookings/{b['id']}/ticket", headers=rider).json()


def test_browser_verifier_agrees_with_the_api(page, app):
    """The API's ticket verifies in the browser with the synced keyring; a tampered byte, a
    ticket outside its window, a replayed (checked-in), a cancelled and a superseded ticket
    are refused there with the reasons the Python verifier and the server's check-in give."""
    c, clock = app
    rider = register(c, "090-1111-2222")
    ops = c.post("/api/v1/auth/login", json={"login": "operator", "password": "operator-test"})
    operator = {"Authorization": f"Bearer {ops.json()['access_token']}"}
    good, tg = _book(c, rider, time(10, 0))
    used, tu = _book(c, rider, time(10, 0))
    gone, tc = _book(c, rider, time(10, 10))
    old, to = _book(c, rider, time(10, 20))
    assert c.post(f"/api/v1/bookings/{gone['id']}/cancel", headers=rider).status_code == 200
    assert c.post(f"/api/v1/operator/bookings/{old['id']}/ticket/reissue",
                  headers=operator).status_code == 200
    clock.t = int(datetime.fromisoformat(good["pickup_window"][0]).timestamp())
    d_used = driver(c, used["vehicle_id"])
    assert c.post("/api/v1/driver/checkin", json={"ticket": tu["text"]},
                  headers=d_used).status_code == 200
    d = driver(c, good["vehicle_id"])
    synced = c.get("/api/v1/driver/sync", headers=d).json()
    signed = bytearray(tickets.b45decode(tg["text"][len(tickets.SCHEME):]))
    signed[40] ^= 0x04
    tampered = tickets.SCHEME + tickets.b45encode(bytes(signed))
    end = int(datetime.fromisoformat(tg["valid_until"]).timestamp())
    now = synced["now_s"]
    cases = [(tg["text"], now, "ok"), (tampered, now, "bad_signature"),
             (tg["text"], end, "expired"), (tu["text"], now, "already_used"),
             (tc["text"], now, "cancelled"), (to["text"], now, "superseded")]
    js = page.evaluate(JS_VERIFY, [synced, [{"text": t, "now_s": n} for t, n, _ in cases]])
    ring = tickets.keyring_from_json(synced["keyring"])
    for (text, at, reason), (ok, js_reason) in zip(cases, js, strict=True):
        py = tickets.verify(text, keys=ring, now_s=at, vehicle_id=synced["vehicle_id"],
                            service_id=synced["service_id"], used=set(synced["used"]),
                            cancelled=set(synced["cancelled"]),
                            latest_issue=synced["latest_issue"],
                            on_manifest=set(synced["on_manifest"]))
        assert (js_reason, ok) == (reason, reason == "ok") == (str(py.reason), py.ok)
    # The server's check-in agrees on the refusals it can see from any vehicle.
    for text, reason in ((tampered, "bad_signature"), (tc["text"], "cancelled"),
                         (to["text"], "superseded")):
        r = c.post("/api/v1/driver/checkin", json={"ticket": text}, headers=d)
        assert (r.status_code, r.json()["reason"]) == (409, reason)
    codes = page.evaluate(
        """async ([sync, code]) => (await window.ticketVerify.verifyCode(code, {
             manifest: sync.manifest_codes, serviceId: sync.service_id,
             used: sync.used, cancelled: sync.cancelled})).bookingId""",
        [synced, tg["code"]])
    assert codes == good["id"]


def dark(im: Image.Image, row: int, col: int, s: int) -> bool:
    """Whether the centre of QR module (row, col) is dark in an image at ``s`` px per module."""
    return im.getpixel(((col + 4) * s + s // 2, (row + 4) * s + s // 2)) < 128


@pytest.mark.parametrize(("page_css", "scale", "name"), [
    ("body{margin:0;background:#fff}", 4, "ticket_qr_svg.png"),
    ("body{margin:0;background:#111}div{width:488px}svg{width:100%;height:auto}", 8,
     "ticket_qr_svg_dark_resized.png"),
])
def test_ticket_svg_renders_the_exact_qr(page, app, artifacts_dir, page_css, scale, name):
    """The ticket's inline SVG, rendered by Chromium as the rider app would show it (as is on a
    light page, and resized by CSS on a dark page), has every module of the ticket text's QR
    symbol where segno puts it, on an opaque white square with its quiet zone; the PNG
    endpoint gives the same symbol."""
    c, _ = app
    rider = register(c, "090-1111-2222")
    b, t = _book(c, rider, time(10, 0))
    page.set_content(f"<html><head><style>{page_css}</style></head>"
                     f"<body><div>{t['svg']}</div></body></html>")
    box = page.locator("svg").bounding_box()
    shot = artifacts_dir / name
    page.screenshot(path=str(shot), clip=box)
    matrix = tickets.qr_code(t["text"]).matrix
    n = len(matrix)
    img = Image.open(shot).convert("L")
    assert img.size == ((n + 8) * scale, (n + 8) * scale)
    assert [[dark(img, r, k, scale) for k in range(n)] for r in range(n)] == [
        [bool(v) for v in row] for row in matrix]
    assert all(img.getpixel((x, 2)) > 200 for x in range(img.size[0]))  # quiet zone is white
    png_path = artifacts_dir / "ticket_qr.png"
    png_path.write_bytes(c.get(f"/api/v1/bookings/{b['id']}/ticket.png?scale=6",
                               headers=rider).content)
    png = Image.open(png_path).convert("L")
    assert [[dark(png, r, k, 6) for k in range(n)] for r in range(n)] == [
        [bool(v) for v in row] for row in matrix]
