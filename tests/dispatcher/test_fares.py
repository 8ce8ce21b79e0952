"""Fares of groups from the service's rules, and the payment status transitions."""

from __future__ import annotations

import pytest

from dispatcher.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from dispatcher.fares import (
    PaymentRecord,
    PaymentStatus,
    Recorder,
    category_label,
    fare_for,
    record_payment,
)
from dispatcher.service_area import FareRules
from dispatcher.services import load_service

RULES = FareRules(
    currency="JPY",
    adult=300,
    child=150,
    infant=0,
    concessions=(("disability", 150), ("elderly_pass", 200)),
    payment=("cash_onboard", "prepaid"),
)

CASES = [
    # (description, passengers, total, lines as (category, count, unit, amount))
    ("one adult", {"adult": 1}, 300, [("adult", 1, 300, 300)]),
    ("one child", {"child": 1}, 150, [("child", 1, 150, 150)]),
    ("adult with infant rides free", {"adult": 1, "infant": 1}, 300,
     [("adult", 1, 300, 300), ("infant", 1, 0, 0)]),
    ("disability concession", {"disability": 1}, 150, [("disability", 1, 150, 150)]),
    ("elderly pass", {"elderly_pass": 2}, 400, [("elderly_pass", 2, 200, 400)]),
    ("family group", {"adult": 2, "child": 2, "infant": 1}, 900,
     [("adult", 2, 300, 600), ("child", 2, 150, 300), ("infant", 1, 0, 0)]),
    ("mixed group, zero counts dropped, category order kept",
     {"elderly_pass": 1, "adult": 1, "child": 0, "disability": 1}, 650,
     [("adult", 1, 300, 300), ("disability", 1, 150, 150), ("elderly_pass", 1, 200, 200)]),
]  # fmt: skip


@pytest.mark.parametrize(("desc", "passengers", "total", "lines"), CASES, ids=[c[0] for c in CASES])
def test_fare_table(desc, passengers, total, lines):
    """Each group is priced per category at the service's flat fares; the total is their sum."""
    fare = fare_for(RULES, passengers)
    assert fare.total == total, desc
    assert [(x.category, x.count, x.unit, x.amount) for x in fare.lines] == lines
    assert fare.currency == "JPY"
    assert fare.riders == sum(passengers.values())
    assert sum(f for _, f in fare.per_rider()) == total
    assert len(fare.per_rider()) == fare.riders


BAD = [
    ("unknown category", {"adult": 1, "student": 1}, "student"),
    ("negative count", {"adult": -1}, "負"),
    ("fractional count", {"adult": 1.5}, "整数"),
    ("boolean count", {"adult": True}, "整数"),
    ("empty group", {}, "乗客"),
    ("all zero", {"adult": 0, "child": 0}, "乗客"),
    ("infant alone", {"infant": 1}, "幼児"),
]


@pytest.mark.parametrize(("desc", "passengers", "needle"), BAD, ids=[c[0] for c in BAD])
def test_bad_groups_refused_in_both_languages(desc, passengers, needle):
    """Malformed groups raise InvalidInput with a Japanese and an English message."""
    with pytest.raises(InvalidInput) as err:
        fare_for(RULES, passengers)
    assert needle in err.value.message_ja or needle in str(err.value.details)
    assert err.value.message_en and err.value.message_ja != err.value.message_en


def test_concession_unknown_to_this_service_is_refused():
    """A concession another service has (elderly_pass) is refused where it is not configured."""
    plain = FareRules(adult=200, child=100)
    with pytest.raises(InvalidInput):
        fare_for(plain, {"elderly_pass": 1})
    assert fare_for(plain, {"adult": 1, "child": 1}).total == 300


def test_mitsugi_fares_from_configuration():
    """The shipped Mitsugi fares price an elderly-pass holder with a grandchild."""
    rules = load_service("mitsugi").fares
    fare = fare_for(rules, {"elderly_pass": 1, "child": 1})
    assert fare.total == rules.concession("elderly_pass") + rules.child
    assert category_label("elderly_pass", "en") == "Elderly pass"
    assert fare.lines[0].label("ja") == "小児"


def test_payment_transitions():
    """Drivers record cash on board; prepayments come from operators or the system; only an
    operator can undo a payment; paying twice is a conflict; unaccepted methods are refused."""
    unpaid = PaymentRecord()
    cash = record_payment(
        unpaid, PaymentStatus.PAID_CASH_ONBOARD, by=Recorder.DRIVER, actor_id="drv-1",
        at_s=1_800_000_000, amount=300, rules=RULES,
    )  # fmt: skip
    assert cash.status is PaymentStatus.PAID_CASH_ONBOARD
    assert (cash.recorded_by, cash.actor_id, cash.recorded_at_s) == (
        Recorder.DRIVER,
        "drv-1",
        1_800_000_000,
    )
    with pytest.raises(Conflict):
        record_payment(cash, PaymentStatus.PREPAID, by=Recorder.OPERATOR, actor_id="op",
                       at_s=1, amount=300, rules=RULES)  # fmt: skip
    with pytest.raises(Forbidden):
        record_payment(cash, PaymentStatus.UNPAID, by=Recorder.DRIVER, actor_id="drv-1",
                       at_s=1, amount=0, rules=RULES)  # fmt: skip
    with pytest.raises(Forbidden):
        record_payment(unpaid, PaymentStatus.PREPAID, by=Recorder.DRIVER, actor_id="drv-1",
                       at_s=1, amount=300, rules=RULES)  # fmt: skip
    back = record_payment(cash, "unpaid", by=Recorder.OPERATOR, actor_id="op-2", at_s=2,
                          amount=0, rules=RULES)  # fmt: skip
    assert back.status is PaymentStatus.UNPAID
    cash_only = FareRules(payment=("cash_onboard",))
    with pytest.raises(RuleViolation):
        record_payment(unpaid, PaymentStatus.PREPAID, by=Recorder.SYSTEM, actor_id="pay",
                       at_s=1, amount=300, rules=cash_only)  # fmt: skip
    with pytest.raises(InvalidInput):
        record_payment(unpaid, PaymentStatus.PAID_CASH_ONBOARD, by=Recorder.DRIVER,
                       actor_id="d", at_s=1, amount=-5, rules=RULES)  # fmt: skip
