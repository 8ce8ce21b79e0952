"""Ranking offers for the rider and saying why one is recommended (pure).

The engine returns offers cheapest for the fleet first; a rider weighs them differently: does
the trip keep what I asked (leave at or after, arrive by), how far is it from the time I asked,
how long do I sit in the car, what does it cost. :func:`rank_offers` orders offers by exactly
that, marks the first as recommended (おすすめ) with its reasons, and labels the others with
what sets them apart (a shorter ride, how much earlier or later than asked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: An offer within this many seconds of the asked time reads as "at the time you asked".
ON_TIME_S = 60


@dataclass(frozen=True, slots=True)
class OfferTimes:
    """What ranking needs of an offer (epoch s) and its fare."""

    pickup_earliest_s: int
    pickup_latest_s: int
    dropoff_expected_s: int
    dropoff_latest_s: int
    fare: int


@dataclass(frozen=True, slots=True)
class Label:
    """A reason or distinction shown with an offer: a stable ``code`` and the words for people."""

    code: str
    text_ja: str
    text_en: str
    minutes: int | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    """An offer's place: ``index`` into the ranked sequence, ``rank`` (0 = best)."""

    index: int
    rank: int
    recommended: bool
    labels: tuple[Label, ...]


def _keeps(o: OfferTimes, rule: str, asked_s: int) -> bool:
    """Whether the offer keeps the rider's condition (not before a leave-after time, not after
    an arrive-by time)."""
    if rule == "dropoff_before":
        return o.dropoff_latest_s <= asked_s + ON_TIME_S
    return o.pickup_earliest_s >= asked_s - ON_TIME_S


def gap_s(o: OfferTimes, rule: str, asked_s: int) -> int:
    """Seconds between the asked time and the offer's matching time: its pickup window's start
    for a leave-after request, its expected arrival for an arrive-by request."""
    at = o.dropoff_expected_s if rule == "dropoff_before" else o.pickup_earliest_s
    return abs(at - asked_s)


def ride_s(o: OfferTimes) -> int:
    """Seconds from the start of the pickup window to the expected arrival."""
    return max(0, o.dropoff_expected_s - o.pickup_earliest_s)


#: The reason of an offer recommended because it keeps what the rider asked, where another does
#: not: (leave at or after, arrive by).
_KEEPS = (Label("keeps_rule", "ご希望の時刻より前には出発しません", "does not leave before the time you asked"),
          Label("keeps_rule", "ご希望の時刻までに到着します", "arrives by the time you asked"))


def _minutes(seconds: int) -> int:
    return max(1, round(seconds / 60))


def rank_offers(offers: Sequence[OfferTimes], rule: str, asked_s: int) -> list[Ranked]:
    """Order offers for a rider and label them.

    Parameters
    ----------
    offers
        The offers of one request (asked time and alternatives together).
    rule
        ``pickup_after`` (leave at or after ``asked_s``) or ``dropoff_before`` (arrive by it).
    asked_s
        The time the rider asked for, epoch s.

    Returns
    -------
    list[Ranked]
        One entry per offer, in the order given; ``rank`` 0 is the best: offers that keep the rider's condition before those
        that do not, then nearest the asked time (by whole minutes), then the shortest ride,
        then the lowest fare. The best is recommended, with its reasons: ``on_time``, else
        ``keeps_rule`` (it keeps the rider's condition where another offer does not), else
        ``closest_time``; and ``shortest_ride`` when no other offer is shorter. Others carry
        ``shortest_ride`` if theirs is the shortest, and ``earlier``/``later`` with the minutes
        they differ from the asked time.
    """
    if not offers:
        return []

    def key(i: int) -> tuple[bool, int, int, int, int]:
        o = offers[i]
        return (not _keeps(o, rule, asked_s), gap_s(o, rule, asked_s) // 60, ride_s(o), o.fare, i)

    order = sorted(range(len(offers)), key=key)
    shortest = min(ride_s(o) for o in offers)
    closest = min(gap_s(o, rule, asked_s) for o in offers)
    several = len(offers) > 1
    keeps = [_keeps(o, rule, asked_s) for o in offers]
    out = []
    for rank, i in enumerate(order):
        o = offers[i]
        gap, ride = gap_s(o, rule, asked_s), ride_s(o)
        labels: list[Label] = []
        if rank == 0:
            labels.append(Label("recommended", "おすすめ", "Recommended"))
            if gap <= ON_TIME_S:
                labels.append(Label("on_time", "ご希望の時刻どおり", "at the time you asked"))
            elif not all(keeps):
                labels.append(_KEEPS[rule == "dropoff_before"])
            elif gap == closest:
                labels.append(Label("closest_time", "ご希望の時刻にいちばん近い",
                                    "closest to the time you asked"))
        if several and ride == shortest and sum(ride_s(x) == shortest for x in offers) == 1:
            m = _minutes(ride)
            labels.append(Label("shortest_ride", f"乗っている時間がいちばん短い（約{m}分）",
                                f"shortest ride (about {m} min)", m))
        if gap > ON_TIME_S:
            at = o.dropoff_expected_s if rule == "dropoff_before" else o.pickup_earliest_s
            m = _minutes(gap)
            if at < asked_s:
                labels.append(Label("earlier", f"ご希望より{m}分早い", f"{m} min earlier than asked", m))
            else:
                labels.append(Label("later", f"ご希望より{m}分遅い", f"{m} min later than asked", m))
        out.append(Ranked(i, rank, rank == 0, tuple(labels)))
    return sorted(out, key=lambda r: r.index)
