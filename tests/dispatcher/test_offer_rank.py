"""Ranking offers for the rider and saying why (pure): keep the asked condition, nearest the asked
time, shortest ride, lowest fare; おすすめ on the best with its reasons."""

from __future__ import annotations

from dispatcher.offer_rank import OfferTimes, rank_offers

ASKED = 36_000  # 10:00 as seconds, any epoch works the same
M = 60


def offer(pick: int, ride: int, fare: int = 300, window: int = 600) -> OfferTimes:
    """An offer whose window opens ``pick`` s after the asked time, arriving ``ride`` s later."""
    start = ASKED + pick
    return OfferTimes(start, start + window, start + ride, start + window + ride + 300, fare)


def codes(r) -> list[str]:
    """The label codes of a ranked entry."""
    return [lb.code for lb in r.labels]


def test_at_the_asked_time_the_shortest_ride_wins():
    """Three offers at the asked time: the 15-minute ride is recommended (on time, shortest ride);
    the others are ranked after it by ride, without a reason."""
    ranked = rank_offers([offer(0, 25 * M), offer(0, 15 * M), offer(0, 20 * M)], "pickup_after", ASKED)
    assert [r.rank for r in ranked] == [2, 0, 1]
    best = ranked[1]
    assert best.recommended and codes(best) == ["recommended", "on_time", "shortest_ride"]
    assert best.labels[2].minutes == 15 and "15分" in best.labels[2].text_ja
    assert not ranked[0].recommended and codes(ranked[0]) == []


def test_leave_after_prefers_the_later_alternative():
    """Asked time full, alternatives 10 min before and after: for 'leave at or after' the later one
    keeps the condition and is recommended as closest; the earlier one says it is earlier."""
    ranked = rank_offers([offer(-10 * M, 15 * M), offer(10 * M, 15 * M)], "pickup_after", ASKED)
    early, late = ranked
    assert late.recommended and codes(late) == ["recommended", "closest_time", "later"]
    assert codes(early) == ["earlier"] and early.labels[0].minutes == 10
    assert early.labels[0].text_en == "10 min earlier than asked"


def test_arrive_by_prefers_arriving_in_time():
    """For 'arrive by', an offer arriving after the asked time ranks below one arriving before it,
    even when the late one is nearer the time."""
    before = OfferTimes(ASKED - 40 * M, ASKED - 30 * M, ASKED - 12 * M, ASKED, 300)
    after = OfferTimes(ASKED - 20 * M, ASKED - 10 * M, ASKED + 5 * M, ASKED + 15 * M, 300)
    ranked = rank_offers([after, before], "dropoff_before", ASKED)
    assert ranked[1].recommended and ranked[0].rank == 1
    assert "later" in codes(ranked[0])


def test_fare_breaks_the_last_tie_and_empty_is_empty():
    """Same time and ride: the cheaper offer first. No offers: nothing."""
    ranked = rank_offers([offer(0, 15 * M, fare=450), offer(0, 15 * M, fare=300)], "pickup_after", ASKED)
    assert ranked[1].recommended and ranked[0].rank == 1
    assert "shortest_ride" not in codes(ranked[1])  # a tie is no distinction
    assert rank_offers([], "pickup_after", ASKED) == []


def test_a_single_offer_is_recommended_without_comparisons():
    """One offer: recommended, at the asked time; no 'shortest' claim over nothing."""
    (only,) = rank_offers([offer(0, 15 * M)], "pickup_after", ASKED)
    assert only.recommended and codes(only) == ["recommended", "on_time"]
