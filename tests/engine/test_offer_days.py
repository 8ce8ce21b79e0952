"""The offers' days a worker remembers so that accepting need not read the offer twice."""

from datetime import date

from dispatcher.engine.offers import OfferDays


def test_remembers_pops_and_forgets_the_oldest_beyond_capacity() -> None:
    days = OfferDays(capacity=3)
    days.add({"o1": date(2027, 1, 12), "o2": date(2027, 1, 13)})
    days.add({"o3": date(2027, 1, 14), "o4": date(2027, 1, 15)})
    assert days.pop("o1") is None  # the oldest went when the fourth came
    assert days.pop("o2") == date(2027, 1, 13)
    assert days.pop("o2") is None  # popped once
    assert days.pop("o4") == date(2027, 1, 15)
    assert days.pop("unknown") is None
