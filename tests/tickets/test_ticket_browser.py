"""The driver app's JS verifier (driver_app/static/ticket-verify.js) in headless Chromium.

It must agree with the Python verifier case by case: same acceptance, same refusal reasons,
same messages, same short-code hashes. The page is served from 127.0.0.1 (a secure context,
which WebCrypto needs); nothing outside the machine is contacted.
"""

from __future__ import annotations

import functools
import http.server
import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ticketdata import DAY, NOW, fixed_key, mutants

from dispatcher.tickets import (
    CODE_HASH_ITERATIONS,
    MESSAGES,
    SCHEME,
    Reason,
    b45decode,
    b45encode,
    code_hash,
    keyring_to_json,
    manifest_code,
    short_code,
    sign_ticket,
    verify,
    verify_code,
)

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "driver_app" / "static"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

JS_VERIFY_ALL = """
async ([ring, cases]) => {
  const tv = window.ticketVerify;
  const keys = await tv.importKeyring(ring);
  const out = [];
  for (const c of cases) {
    const o = c.opts;
    const v = await tv.verifyTicket(c.text, {
      keys, nowS: o.now_s, vehicleId: o.vehicle_id ?? null, serviceId: o.service_id ?? null,
      used: new Set(o.used ?? []), cancelled: new Set(o.cancelled ?? []),
      latestIssue: o.latest_issue ?? {}, onManifest: new Set(o.on_manifest ?? []),
      vehicleOf: o.vehicle_of, serviceDay: o.service_day ?? null, dayOf: o.day_of ?? {},
      onboard: new Set(o.onboard ?? []),
      boardingHere: o.boarding_here === undefined ? null : new Set(o.boarding_here),
    });
    out.push([v.ok, v.reason, v.ticket ? v.ticket.booking_id : null, v.message.ja, v.message.en]);
  }
  return out;
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture(scope="module")
def page(chromium_path: str) -> Iterator[Any]:
    """The verifier's test page in headless Chromium, served from 127.0.0.1 on a free port,
    with the browser's clock fixed at NOW."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    handler = functools.partial(_QuietHandler, directory=str(STATIC))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
            pg = browser.new_page()
            pg.clock.set_fixed_time(NOW)  # seconds in the Python API
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


def run_both(page: Any, keys: dict, cases: list[tuple[str, dict]]) -> list[tuple[Any, list]]:
    """Verify each (text, options) in Python and in the browser; return both outcomes."""
    ring = keyring_to_json("mitsugi", keys)
    js = page.evaluate(JS_VERIFY_ALL, [ring, [{"text": t, "opts": o} for t, o in cases]])
    py = [
        verify(
            t,
            keys=keys,
            now_s=o["now_s"],
            vehicle_id=o.get("vehicle_id"),
            service_id=o.get("service_id"),
            used=set(o.get("used", [])),
            cancelled=set(o.get("cancelled", [])),
            latest_issue=o.get("latest_issue", {}),
            on_manifest=set(o.get("on_manifest", [])),
            vehicle_of=o.get("vehicle_of"),
            service_day=o.get("service_day"),
            day_of=o.get("day_of"),
            onboard=set(o.get("onboard", [])),
            boarding_here=None if "boarding_here" not in o else set(o["boarding_here"]),
        )
        for t, o in cases
    ]
    return list(zip(py, js, strict=True))


def test_js_and_python_agree_on_every_named_case(page, key, make_ticket):
    """A valid ticket verifies in the browser, and another key, an unknown key, expiry, replay,
    cancellation, a superseded issue, the wrong vehicle or service and key rotation are refused
    there with the same reason and messages as in Python."""
    old = fixed_key("k-old", valid_from=NOW - 60 * DAY, valid_until=NOW + DAY)
    soon = fixed_key("k-soon", valid_from=NOW + DAY, valid_until=NOW + 90 * DAY)
    keys = {key.key_id: key.info(), "k-old": old.info(), "k-soon": soon.info()}
    impostor = type(key)(key.key_id, fixed_key("evil", valid_from=0, valid_until=2**32).private_key,
                         key.valid_from, key.valid_until)  # fmt: skip
    stranger = fixed_key("k-stranger", valid_from=0, valid_until=2**32)
    good = sign_ticket(make_ticket(), key, now_s=NOW)
    by_old = sign_ticket(make_ticket(not_after_s=NOW + DAY), old, now_s=NOW - DAY)
    by_soon = sign_ticket(make_ticket(not_before_s=NOW, not_after_s=NOW + 2 * DAY),
                          soon, now_s=NOW + DAY)  # fmt: skip
    b = "B7K3M9Q2XZ"
    at = {"now_s": NOW + 60}
    cases = [
        (good, at | {"vehicle_id": "v1", "service_id": "mitsugi"}, Reason.OK),
        (sign_ticket(make_ticket(rider_initial="山"), key, now_s=NOW), at, Reason.OK),
        (sign_ticket(make_ticket(), impostor, now_s=NOW), at, Reason.BAD_SIGNATURE),
        (sign_ticket(make_ticket(), stranger, now_s=NOW), at, Reason.UNKNOWN_KEY),
        (good, {"now_s": NOW + 4 * 3600}, Reason.EXPIRED),
        (good, {"now_s": NOW - 3601}, Reason.NOT_YET_VALID),
        (good, at | {"used": [b]}, Reason.ALREADY_USED),
        (good, at | {"cancelled": [b]}, Reason.CANCELLED),
        (good, at | {"latest_issue": {b: 1}}, Reason.SUPERSEDED),
        (good, at | {"latest_issue": {b: 0, "constructor": 9}}, Reason.OK),
        (good, at | {"vehicle_id": "v2"}, Reason.WRONG_VEHICLE),
        (good, at | {"vehicle_id": "v2", "on_manifest": [b]}, Reason.OK),
        (good, at | {"service_id": "elsewhere"}, Reason.WRONG_SERVICE),
        (by_old, at, Reason.OK),
        (by_old, {"now_s": NOW + DAY}, Reason.KEY_EXPIRED),
        (by_soon, {"now_s": NOW + DAY - 1}, Reason.KEY_NOT_YET_VALID),
        (by_soon, {"now_s": NOW + DAY}, Reason.OK),
        (good[:-3], at, Reason.BAD_FORMAT),
        ("hello", at, Reason.BAD_FORMAT),
        # where the booking is now, its day, who is on board, who boards here (issues 15, 16)
        (good, at | {"vehicle_id": "v1", "vehicle_of": {b: "v2"}}, Reason.WRONG_VEHICLE),
        (good, at | {"vehicle_id": "v2", "vehicle_of": {b: "v2"}}, Reason.OK),
        (good, at | {"vehicle_id": "v1", "vehicle_of": {"other": "v2"}}, Reason.OK),
        (good, at | {"service_day": "2027-01-15", "day_of": {b: "2027-01-16"}},
         Reason.WRONG_DAY),
        (good, at | {"service_day": "2027-01-15", "day_of": {b: "2027-01-15"}}, Reason.OK),
        (good, at | {"onboard": [b], "used": [b]}, Reason.ALREADY_ONBOARD),
        (good, at | {"onboard": [b], "cancelled": [b]}, Reason.CANCELLED),
        (good, at | {"boarding_here": []}, Reason.OTHER_STOP),
        (good, at | {"boarding_here": [b]}, Reason.OK),
        (good, at | {"boarding_here": [], "vehicle_id": "v1", "vehicle_of": {b: "v3"}},
         Reason.WRONG_VEHICLE),
        (good, {"now_s": NOW - 3601, "service_day": "2027-01-15", "day_of": {b: "2027-01-16"}},
         Reason.WRONG_DAY),
    ]
    results = run_both(page, keys, [(t, o) for t, o, _ in cases])
    for (py, js), (_, _, expected) in zip(results, cases, strict=True):
        assert py.reason is expected
        ok, reason, booking, ja, en = js
        assert (ok, reason) == (py.ok, str(expected))
        assert (ja, en) == (py.message_ja, py.message_en)
        assert booking == (py.ticket.booking_id if py.ticket else None)


def test_js_refuses_every_single_byte_tamper(page, key, make_ticket):
    """Each byte of the signed bytes changed (two ways) is refused by the JS verifier, with the
    reason Python gives."""
    text = sign_ticket(make_ticket(), key, now_s=NOW)
    signed = b45decode(text[len(SCHEME) :])
    cases = []
    for i in range(len(signed)):
        for flip in (0x01, 0xFF):
            data = bytearray(signed)
            data[i] ^= flip
            cases.append((SCHEME + b45encode(bytes(data)), {"now_s": NOW}))
    results = run_both(page, {key.key_id: key.info()}, cases)
    assert len(results) == 2 * len(signed) > 250
    for py, js in results:
        assert not py.ok and js[0] is False
        assert js[1] == str(py.reason)


def test_js_refuses_fuzzed_tickets(page, key, make_ticket, base_ticket):
    """500 seeded mutants (bit flips, truncations, insertions, swaps, random strings, wrong
    prefixes, altered fields under a genuine signature): none accepted in the browser, and
    each refused for the same reason as in Python."""
    text = sign_ticket(base_ticket, key, now_s=NOW)
    signed = b45decode(text[len(SCHEME) :])
    cands = mutants(text, signed, base_ticket, key, random.Random(6), 500)
    results = run_both(page, {key.key_id: key.info()}, [(c, {"now_s": NOW}) for c in cands])
    assert len(results) == 500
    for (py, js), cand in zip(results, cands, strict=True):
        assert js[0] is False, cand
        assert js[1] == str(py.reason), cand


def test_js_short_codes_match_python(page):
    """The browser reads typed codes as Python does and finds bookings in the manifest by the
    same hashes: valid, lower-case, unknown, mistyped, used and cancelled."""
    code_key = bytes(range(32))
    manifest = [
        manifest_code(code_key, service_id="mitsugi", booking_id=f"B{i}", issue=1) for i in range(8)
    ]
    good = short_code(code_key, service_id="mitsugi", booking_id="B3", issue=1)
    stale = short_code(code_key, service_id="mitsugi", booking_id="B3", issue=0)
    typo = good[:2] + ("0" if good[2] != "0" else "1") + good[3:]
    js = page.evaluate(
        """async ([manifest, good, stale, typo]) => {
          const tv = window.ticketVerify;
          const o = {manifest, serviceId: "mitsugi"};
          const r = async (t, extra = {}) => (await tv.verifyCode(t, {...o, ...extra}));
          return {
            hash: await tv.codeHash(tv.normalizeCode(good), "mitsugi", "B3"),
            iterations: tv.CODE_HASH_ITERATIONS,
            good: await r(good), lower: await r(good.toLowerCase()), stale: await r(stale),
            typo: await r(typo), used: await r(good, {used: new Set(["B3"])}),
            cancelled: await r(good, {cancelled: ["B3"]}),
            onboard: await r(good, {onboard: ["B3"], used: ["B3"]}),
            day: await r(good, {serviceDay: "2027-01-15", dayOf: {B3: "2027-01-16"}}),
            moved: await r(good, {vehicleId: "v1", vehicleOf: {B3: "v2"}}),
            here: await r(good, {boardingHere: ["B3"]}),
            elsewhere: await r(good, {boardingHere: ["B1"]}),
          };
        }""",
        [[m.as_json() for m in manifest], good, stale, typo],
    )
    assert js["hash"] == code_hash(good, service_id="mitsugi", booking_id="B3")
    assert js["iterations"] == CODE_HASH_ITERATIONS
    assert (js["good"]["ok"], js["good"]["bookingId"]) == (True, "B3")
    assert js["lower"]["ok"] is True
    assert js["stale"]["reason"] == "unknown_code"
    assert js["typo"]["reason"] == "bad_code"
    assert (js["used"]["reason"], js["cancelled"]["reason"]) == ("already_used", "cancelled")
    m = {e.booking_id: e for e in manifest}.values()
    for name, opts in (("onboard", {"onboard": {"B3"}, "used": {"B3"}}),
                       ("day", {"service_day": "2027-01-15", "day_of": {"B3": "2027-01-16"}}),
                       ("moved", {"vehicle_id": "v1", "vehicle_of": {"B3": "v2"}}),
                       ("here", {"boarding_here": {"B3"}}),
                       ("elsewhere", {"boarding_here": {"B1"}})):
        py = verify_code(good, manifest=m, service_id="mitsugi", **opts)
        assert (js[name]["ok"], js[name]["reason"]) == (py.ok, str(py.reason)), name
    assert [js[n]["reason"] for n in ("onboard", "day", "moved", "here", "elsewhere")] == [
        "already_onboard", "wrong_day", "wrong_vehicle", "ok", "other_stop"]


def test_js_messages_equal_python(page):
    """Both verifiers show the driver the same Japanese and English message for each reason."""
    js = page.evaluate("() => window.ticketVerify.MESSAGES")
    assert js == {str(r): {"ja": ja, "en": en} for r, (ja, en) in MESSAGES.items()}


def test_test_page_checks_a_pasted_ticket(page, key, make_ticket):
    """The manual test page verifies a pasted ticket at the browser's (fixed) clock and shows
    the verdict in both languages."""
    ring = keyring_to_json("mitsugi", {key.key_id: key.info()})
    page.fill("#keyring", json.dumps(ring))
    page.fill("#ticket", sign_ticket(make_ticket(), key, now_s=NOW))
    page.fill("#vehicle", "v1")
    page.click("#check")
    page.wait_for_function("document.getElementById('verdict').dataset.reason !== ''")
    assert page.get_attribute("#verdict", "data-reason") == "ok"
    assert "有効な乗車券です" in page.inner_text("#verdict")
    page.fill("#vehicle", "v2")
    page.click("#check")
    page.wait_for_function("document.getElementById('verdict').dataset.reason !== 'ok'")
    assert page.get_attribute("#verdict", "data-reason") == "wrong_vehicle"
