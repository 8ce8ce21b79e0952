"""Finding stops by what people type or say: names, readings and the service's aliases (pure).

One search for every channel: the rider app's stop search, the LINE dialogue and the operators'
stop picker (``GET /api/v1/stops?q=``). Names, English names, readings, ids and the aliases of
the service (「やくば」 → 市出張所) are compared as :func:`dispatcher.textfold.search_key`, so
width, katakana/hiragana, spaces and long vowels do not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dispatcher.service_area import StopAlias, StopPoint
from dispatcher.textfold import search_key, words

#: How well a stop matched, best first.
EXACT, PREFIX, PART, ALL_WORDS, CONTAINED = range(5)
#: A name or alias must be at least this long to be found inside a longer text (「びょういんへ」).
MIN_CONTAINED = 2


@dataclass(frozen=True, slots=True)
class StopMatch:
    """A stop found for a query: how well it matched (:data:`EXACT` … :data:`CONTAINED`), and
    the alias word that found it with the alias's note (empty when a name matched)."""

    stop: StopPoint
    score: int
    alias: str = ""
    note_ja: str = ""
    note_en: str = ""

    @property
    def exact(self) -> bool:
        """True when the query is the stop's name, reading or one of its aliases in full."""
        return self.score == EXACT


def _score(query: str, parts: list[str], key: str) -> int | None:
    if not key:
        return None
    if key == query:
        return EXACT
    if key.startswith(query):
        return PREFIX
    if query in key:
        return PART
    if len(parts) > 1 and all(p in key for p in parts):
        return ALL_WORDS
    if len(key) >= MIN_CONTAINED and len(query) > len(key) and key in query:
        return CONTAINED
    return None


def search_stops(stops: Sequence[StopPoint], aliases: Sequence[StopAlias],
                 query: str) -> list[StopMatch]:
    """The stops a query may mean, best match first.

    Parameters
    ----------
    stops
        The service's stops (registry order breaks the last ties).
    aliases
        The service's aliases; an alias naming several stops offers them in its own order.
    query
        What the person typed or said; empty gives every stop, most visited first.

    Returns
    -------
    list[StopMatch]
        Each stop at most once, ordered by match quality, then a stop named by an alias before
        others of the same quality (in the alias's order), then by how often the stop is used.
        A query of several words also matches a stop whose names hold every word.
    """
    q = search_key(query)
    order = {s.id: i for i, s in enumerate(stops)}
    if not q:
        return [StopMatch(s, PART) for s in sorted(stops, key=lambda s: (-s.weight, order[s.id]))]
    parts = words(query)
    best: dict[str, tuple[tuple[int, int, float, int], StopMatch]] = {}

    def offer(stop: StopPoint, score: int, rank: int, alias: StopAlias | None, word: str) -> None:
        key = (score, rank, -stop.weight, order[stop.id])
        if stop.id not in best or key < best[stop.id][0]:
            match = (StopMatch(stop, score, word, alias.note_ja, alias.note_en) if alias
                     else StopMatch(stop, score))
            best[stop.id] = (key, match)

    by_id = {s.id: s for s in stops}
    for alias in aliases:
        found = [(sc, w) for w in alias.words
                 if (sc := _score(q, parts, search_key(w))) is not None]
        if not found:
            continue
        score, word = min(found, key=lambda f: f[0])
        for rank, sid in enumerate(alias.stop_ids):
            if sid in by_id:
                offer(by_id[sid], score, rank, alias, word)
    for s in stops:
        keys = (s.name_ja, s.name_en, s.name_kana, s.id.replace("_", ""))
        scores = [sc for k in keys if (sc := _score(q, parts, search_key(k))) is not None]
        if scores:
            # A name match ranks with the alias matches of its quality, after them.
            offer(s, min(scores), len(stops), None, "")
    return [m for _, m in sorted(best.values(), key=lambda kv: kv[0])]
