"""What riders and operators are told when a promise is at risk (pure).

The engine writes ``promise_at_risk`` events (:meth:`dispatcher.engine.Engine.watch`): which part
of the promise (pickup, drop-off, ride time), the level (``late``: expected to be broken;
``at_risk``: may be broken if the roads stay slow) and by how many seconds. This module words
them, Japanese first, for the rider app, LINE and the operations console.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RiskText:
    """The words of one alert in both languages."""

    ja: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``ja`` unless ``en``)."""
        return self.en if lang == "en" else self.ja


def minutes(late_s: int) -> int:
    """Lateness in whole minutes for people (at least 1)."""
    return max(1, (late_s + 59) // 60)


def risk_text(what: str, level: str, late_s: int) -> RiskText:
    """The rider's words for a promise at risk.

    Examples
    --------
    >>> risk_text("pickup", "late", 250).ja
    'お迎えが約5分遅れる見込みです。ご迷惑をおかけして申し訳ありません。'
    >>> risk_text("dropoff", "at_risk", 60).en
    'Because of traffic, you may arrive a little later than promised.'
    """
    m = minutes(late_s)
    if level == "late":
        if what == "pickup":
            return RiskText(f"お迎えが約{m}分遅れる見込みです。ご迷惑をおかけして申し訳ありません。",
                            f"Your pickup is expected about {m} min late. We are sorry.")
        return RiskText(f"到着が約{m}分遅れる見込みです。ご迷惑をおかけして申し訳ありません。",
                        f"You are expected to arrive about {m} min late. We are sorry.")
    if what == "pickup":
        return RiskText("道路状況により、お迎えが少し遅れる可能性があります。",
                        "Because of traffic, your pickup may be a little late.")
    return RiskText("道路状況により、到着が約束の時刻より少し遅れる可能性があります。",
                    "Because of traffic, you may arrive a little later than promised.")


def recovered_text() -> RiskText:
    """The rider's words when a promise is safe again."""
    return RiskText("お迎えの遅れは解消しました。予定どおり運行します。",
                    "The delay is over: your trip is on time again.")
