"""Text helpers shared by the dataset build: ASCII folding, slugs, match keys, distances."""

from __future__ import annotations

import math
import re
import unicodedata

# Letters that NFKD does not decompose into ASCII.
FOLD = str.maketrans({
    "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L",
    "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "œ": "oe", "Œ": "OE", "ħ": "h", "Ħ": "H",
    "ŋ": "ng", "ſ": "s", "ŀ": "l", "Ŀ": "L", "ĸ": "k",
    # Apostrophes and okinas vanish rather than split a word: Ch'ŏngjin -> chongjin.
    "'": "", "’": "", "‘": "", "ʻ": "", "ʼ": "", "`": "", "´": "",
})

# Words that are spelled several ways in place names; the match key uses the long form.
WORD_FORMS = {"st": "saint", "ste": "sainte", "sta": "santa", "sto": "santo", "mt": "mount",
              "ft": "fort", "pt": "port"}


_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SHORT_FORM = re.compile(r"\b(?:" + "|".join(WORD_FORMS) + r")\b")


def ascii_fold(text: str) -> str:
    """Latin letters without diacritics; other scripts vanish: 'Tromsø' -> 'Tromso'."""
    if text.isascii():
        return text.translate(FOLD)
    decomposed = unicodedata.normalize("NFKD", text.translate(FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slug(text: str) -> str:
    """Lowercase ASCII slug of an English name, as data/build_founding.py makes them."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def match_key(text: str) -> str:
    """Key under which two spellings of a place name compare equal.

    Case, diacritics, punctuation and spacing are ignored and a few abbreviations are spelled
    out ('St. Petersburg' = 'Saint Petersburg' = 'Saint-Petersburg'). Non-Latin text gives ''.
    """
    key = _NON_ALNUM.sub(" ", ascii_fold(text).lower()).strip()
    if _SHORT_FORM.search(key):
        key = _SHORT_FORM.sub(lambda m: WORD_FORMS[m.group(0)], key)
    return key


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))
