"""Issue 16: the driver's offline check accepted the ticket of a booking that had moved to
another vehicle, while the server refused it (``wrong_vehicle``).

The ticket names the vehicle the booking was on when it was issued. After the operator (or
the optimizer) moves the booking, the old vehicle's app must refuse it offline as the server
does: the sync tells the app which vehicle each booking is on now. Checked with the Python
verifier fed exactly what the app receives, and with the app's own module (tickets.js) in
headless Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from dispatcher import tickets
from dispatcher.units import at_local
from tests.api.conftest import DAY, TestClock, driver, login, make_client, register, trip
from tests.tickets.test_ticket_api_browser import page  # noqa: F401 (the verifier page fixture)


@pytest.fixture
def moved(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A booking whose ticket was issued on one vehicle, then moved to another; the clock in
    its pickup window; both drivers' syncs."""
    clock = TestClock(at_local(DAY, time(8, 0)))
    with make_client(f"sqlite:///{tmp_path / 'noriai.db'}", tmp_path, clock) as client:
        rider = register(client, "090-1616-0016")
        offer = client.post("/api/v1/offers", json=trip(), headers=rider).json()["offers"][0]
        booking = client.post("/api/v1/bookings", json={"offer_id": offer["id"]},
                              headers=rider).json()
        ticket = client.get(f"/api/v1/bookings/{booking['id']}/ticket", headers=rider).json()
        before = booking["vehicle_id"]
        after = "mitsugi-2" if before != "mitsugi-2" else "mitsugi-1"
        operator = login(client, login="operator", password="operator-test")
        r = client.post(f"/api/v1/operator/bookings/{booking['id']}/move",
                        json={"vehicle_id": after}, headers=operator)
        assert r.status_code == 200, r.text
        clock.t = int(datetime.fromisoformat(booking["pickup_window"][0]).timestamp())
        old, new = driver(client, before), driver(client, after)
        yield {"client": client, "booking": booking, "text": ticket["text"], "now_s": clock.t,
               "old": old, "new": new, "before": before, "after": after,
               "old_sync": client.get("/api/v1/driver/sync", headers=old).json(),
               "new_sync": client.get("/api/v1/driver/sync", headers=new).json()}


def offline(synced: dict[str, Any], text: str, now_s: int) -> tickets.Verdict:
    """The offline verdict from nothing but the synced data, as the app passes it."""
    return tickets.verify(
        text, keys=tickets.keyring_from_json(synced["keyring"]), now_s=now_s,
        vehicle_id=synced["vehicle_id"], service_id=synced["service_id"],
        used=set(synced["used"]), cancelled=set(synced["cancelled"]),
        latest_issue=synced["latest_issue"], on_manifest=set(synced["on_manifest"]),
        vehicle_of=synced.get("vehicle_of"), service_day=synced.get("service_day"),
        day_of=synced.get("day_of"), onboard=set(synced.get("onboard", ())))


def test_moved_booking_is_refused_offline_by_the_old_vehicle(moved):
    """The ticket names the old vehicle; the server refuses it there (wrong_vehicle), and so
    does the offline verifier from the old vehicle's sync; the new vehicle accepts it."""
    assert tickets.decode_text(moved["text"])[0].vehicle_id == moved["before"]
    r = moved["client"].post("/api/v1/driver/checkin", json={"ticket": moved["text"]},
                             headers=moved["old"])
    assert (r.status_code, r.json()["reason"]) == (409, "wrong_vehicle")
    assert moved["old_sync"]["vehicle_of"][moved["booking"]["id"]] == moved["after"]
    verdict = offline(moved["old_sync"], moved["text"], moved["now_s"])
    assert verdict.reason is tickets.Reason.WRONG_VEHICLE
    assert offline(moved["new_sync"], moved["text"], moved["now_s"]).ok


APP_VERIFY = """
async ([sync, text, now]) => {
  const { Tickets } = await import("./tickets.js");
  const t = new Tickets(null);
  t.data = sync;
  const v = await t.verify(text, now);
  return [v.ok, v.reason];
}
"""


@pytest.mark.browser
def test_moved_booking_is_refused_by_the_apps_offline_check(page, moved):  # noqa: F811
    """The driver app's own offline check (tickets.js with ticket-verify.js), given the old
    vehicle's sync, refuses the moved booking's ticket as the server does; given the new
    vehicle's sync it accepts it."""
    old = page.evaluate(APP_VERIFY, [moved["old_sync"], moved["text"], moved["now_s"]])
    assert old == [False, "wrong_vehicle"]
    new = page.evaluate(APP_VERIFY, [moved["new_sync"], moved["text"], moved["now_s"]])
    assert new == [True, "ok"]
