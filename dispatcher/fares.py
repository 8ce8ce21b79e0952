"""Fares of a group of riders (whole minor currency units) and the payment status of a booking.

Pure: :func:`fare_for` prices a group from the service's :class:`FareRules`; the offer shows
the resulting :class:`Fare` and the receipt prints its lines. Rider categories are the three
base ones (``adult``, ``child``, ``infant``) plus the service's concession categories (such as
``disability`` or ``elderly_pass``), each with its flat fare per rider.

Payment is recorded on the booking as a :class:`PaymentRecord`: its status (unpaid, paid in
cash on board, prepaid), who recorded it (driver, operator or the system's payment provider),
and when. :func:`record_payment` is the single transition function; the API stores the record
it returns and the event log keeps every transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dispatcher.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from dispatcher.service_area import FareRules

BASE_CATEGORIES = ("adult", "child", "infant")

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "adult": ("大人", "Adult"),
    "child": ("小児", "Child"),
    "infant": ("幼児", "Infant"),
    "disability": ("障害者割引", "Disability discount"),
    "elderly_pass": ("高齢者パス", "Elderly pass"),
}
"""Japanese and English labels of the known categories; others show their id."""


def category_label(category: str, lang: str = "ja") -> str:
    """The label of a rider category in ``lang`` ("ja" or "en"); unknown ids label themselves."""
    ja, en = CATEGORY_LABELS.get(category, (category, category))
    return en if lang == "en" else ja


def categories(rules: FareRules) -> tuple[str, ...]:
    """Rider categories the service prices: the base ones, then its concessions in order."""
    return BASE_CATEGORIES + tuple(c for c, _ in rules.concessions if c not in BASE_CATEGORIES)


def unit_fare(rules: FareRules, category: str) -> int:
    """Fare of one rider of ``category`` in minor currency units (yen).

    Raises
    ------
    InvalidInput
        If the service has no such category.
    """
    if category == "adult":
        return rules.adult
    if category == "child":
        return rules.child
    if category == "infant":
        return rules.infant
    fare = rules.concession(category)
    if fare is None:
        raise InvalidInput(
            f"この運行では使えない乗客区分です: {category}",
            f"unknown rider category for this service: {category}",
            category=category,
            known=list(categories(rules)),
        )
    return fare


@dataclass(frozen=True, slots=True)
class FareLine:
    """One category of a group's fare: ``count`` riders at ``unit`` each (minor units)."""

    category: str
    count: int
    unit: int
    amount: int

    def label(self, lang: str = "ja") -> str:
        """The category's label in ``lang``."""
        return category_label(self.category, lang)


@dataclass(frozen=True, slots=True)
class Fare:
    """The fare of a group in minor currency units: lines per category and the total."""

    currency: str
    lines: tuple[FareLine, ...]
    total: int

    @property
    def riders(self) -> int:
        """Number of riders in the group (infants included)."""
        return sum(line.count for line in self.lines)

    def per_rider(self) -> tuple[tuple[str, int], ...]:
        """One ``(category, fare)`` pair per rider, in line order (for per-rider receipts)."""
        return tuple((line.category, line.unit) for line in self.lines for _ in range(line.count))

    def passengers(self) -> dict[str, int]:
        """Rider counts by category (the form tickets carry)."""
        return {line.category: line.count for line in self.lines}


def validate_passengers(rules: FareRules, passengers: Mapping[str, int]) -> dict[str, int]:
    """Check rider counts by category and return them without zero entries, in category order.

    Parameters
    ----------
    rules
        The service's fare rules (which categories exist).
    passengers
        Riders per category, e.g. ``{"adult": 1, "elderly_pass": 1}``.

    Raises
    ------
    InvalidInput
        On an unknown category, a count that is not a non-negative whole number, an empty
        group, or infants travelling without another rider.

    Returns
    -------
    dict[str, int]
        The non-zero counts in the order of :func:`categories`.
    """
    known = categories(rules)
    for category, count in passengers.items():
        if category not in known:
            unit_fare(rules, str(category))  # raises the unknown-category error
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidInput(
                f"人数は整数で指定してください: {category}",
                f"rider count must be a whole number: {category}",
                category=category,
            )
        if count < 0:
            raise InvalidInput(
                f"人数が負の値です: {category}={count}",
                f"negative rider count: {category}={count}",
                category=category,
                count=count,
            )
    counts = {c: passengers[c] for c in known if passengers.get(c, 0) > 0}
    if not counts:
        raise InvalidInput("乗客が一人もいません", "the group has no riders")
    if counts.get("infant", 0) and sum(n for c, n in counts.items() if c != "infant") == 0:
        raise InvalidInput(
            "幼児だけでは乗車できません（同伴者が必要です）",
            "infants must travel with another rider",
        )
    return counts


def fare_for(rules: FareRules, passengers: Mapping[str, int]) -> Fare:
    """Fare of a group in minor currency units, with one line per category.

    Parameters
    ----------
    rules
        The service's fare rules.
    passengers
        Riders per category (see :func:`validate_passengers`).

    Raises
    ------
    InvalidInput
        As :func:`validate_passengers`.

    Returns
    -------
    Fare
        Lines in category order (base categories, then concessions) and their total.
    """
    counts = validate_passengers(rules, passengers)
    lines = tuple(
        FareLine(category=c, count=n, unit=unit_fare(rules, c), amount=n * unit_fare(rules, c))
        for c, n in counts.items()
    )
    return Fare(currency=rules.currency, lines=lines, total=sum(line.amount for line in lines))


class PaymentStatus(StrEnum):
    """Whether a booking's fare is paid, and how."""

    UNPAID = "unpaid"
    PAID_CASH_ONBOARD = "paid_cash_onboard"
    PREPAID = "prepaid"


class Recorder(StrEnum):
    """Who recorded a payment status: the driver, an operator, or the system (payment provider)."""

    DRIVER = "driver"
    OPERATOR = "operator"
    SYSTEM = "system"


PAYMENT_METHOD = {
    PaymentStatus.PAID_CASH_ONBOARD: "cash_onboard",
    PaymentStatus.PREPAID: "prepaid",
}
"""The FareRules.payment method each paid status needs the service to accept."""

ALLOWED_TRANSITIONS: dict[tuple[PaymentStatus, PaymentStatus], frozenset[Recorder]] = {
    (PaymentStatus.UNPAID, PaymentStatus.PAID_CASH_ONBOARD): frozenset(
        {Recorder.DRIVER, Recorder.OPERATOR}
    ),
    (PaymentStatus.UNPAID, PaymentStatus.PREPAID): frozenset({Recorder.OPERATOR, Recorder.SYSTEM}),
    # Corrections and refunds are an operator's decision, never the driver's.
    (PaymentStatus.PAID_CASH_ONBOARD, PaymentStatus.UNPAID): frozenset({Recorder.OPERATOR}),
    (PaymentStatus.PREPAID, PaymentStatus.UNPAID): frozenset({Recorder.OPERATOR}),
}
"""Which payment transitions exist and who may make each."""


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A booking's payment status, who recorded it (role and id) and when (epoch seconds)."""

    status: PaymentStatus = PaymentStatus.UNPAID
    recorded_by: Recorder | None = None
    actor_id: str = ""
    recorded_at_s: int | None = None
    amount: int = 0


def record_payment(
    current: PaymentRecord,
    status: PaymentStatus,
    *,
    by: Recorder,
    actor_id: str,
    at_s: int,
    amount: int,
    rules: FareRules,
) -> PaymentRecord:
    """Return the booking's new payment record after ``by`` records ``status`` at ``at_s``.

    Parameters
    ----------
    current
        The booking's payment record now.
    status
        The status being recorded.
    by, actor_id
        Role and id of who records it (driver id, operator account, payment provider).
    at_s
        When, in epoch seconds.
    amount
        Amount paid in minor currency units (0 when returning to unpaid).
    rules
        The service's fare rules (which payment methods it accepts).

    Raises
    ------
    Conflict
        If the transition does not exist (e.g. paid twice).
    Forbidden
        If ``by`` may not make this transition (a driver cannot record a prepayment or undo one).
    RuleViolation
        If the service does not accept that payment method.
    InvalidInput
        If the amount is negative.
    """
    status = PaymentStatus(status)
    who = ALLOWED_TRANSITIONS.get((current.status, status))
    if who is None:
        raise Conflict(
            f"支払状態を {current.status} から {status} に変更できません",
            f"payment status cannot go from {current.status} to {status}",
            current=str(current.status),
            requested=str(status),
        )
    if by not in who:
        raise Forbidden(
            f"{by} はこの支払状態を記録できません: {status}",
            f"{by} may not record payment status {status}",
            current=str(current.status),
            requested=str(status),
        )
    method = PAYMENT_METHOD.get(status)
    if method is not None and method not in rules.payment:
        raise RuleViolation(
            f"この運行では使えない支払方法です: {method}",
            f"this service does not accept {method}",
            method=method,
        )
    if amount < 0:
        raise InvalidInput("金額が負の値です", "negative amount", amount=amount)
    return PaymentRecord(
        status=status, recorded_by=by, actor_id=actor_id, recorded_at_s=at_s, amount=amount
    )
