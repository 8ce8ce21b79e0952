"""Speeds from maxspeed or the rural-Japan table, and the rounding policy of edge values."""

from __future__ import annotations

import pytest

from routing.speeds import (
    DEFAULT_SPEEDS_KPH,
    FALLBACK_KPH,
    edge_length_m,
    edge_speed_kph,
    edge_time_s,
    parse_maxspeed,
    speed_table_hash,
)


@pytest.mark.parametrize(
    ("value", "kph"),
    [("40", 40.0), ("30 mph", 30 * 1.609344), ("40;50", 40.0), (["50", "30"], 30.0),
     ("none", None), ("JP:urban", None), (None, None), ("0", None)],
)
def test_parse_maxspeed(value, kph):
    """Numbers (km/h or mph, lists take the smallest) are read; words without a number are not."""
    assert parse_maxspeed(value) == (pytest.approx(kph) if kph else None)


def test_tagged_maxspeed_wins_over_the_table():
    """An edge's maxspeed is used where tagged; otherwise its class default, then the fallback."""
    assert edge_speed_kph("trunk", "60") == 60.0
    assert edge_speed_kph("trunk", None) == DEFAULT_SPEEDS_KPH["trunk"]
    assert edge_speed_kph(["residential", "tertiary"], None) == DEFAULT_SPEEDS_KPH["residential"]
    assert edge_speed_kph("bogus", "signals") == FALLBACK_KPH


def test_rounding_policy():
    """Times round half up to whole seconds with a 1 s floor; lengths to whole metres."""
    assert edge_time_s(100.0, 36.0) == 10
    assert edge_time_s(104.9, 36.0) == 10 and edge_time_s(105.0, 36.0) == 11
    assert edge_time_s(0.1, 50.0) == 1
    assert edge_length_m(12.5) == 13 and edge_length_m(12.49) == 12


def test_speed_table_hash_tracks_the_table():
    """Any change of the table changes the hash used in the cache key."""
    changed = {**DEFAULT_SPEEDS_KPH, "trunk": 60.0}
    assert speed_table_hash(changed) != speed_table_hash()
    assert speed_table_hash(dict(DEFAULT_SPEEDS_KPH)) == speed_table_hash()
