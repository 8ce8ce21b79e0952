"""Finding stops by what people type or say (pure): text folding, the service's aliases, ranking."""

from __future__ import annotations

import pytest

from dispatcher.errors import InvalidInput
from dispatcher.service_area import StopAlias, StopPoint, aliases_from_dict
from dispatcher.services import load_service
from dispatcher.stop_search import ALL_WORDS, CONTAINED, EXACT, PART, PREFIX, search_stops
from dispatcher.textfold import fold, search_key, words


@pytest.fixture(scope="module")
def mitsugi():
    """The shipped Mitsugi service with its aliases.toml."""
    return load_service("mitsugi")


@pytest.mark.parametrize(("a", "b"), [
    ("ﾔｸﾊﾞ", "やくば"),                  # half-width katakana
    ("ヤクバ", "やくば"),                # katakana
    ("みちの　えき", "みちのえき"),       # full-width space
    ("みちの えき", "ミチノエキ"),
    ("スーパー", "すうぱあ"),            # long vowel mark vs vowel kana
    ("スーパー", "すーぱ"),
    ("こーりつ", "こうりつ"),
    ("びょーいん", "びょういん"),
    ("ＨＯＳＰＩＴＡＬ", "hospital"),    # full-width Latin, case
    ("ちぢみ", "ちじみ"),                # ぢ and じ sound the same
])
def test_spellings_fold_to_one_key(a, b):
    """Width, script, spaces, long vowels and ぢ/づ do not change the search key."""
    assert search_key(a) == search_key(b)


@pytest.mark.parametrize(("a", "b"), [("やくば", "やきば"), ("ほんむら", "ほむら"), ("はた", "ばた")])
def test_different_words_stay_different(a, b):
    """Folding is not so loose that different names meet (a sound, ん, a dakuten)."""
    assert search_key(a) != search_key(b)


def test_fold_keeps_what_the_dialogue_reads():
    """fold (used by the LINE dialogue for numbers and times) only normalises width, case, kana and
    spaces: 「きょう」 keeps its う, so 「今日/きょう」 is still read."""
    assert fold("キョウ　１０時") == "きょう10時"
    assert words("みつぎ　びょういん") == [search_key("みつぎ"), search_key("びょういん")]


@pytest.mark.parametrize(("query", "first", "alias"), [
    ("やくば", "ichi_office", "やくば"),
    ("ﾔｸﾊﾞ", "ichi_office", "やくば"),
    ("みちの えき", "crossroad_mitsugi", "みちのえき"),
    ("スーパー", "crossroad_mitsugi", "スーパー"),
    ("すうぱあ", "crossroad_mitsugi", "スーパー"),
    ("びょういん", "hospital", "びょういん"),
    ("ビョーイン", "hospital", "びょういん"),
    ("いちしゅっちょうじょ", "ichi_office", ""),   # the reading itself, no alias needed
    ("hospital", "hospital", ""),
])
def test_shipped_aliases_find_the_stop_people_mean(mitsugi, query, first, alias):
    """The words people say in Mitsugi, however typed, find the stop first (with the alias that
    found it, or none when a name matched)."""
    found = search_stops(mitsugi.stops, mitsugi.aliases, query)
    assert found[0].stop.id == first
    assert found[0].alias == alias
    assert found[0].exact


def test_one_word_many_stops_in_the_aliases_order(mitsugi):
    """「えき」 means every stop with buses to the station, in the alias's order, with the note;
    the roadside station (みちのえき holds えき) comes after them."""
    found = search_stops(mitsugi.stops, mitsugi.aliases, "えき")
    assert [m.stop.id for m in found] == ["ichi_office", "hospital_entrance", "crossroad_mitsugi"]
    assert found[0].note_ja.startswith("尾道駅") and found[0].note_en
    assert found[2].score == PART


def test_match_quality_orders_results(mitsugi):
    """Exact before prefix before part; a text that holds a name finds it last (LINE free text)."""
    names = search_stops(mitsugi.stops, mitsugi.aliases, "ほんむら")
    assert [(m.stop.id, m.score) for m in names] == [("honmura", EXACT), ("honmura_kami", PREFIX)]
    assert search_stops(mitsugi.stops, mitsugi.aliases, "びょういんまで")[0].score == CONTAINED
    # Words in another order: every word is found in one name.
    both = search_stops(mitsugi.stops, mitsugi.aliases, "びょういん みつぎ")
    assert {m.stop.id for m in both} == {"hospital", "hospital_entrance"}
    assert {m.score for m in both} == {ALL_WORDS}
    assert search_stops(mitsugi.stops, mitsugi.aliases, "zzz") == []


def test_empty_query_lists_every_stop_most_used_first(mitsugi):
    """No query: every stop, by weight (the hospital first)."""
    found = search_stops(mitsugi.stops, mitsugi.aliases, "  ")
    assert len(found) == len(mitsugi.stops) and found[0].stop.id == "hospital"


def test_aliases_are_data_checked_at_load():
    """Aliases come from data; an entry naming an unknown stop, or with no words, is refused."""
    stops = (StopPoint("a", "甲", "A", "こう", 34.5, 133.1),)
    assert aliases_from_dict({"aliases": [{"words": ["x"], "stops": ["a"]}]}, stops) == (
        StopAlias(("x",), ("a",)),)
    with pytest.raises(InvalidInput):
        aliases_from_dict({"aliases": [{"words": ["x"], "stops": ["nowhere"]}]}, stops)
    with pytest.raises(InvalidInput):
        aliases_from_dict({"aliases": [{"words": [" "], "stops": ["a"]}]}, stops)
    # A service with other aliases finds other stops: nothing is written in code.
    own = (StopAlias(("えき",), ("a",)),)
    assert search_stops(stops, own, "エキ")[0].stop.id == "a"
