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
    """Asked time full, alternatives 30 min before and 40 min after: for 'leave at or after' the
    later one keeps the condition and is recommended for that, though further from the time; the
    earlier one says how much earlier it is."""
    ranked = rank_offers([offer(-30 * M, 15 * M), offer(40 * M, 15 * M)], "pickup_after", ASKED)
    early, late = ranked
    assert late.recommended and codes(late) == ["recommended", "keeps_rule", "later"]
    assert late.labels[1].text_ja == "ご希望の時刻より前には出発しません"
    assert codes(early) == ["earlier"] and early.labels[0].minutes == 30
    assert early.labels[0].text_en == "30 min earlier than asked"


def test_among_offers_that_all_keep_the_condition_the_closest_wins():
    """Two later alternatives (20 and 10 min after): the nearer is recommended as closest."""
    ranked = rank_offers([offer(20 * M, 15 * M), offer(10 * M, 15 * M)], "pickup_after", ASKED)
    assert ranked[1].recommended and codes(ranked[1]) == ["recommended", "closest_time", "later"]
    assert codes(ranked[0]) == ["later"] and ranked[0].labels[0].minutes == 20


def test_arrive_by_prefers_arriving_in_time():
    """For 'arrive by', an offer arriving after the asked time ranks below one arriving before it,
    even when the late one is nearer the time."""
    before = OfferTimes(ASKED - 40 * M, ASKED - 30 * M, ASKED - 12 * M, ASKED, 300)
    after = OfferTimes(ASKED - 20 * M, ASKED - 10 * M, ASKED + 5 * M, ASKED + 15 * M, 300)
    ranked = rank_offers([after, before], "dropoff_before", ASKED)
    assert ranked[1].recommended and ranked[0].rank == 1
    assert codes(ranked[1])[:2] == ["recommended", "keeps_rule"]
    assert ranked[1].labels[1].text_en == "arrives by the time you asked"
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
