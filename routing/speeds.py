"""Road speeds (km/h): OSM ``maxspeed`` where tagged, else one default per highway class.

The default table is for rural Japan. Japanese law sets 60 km/h on ordinary roads without a
sign, but rural national and prefectural roads are mostly signed 40–50 km/h and wind through
valleys and villages, so the table uses the typical posted limits rather than the legal
maximum; expressways (高速道路) are signed 80–100 km/h. Edge travel times are rounded once to
whole seconds with :data:`ROUNDING_POLICY`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from types import MappingProxyType

#: Default speed (km/h) per OSM highway class for rural Japan, used when ``maxspeed`` is absent.
DEFAULT_SPEEDS_KPH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 80.0,  # 高速自動車国道 (many rural sections signed 70–80)
        "motorway_link": 40.0,
        "trunk": 50.0,  # 一般国道 (national routes, e.g. R184)
        "trunk_link": 40.0,
        "primary": 50.0,  # 主要地方道
        "primary_link": 40.0,
        "secondary": 40.0,  # 一般県道
        "secondary_link": 30.0,
        "tertiary": 40.0,  # 市町村道 (main municipal roads)
        "tertiary_link": 30.0,
        "unclassified": 30.0,  # minor rural roads, often one lane
        "residential": 30.0,
        "road": 30.0,
        "busway": 30.0,
        "living_street": 20.0,
        "service": 20.0,
    }
)

#: Speed (km/h) for a class missing from the table.
FALLBACK_KPH = 30.0

#: Named rounding policy of edge values: travel time = round-half-up of length / speed in whole
#: seconds with a floor of 1 s (no zero-cost edge); length = round-half-up in whole metres.
ROUNDING_POLICY = "round_half_up_min_1s"

MPH_TO_KPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


def parse_maxspeed(value: str | list[str] | None) -> float | None:
    """Speed in km/h of an OSM ``maxspeed`` value, or None if it carries no number.

    Parameters
    ----------
    value
        The tag value (``"40"``, ``"30 mph"``, ``"40;50"``), or a list of them (osmnx merges
        the values of parallel ways); ``"none"``, ``"signals"``, ``"JP:urban"`` give None.

    Returns
    -------
    float or None
        The smallest positive number found (the cautious choice when several are given).
    """
    if value is None:
        return None
    parts = value if isinstance(value, list) else re.split(r"[;|,]", str(value))
    found: list[float] = []
    for part in parts:
        m = _NUMBER.match(str(part))
        if not m:
            continue
        speed = float(m.group(1))
        if m.group(2) == "mph":
            speed *= MPH_TO_KPH
        elif m.group(2) == "knots":
            speed *= 1.852
        if speed > 0:
            found.append(speed)
    return min(found) if found else None


def highway_class(value: str | list[str] | None) -> str:
    """The first highway class of an OSM ``highway`` value (osmnx may give a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else "road"


def edge_speed_kph(
    highway: str | list[str] | None,
    maxspeed: str | list[str] | None,
    table: Mapping[str, float] = DEFAULT_SPEEDS_KPH,
) -> float:
    """Speed in km/h of an edge: its ``maxspeed`` if tagged, else the table's class default."""
    tagged = parse_maxspeed(maxspeed)
    if tagged is not None:
        return tagged
    return float(table.get(highway_class(highway), FALLBACK_KPH))


def round_half_up(x: float) -> int:
    """Nearest integer, halves rounded up (x >= 0)."""
    return math.floor(x + 0.5)


def edge_time_s(length_m: float, speed_kph: float) -> int:
    """Travel time in whole seconds of ``length_m`` at ``speed_kph`` (:data:`ROUNDING_POLICY`)."""
    return max(1, round_half_up(length_m * 3.6 / speed_kph))


def edge_length_m(length_m: float) -> int:
    """Edge length in whole metres (:data:`ROUNDING_POLICY`)."""
    return round_half_up(length_m)


def speed_table_hash(table: Mapping[str, float] = DEFAULT_SPEEDS_KPH) -> str:
    """Short hash of a speed table, its fallback and the rounding policy (for cache keys)."""
    blob = json.dumps(
        {"table": dict(sorted(table.items())), "fallback": FALLBACK_KPH, "policy": ROUNDING_POLICY},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
