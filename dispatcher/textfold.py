"""Folding Japanese and English text for matching what people type (pure).

:func:`fold` makes two spellings of the same words equal as far as width, case, kana script and
spaces go; :func:`search_key` goes further for place names, where people spell long vowels as
they hear them (「スーパー」「すーぱー」「すうぱあ」, 「こうりつ」「こーりつ」): long vowel marks
are dropped and a vowel kana that only lengthens the one before it is dropped too. Both sides of
a comparison are folded the same way, so a collapsed spelling only ever meets another collapsed
spelling.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
#: Marks people use for a long vowel (after NFKC the half-width ｰ is ー already).
_LONG_MARKS = frozenset("ー〜～")
#: The vowel of each hiragana (small kana included), for the lengthening rule.
_VOWEL_OF: dict[str, str] = {}
for _vowel, _kana in (
    ("a", "あかさたなはまやらわがざだばぱぁゃゎ"),
    ("i", "いきしちにひみりぎじぢびぴぃ"),
    ("u", "うくすつぬふむゆるぐずづぶぷぅゅゔ"),
    ("e", "えけせてねへめれげぜでべぺぇ"),
    ("o", "おこそとのほもよろをごぞどぼぽぉょ"),
):
    _VOWEL_OF.update(dict.fromkeys(_kana, _vowel))
#: Kana written two ways for one sound (ぢ/じ, づ/ず): people type the common one.
_SAME_SOUND = {"ぢ": "じ", "づ": "ず"}
#: Kana that lengthen a syllable of each vowel: かあ, きい, くう, けい/けえ, こう/こお.
_LENGTHENS = {"a": "あ", "i": "い", "u": "う", "e": "いえ", "o": "うお"}


def fold(text: str) -> str:
    """Normalise for matching: NFKC (full-width letters and digits, half-width kana), lower
    case, katakana to hiragana, every space removed.

    Examples
    --------
    >>> fold("ﾐﾁﾉ　エキ")
    'みちのえき'
    >>> fold("０９０－１２３４")
    '090-1234'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)
    return _SPACES.sub("", text)


def search_key(text: str) -> str:
    """:func:`fold`, then long vowels collapsed: marks (ー) dropped, and a vowel kana dropped
    where it only lengthens the syllable before it; ぢ/づ read as じ/ず.

    Examples
    --------
    >>> search_key("スーパー") == search_key("すうぱあ") == search_key("すーぱ") == "すぱ"
    True
    >>> search_key("公立 みつぎ")
    '公立みつぎ'
    """
    out: list[str] = []
    for c in fold(text):
        c = _SAME_SOUND.get(c, c)
        if c in _LONG_MARKS:
            continue
        if out and c in _LENGTHENS.get(_VOWEL_OF.get(out[-1], ""), ""):
            continue
        out.append(c)
    return "".join(out)


def words(text: str) -> list[str]:
    """The space-separated words of ``text`` (full-width spaces count), each as a search key."""
    parts = _SPACES.split(unicodedata.normalize("NFKC", text).strip())
    return [k for k in (search_key(p) for p in parts) if k]
