"""A booking's life as a state machine: which changes each status allows, and when (pure).

::

    confirmed ──boarded──▶ onboard ──alighted──▶ completed
        │  └──no-show (after the window's start + grace, driver at the pickup)──▶ no_show
        │                                        ◀──undo (same driver, within the undo time)──┘
        └──cancel (rider: own booking; operator: any)──▶ cancelled
    confirmed ──move (operator)──▶ confirmed on another vehicle

Each function takes what the decision needs (the booking's status and times, who acts, the
clock) and returns the new status or raises the error the person sees. The service modules
(:mod:`.bookings`, :mod:`.driving`) apply the result to the live state and the database;
boarding and alighting are :func:`dispatcher.engine.machine.apply`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dispatcher.errors import Conflict, NotFound, RuleViolation
from dispatcher.statuses import BookingStatus


@dataclass(frozen=True)
class Cancelled:
    """A cancellation: the new status, whether it came inside the notice, who cancelled."""

    status: BookingStatus
    late: bool
    by: str


def cancel(booking_id: str, status: str, *, own: bool, by_operator: bool, now_s: int,
           pickup_earliest_s: int, notice_s: int) -> Cancelled:
    """Cancel a booking: a rider their ``own`` booking, an operator any, before boarding.

    ``late`` when it comes less than ``notice_s`` before the pickup window opens.

    Raises NotFound (a rider's request for someone else's booking: it is not theirs to see)
    or Conflict (not waiting for pickup any more).
    """
    if not (own or by_operator):
        raise NotFound("予約が見つかりません", "booking not found", booking_id=booking_id)
    if status != BookingStatus.CONFIRMED:
        raise Conflict(f"この予約は取り消せません（状態: {status}）",
                       f"this booking cannot be cancelled (status: {status})")
    return Cancelled(BookingStatus.CANCELLED, pickup_earliest_s - now_s < notice_s,
                     "operator" if by_operator else "rider")


def no_show(status: str, *, now_s: int, pickup_earliest_s: int, grace_s: int,
            at_pickup: bool | Callable[[], bool] | None) -> BookingStatus:
    """Record that the rider did not come: only while the booking waits for pickup, after the
    window's start plus ``grace_s``, and — when the vehicle's driver records it
    (``at_pickup`` not None) — once the vehicle is at the pickup. ``at_pickup`` may be a
    function, asked only when the other conditions hold (where the vehicle is costs a query).

    Raises Conflict (not waiting) or RuleViolation (too early: ``no_show_grace``; not at the
    stop: ``no_show_arrival``).
    """
    if status != BookingStatus.CONFIRMED:
        raise Conflict(f"乗車前の予約ではありません（状態: {status}）",
                       f"booking is not waiting for pickup (status: {status})")
    allowed = pickup_earliest_s + grace_s
    if now_s < allowed:
        wait = (allowed - now_s + 59) // 60
        raise RuleViolation(
            f"不乗車の記録は迎車時間帯の開始から猶予時間後にできます（あと{wait}分）。",
            f"A no-show can be recorded only after the window opens plus the grace time "
            f"({wait} min to go).", rule="no_show_grace")
    if callable(at_pickup):
        at_pickup = at_pickup()
    if at_pickup is False:
        raise RuleViolation(
            "不乗車を記録する前に、乗り場への「到着」を記録してください。",
            "Report arrival at the pickup stop before recording a no-show.",
            rule="no_show_arrival")
    return BookingStatus.NO_SHOW


def undo_no_show(status: str, *, recorded: bool, recorded_by: str | None, actor: str,
                 recorded_at_s: int, now_s: int, within_s: int) -> BookingStatus:
    """Take back a no-show: the driver who ``recorded`` it, within ``within_s`` seconds.
    (Whether the plan can still keep the promise is the planner's question.)

    Raises Conflict (``no_show_undo``: not a no-show, or someone else's record;
    ``no_show_undo_expired``: too late — the office can still help).
    """
    if status != BookingStatus.NO_SHOW or not recorded:
        raise Conflict(f"不乗車として記録された予約ではありません（状態: {status}）",
                       f"booking is not a no-show (status: {status})", rule="no_show_undo")
    if recorded_by != actor:
        raise Conflict("この不乗車は運転手の記録ではないため、ここでは取り消せません",
                       "this no-show was not recorded by this driver", rule="no_show_undo")
    if now_s - recorded_at_s > within_s:
        ja, en = ((f"{within_s // 60}分", f"{within_s // 60} min") if within_s % 60 == 0
                  else (f"{within_s}秒", f"{within_s} s"))
        raise Conflict(
            f"不乗車の取り消しは記録から{ja}以内です。営業所へ連絡してください。",
            f"A no-show can be undone only within {en} of recording it; call the office.",
            rule="no_show_undo_expired")
    return BookingStatus.CONFIRMED


def may_move(status: str) -> None:
    """Only a booking that still waits for its pickup can move to another vehicle.

    Raises Conflict otherwise.
    """
    if status != BookingStatus.CONFIRMED:
        raise Conflict("乗車前の予約だけ移動できます", "only bookings awaiting pickup can move")
