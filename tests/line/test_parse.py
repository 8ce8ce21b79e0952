"""Reading riders' free text in the LINE dialogue (pure): times, days, arrive-by, party sizes."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatcher.line.parse import PartyCounts, choice, parse_party, parse_when
from dispatcher.line.signature import sign, verify
from dispatcher.units import TOKYO

NOW = datetime(2027, 1, 13, 8, 0, tzinfo=TOKYO)


@pytest.mark.parametrize(("text", "rule", "expected"), [
    ("今日 10時", "pickup_after", "2027-01-13T10:00"),
    ("明日の9時半", "pickup_after", "2027-01-14T09:30"),
    ("あさって 14:15", "pickup_after", "2027-01-15T14:15"),
    ("１月２０日　１０時に着きたい", "dropoff_before", "2027-01-20T10:00"),
    ("午後2時", "pickup_after", "2027-01-13T14:00"),
    ("7時", "pickup_after", "2027-01-14T07:00"),
    ("1/14 11時まで", "dropoff_before", "2027-01-14T11:00"),
    ("十時", "pickup_after", "2027-01-13T10:00"),
])
def test_when(text, rule, expected):
    """Days (今日/明日/あさって/M月D日/M/D), clock times (H時, H時半, H:MM, 午後), arrive-by
    words (着/まで); with no day a time already past today means tomorrow."""
    when = parse_when(text, NOW, TOKYO)
    assert when is not None
    assert when.rule == rule
    assert when.at.strftime("%Y-%m-%dT%H:%M") == expected


@pytest.mark.parametrize("text", ["そのうち", "25時", "2月30日 10時", ""])
def test_when_unreadable(text):
    """Text with no readable or a wrong time gives None (the dialogue asks again)."""
    assert parse_when(text, NOW, TOKYO) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("1人", PartyCounts(1, 0, 0)),
    ("２人", PartyCounts(2, 0, 0)),
    ("ふたり", PartyCounts(2, 0, 0)),
    ("二人", PartyCounts(2, 0, 0)),
    ("大人2 子ども1", PartyCounts(2, 1, 0)),
    ("2人 車いす", PartyCounts(1, 0, 1)),
    ("車椅子", PartyCounts(0, 0, 1)),
    ("3", PartyCounts(3, 0, 0)),
])
def test_party(text, expected):
    """Counts, kanji and kana numbers, adults and children, a wheelchair user among a total."""
    assert parse_party(text) == expected


def test_party_unreadable_and_choice():
    """No count → None; a numbered choice is read only within range."""
    assert parse_party("たくさん") is None
    assert choice("２", 3) == 1 and choice("3番", 3) == 2
    assert choice("4", 3) is None and choice("本村", 3) is None


def test_signature_known_vector():
    """The signature matches a value computed by hand (openssl dgst -sha256 -hmac secret | base64)
    and verification refuses a missing secret, a missing or a different signature."""
    body = b'{"events":[]}'
    expected = "pkK1lVPJPiJ+wPLziRD79xIxohl8AImYM8AEeM7IbzQ="
    assert sign(body, "secret") == expected
    assert verify(body, "secret", expected)
    assert not verify(body, "", expected)
    assert not verify(body, "secret", None)
    assert not verify(body + b" ", "secret", expected)
