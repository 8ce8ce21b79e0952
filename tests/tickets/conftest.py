"""Fixtures of the ticket tests: the current key and a ticket factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from ticketdata import DAY, NOW, fixed_key

from dispatcher.tickets import SigningKey, Ticket


@pytest.fixture(scope="session")
def key() -> SigningKey:
    """The service's current signing key, valid 30 days either side of NOW."""
    return fixed_key("k2027a", valid_from=NOW - 30 * DAY, valid_until=NOW + 30 * DAY)


@pytest.fixture(scope="session")
def base_ticket() -> Ticket:
    """A booking of two riders at the town office, window NOW..NOW+10 min, on vehicle v1."""
    return Ticket(
        key_id="k2027a",
        service_id="mitsugi",
        booking_id="B7K3M9Q2XZ",
        issue=0,
        rider_initial="Y",
        passengers=(("adult", 1), ("elderly_pass", 1)),
        pickup_stop_id="ichi_office",
        pickup_from_s=NOW,
        pickup_to_s=NOW + 600,
        currency="JPY",
        fare=500,
        not_before_s=NOW - 3600,
        not_after_s=NOW + 4 * 3600,
        vehicle_id="v1",
    )


@pytest.fixture(scope="session")
def make_ticket(base_ticket: Ticket) -> Callable[..., Ticket]:
    """Factory: the base ticket with some fields replaced."""

    def make(**changes: object) -> Ticket:
        return replace(base_ticket, **changes)

    return make
