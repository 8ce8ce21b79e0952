"""The driver app's change notices (driver_app/static/changes.js) in headless Chromium: only
real changes are announced, with what changed, and stops that left are handed back to be
explained (moved or cancelled) rather than called cancellations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tickets.test_ticket_api_browser import page  # noqa: F401 (the static app page)

pytestmark = pytest.mark.browser

DIFF = """
async ([before, after, acted]) => {
  localStorage.setItem("noriai.driver.lang", "ja");
  const { diff } = await import("./changes.js");
  return diff(before, after, acted);
}
"""


def stop(booking: str, kind: str, where: str, eta: str, window: tuple[str, str] | None = None,
         name: str = "山田 花子") -> dict[str, Any]:
    """A manifest stop at a stop id with an ETA (HH:MM of the test day)."""
    item: dict[str, Any] = {"booking_id": booking, "kind": kind, "stop_id": where,
                            "name_ja": where, "name_en": where, "rider_name": name,
                            "eta": f"2027-01-13T{eta}:00+09:00"}
    if window:
        item["window"] = [f"2027-01-13T{w}:00+09:00" for w in window]
    return item


def manifest(*stops: dict[str, Any], onboard: tuple[str, ...] = ()) -> dict[str, Any]:
    """A manifest of these stops."""
    return {"vehicle_id": "v1", "day": "2027-01-13", "stops": list(stops), "onboard": list(onboard)}


A_UP = stop("a", "pickup", "本村", "09:31", ("09:30", "09:40"))
A_DOWN = stop("a", "dropoff", "病院", "09:50")
B_UP = stop("b", "pickup", "上三郎", "10:31", ("10:30", "10:40"), name="佐藤 一郎")
B_DOWN = stop("b", "dropoff", "駅", "10:50", name="佐藤 一郎")


def test_a_reorder_that_changes_no_time_is_not_announced(page):  # noqa: F811
    """Two later stops swap places with their times unchanged: nothing to announce."""
    before = manifest(A_UP, A_DOWN, B_UP, B_DOWN)
    after = manifest(A_UP, B_UP, A_DOWN, B_DOWN)
    assert page.evaluate(DIFF, [before, after, {}]) is None


def test_real_changes_say_what_changed(page):  # noqa: F811
    """A stop moved with a new time says old → new; a new window says both windows; the next
    stop changing says which; none says "HH:MM → HH:MM" with the same time."""
    later = {**A_DOWN, "eta": "2027-01-13T10:05:00+09:00"}
    moved = page.evaluate(DIFF, [manifest(A_UP, A_DOWN, B_UP), manifest(A_UP, B_UP, later), {}])
    assert moved["lines"] == ["予定の変更: 病院 山田 花子 様 09:50 → 10:05"]
    window = {**B_UP, "window": ["2027-01-13T10:35:00+09:00", "2027-01-13T10:45:00+09:00"]}
    changed = page.evaluate(DIFF, [manifest(A_UP, B_UP), manifest(A_UP, window), {}])
    assert changed["lines"] == ["迎えの時間帯の変更: 上三郎 佐藤 一郎 様 10:30–10:40 → 10:35–10:45"]
    first = page.evaluate(DIFF, [manifest(A_UP, B_UP), manifest(B_UP, A_UP), {}])
    assert first["lines"][0] == "次の乗り場の変更: 上三郎 10:31"
    for line in first["lines"] + moved["lines"] + changed["lines"]:
        parts = line.split(" → ")
        assert len(parts) == 1 or parts[0][-5:] != parts[1][:5], line


def test_stops_that_left_are_handed_back_not_called_cancelled(page):  # noqa: F811
    """A booking that left the manifest is returned once (its pickup) to be explained; the
    driver's own actions and riders now on board are not; a new stop is announced as new."""
    out = page.evaluate(DIFF, [manifest(A_UP, A_DOWN, B_UP, B_DOWN), manifest(B_UP, B_DOWN), {}])
    assert [g["booking_id"] for g in out["gone"]] == ["a"] and out["lines"] == []
    assert all("取り消し" not in line for line in out["lines"])
    mine = page.evaluate(DIFF, [manifest(A_UP, A_DOWN, B_UP), manifest(A_DOWN, B_UP),
                                {"a": {"type": "boarded"}}])
    assert mine is None
    aboard = page.evaluate(DIFF, [manifest(A_UP, A_DOWN), manifest(A_DOWN, onboard=("a",)), {}])
    assert aboard is None
    new = page.evaluate(DIFF, [manifest(A_UP), manifest(A_UP, B_UP), {}])
    assert new["kind"] == "new" and new["lines"] == ["新しい予定: 10:31 上三郎 乗車 佐藤 一郎 様"]
