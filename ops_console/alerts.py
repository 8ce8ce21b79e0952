"""The alerts panel's content (pure: event log records in, alerts out; no Streamlit).

Built on the event log's contract:

- ``promise_at_risk`` (booking, vehicle; ``data``: ``what`` pickup | dropoff | ride, ``level``
  late | at_risk, ``late_s``, ``expected_at`` and ``promised_by`` in epoch s) raises an alert for
  its booking; ``promise_recovered`` clears it.
- ``vehicle_late`` (vehicle; ``data.late_s``) raises an alert for the vehicle;
  ``vehicle_on_time`` clears it.
- ``no_show`` (booking) is listed for the rest of the day.

Only the latest state of each booking and vehicle counts. A promise alert also ends when the
booking has moved on (picked up, for a pickup; finished, cancelled or a no-show, for any), and
a no-show leaves the list if the booking is no longer one (undone). Newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ops_console.i18n import tr
from ops_console.tables import alert_detail, stop_name

#: Event types the panel reads.
ALERT_EVENTS = ("promise_at_risk", "promise_recovered", "vehicle_late", "vehicle_on_time",
                "no_show")
_CLEARS = {"promise_recovered": "promise_at_risk", "vehicle_on_time": "vehicle_late"}
_DONE = ("completed", "cancelled", "no_show")


@dataclass(frozen=True, slots=True)
class Alert:
    """One current alert as the panel shows it.

    ``level`` is ``late``, ``at_risk``, ``vehicle_late`` or ``no_show``; ``at`` the local time of
    the event (HH:MM), ``when`` the same as a datetime; ``who`` the rider's or the vehicle's name; ``where`` a stop's name;
    ``text`` the details in the chosen language.
    """

    level: str
    at: str
    when: datetime
    event_id: int
    booking_id: str | None
    vehicle_id: str | None
    who: str
    where: str
    vehicle: str
    text: str

    def label(self, lang: str = "ja") -> str:
        """The kind of alert in ``lang``."""
        key = {"late": "alert_late", "at_risk": "alert_at_risk",
               "vehicle_late": "alert_vehicle_late", "no_show": "alert_no_show"}[self.level]
        return tr(key, lang)


def current_alerts(events: Iterable[Mapping[str, Any]],
                   bookings: Mapping[str, Mapping[str, Any]],
                   vehicle_names: Mapping[str, str], stops: Mapping[str, Mapping[str, Any]],
                   tz: ZoneInfo, lang: str = "ja") -> list[Alert]:
    """The alerts standing now, newest first.

    Parameters
    ----------
    events
        Event log records (``id``, ``at`` ISO, ``type``, ``booking_id``, ``vehicle_id``,
        ``data``), any order; types other than :data:`ALERT_EVENTS` are ignored.
    bookings
        The day's bookings by id (``/operator/bookings``): rider names, stops, current status.
    vehicle_names
        Vehicle names by id.
    stops
        The stops by id.
    tz
        The service's time zone.
    lang
        ``ja`` or ``en``.
    """
    latest_booking: dict[str, Mapping[str, Any]] = {}
    latest_vehicle: dict[str, Mapping[str, Any]] = {}
    no_shows: list[Mapping[str, Any]] = []
    for e in sorted(events, key=lambda e: int(e["id"])):
        kind = e["type"]
        if kind in ("promise_at_risk", "promise_recovered") and e.get("booking_id"):
            latest_booking[e["booking_id"]] = e
        elif kind in ("vehicle_late", "vehicle_on_time") and e.get("vehicle_id"):
            latest_vehicle[e["vehicle_id"]] = e
        elif kind == "no_show" and e.get("booking_id"):
            no_shows.append(e)
    out: list[Alert] = []
    for bid, e in latest_booking.items():
        if e["type"] != "promise_at_risk":
            continue
        b = bookings.get(bid, {})
        data = e.get("data") or {}
        what = str(data.get("what", "pickup"))
        status = b.get("status")
        if status in _DONE or (what == "pickup" and status == "onboard"):
            continue
        stop = b.get("origin_stop_id") if what == "pickup" else b.get("destination_stop_id")
        vid = e.get("vehicle_id") or b.get("vehicle_id")
        out.append(_alert("late" if data.get("level") == "late" else "at_risk", e, b, vid,
                          stop_name(stop, stops, lang) if b else "", vehicle_names,
                          alert_detail(data, tz, lang)))
    for vid, e in latest_vehicle.items():
        if e["type"] != "vehicle_late":
            continue
        minutes = max(0, round(float((e.get("data") or {}).get("late_s", 0)) / 60))
        text = tr("alert_minutes", lang).format(m=minutes)
        out.append(Alert("vehicle_late", _hm(e["at"]), _when(e["at"]), int(e["id"]), None, vid,
                         vehicle_names.get(vid, vid), "", vehicle_names.get(vid, vid),
                         f"{text}{'の遅れ' if lang == 'ja' else ' behind the plan'}"))
    for e in no_shows:
        b = bookings.get(e["booking_id"], {})
        if b and b.get("status") != "no_show":
            continue
        out.append(_alert("no_show", e, b, e.get("vehicle_id") or b.get("vehicle_id"),
                          stop_name(b.get("origin_stop_id"), stops, lang) if b else "",
                          vehicle_names, ""))
    return sorted(out, key=lambda a: (a.when, a.event_id), reverse=True)


def _when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _hm(iso: str) -> str:
    return _when(iso).strftime("%H:%M")


def _alert(level: str, e: Mapping[str, Any], b: Mapping[str, Any], vid: str | None, where: str,
           vehicle_names: Mapping[str, str], text: str) -> Alert:
    return Alert(level, _hm(e["at"]), _when(e["at"]), int(e["id"]), e.get("booking_id"), vid,
                 str(b.get("rider_name") or "—"), where, vehicle_names.get(vid or "", vid or ""),
                 text)
