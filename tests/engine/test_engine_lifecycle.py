"""A booking's life (dispatcher.engine.lifecycle), from tables: each change and its refusals."""

from __future__ import annotations

import pytest

from dispatcher.engine import lifecycle
from dispatcher.errors import Conflict, NotFound, RuleViolation
from dispatcher.statuses import BookingStatus as S

WINDOW = 10_000  # the pickup window opens
GRACE = 300
NOTICE = 3_600


@pytest.mark.parametrize(("status", "own", "operator", "now", "want"), [
    (S.CONFIRMED, True, False, WINDOW - 7_200, ("cancelled", False, "rider")),
    (S.CONFIRMED, True, False, WINDOW - 600, ("cancelled", True, "rider")),     # inside notice
    (S.CONFIRMED, False, True, WINDOW - 7_200, ("cancelled", False, "operator")),
    (S.CONFIRMED, False, False, WINDOW - 7_200, NotFound),  # someone else's booking
    (S.ONBOARD, True, False, WINDOW, Conflict),
    (S.COMPLETED, False, True, WINDOW, Conflict),
    (S.CANCELLED, True, False, WINDOW, Conflict),
    (S.NO_SHOW, False, True, WINDOW, Conflict),
])
def test_cancel(status, own, operator, now, want):
    call = lambda: lifecycle.cancel("b1", status, own=own, by_operator=operator,  # noqa: E731
                                    now_s=now, pickup_earliest_s=WINDOW, notice_s=NOTICE)
    if isinstance(want, type):
        with pytest.raises(want):
            call()
        return
    out = call()
    assert (out.status, out.late, out.by) == want


@pytest.mark.parametrize(("status", "now", "at_pickup", "want"), [
    (S.CONFIRMED, WINDOW + GRACE, True, S.NO_SHOW),
    (S.CONFIRMED, WINDOW + GRACE, None, S.NO_SHOW),        # recorded by the office
    (S.CONFIRMED, WINDOW + GRACE - 1, True, "no_show_grace"),
    (S.CONFIRMED, WINDOW, None, "no_show_grace"),
    (S.CONFIRMED, WINDOW + GRACE, False, "no_show_arrival"),  # driver not at the stop
    (S.ONBOARD, WINDOW + GRACE, True, Conflict),
    (S.NO_SHOW, WINDOW + GRACE, True, Conflict),
])
def test_no_show(status, now, at_pickup, want):
    def call():
        return lifecycle.no_show(status, now_s=now, pickup_earliest_s=WINDOW, grace_s=GRACE,
                                 at_pickup=at_pickup)
    if isinstance(want, S):
        assert call() == want
    elif want is Conflict:
        with pytest.raises(Conflict):
            call()
    else:
        with pytest.raises(RuleViolation) as err:
            call()
        assert err.value.details["rule"] == want


def test_the_grace_wait_is_told_in_whole_minutes_rounded_up():
    with pytest.raises(RuleViolation) as err:
        lifecycle.no_show(S.CONFIRMED, now_s=WINDOW + GRACE - 61, pickup_earliest_s=WINDOW,
                          grace_s=GRACE, at_pickup=True)
    assert "あと2分" in err.value.message_ja and "2 min to go" in err.value.message_en


@pytest.mark.parametrize(("status", "recorded", "by", "age", "want"), [
    (S.NO_SHOW, True, "d1", 60, S.CONFIRMED),
    (S.NO_SHOW, True, "d1", 120, S.CONFIRMED),             # exactly at the limit
    (S.NO_SHOW, True, "d1", 121, "no_show_undo_expired"),
    (S.NO_SHOW, True, "op", 10, "no_show_undo"),           # the office recorded it
    (S.NO_SHOW, False, "d1", 10, "no_show_undo"),          # no record of the no-show
    (S.CONFIRMED, True, "d1", 10, "no_show_undo"),
])
def test_undo_no_show(status, recorded, by, age, want):
    def call():
        return lifecycle.undo_no_show(status, recorded=recorded, recorded_by=by, actor="d1",
                                      recorded_at_s=WINDOW, now_s=WINDOW + age, within_s=120)
    if isinstance(want, S):
        assert call() == want
    else:
        with pytest.raises(Conflict) as err:
            call()
        assert err.value.details["rule"] == want


def test_undo_time_reads_naturally():
    with pytest.raises(Conflict) as err:
        lifecycle.undo_no_show(S.NO_SHOW, recorded=True, recorded_by="d1", actor="d1",
                               recorded_at_s=0, now_s=1_000, within_s=90)
    assert "90秒" in err.value.message_ja and "90 s" in err.value.message_en


@pytest.mark.parametrize("status", [S.ONBOARD, S.COMPLETED, S.CANCELLED, S.NO_SHOW])
def test_only_waiting_bookings_move(status):
    lifecycle.may_move(S.CONFIRMED)
    with pytest.raises(Conflict):
        lifecycle.may_move(status)
