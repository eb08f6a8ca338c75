"""GeoNames places: loading, matching a Wikipedia place to one of them, native names.

A Wikipedia place matches a GeoNames place when a name variant of it equals the GeoNames
name or an alternate name (compared by text.match_key) in the same country and, where the
geocoded Wikipedia file has coordinates, the GeoNames place is the candidate nearest to them
and within MATCH_KM. Without coordinates only a single candidate in the country matches.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from countries import TERRITORIES
from text import haversine_km, match_key

# A GeoNames place farther than this from the Wikipedia coordinates is not the same place.
# Geocoders put a municipality's point anywhere in it; Chinese prefecture-level cities and
# large rural municipalities are 30-60 km across.
MATCH_KM = 50.0
# Coordinates of the Wikipedia file are wrong when the GeoNames places within NEAR_KM are all
# in other countries (Bethlehem, United States geocoded to Bethlehem, Palestine; Essen, Belgium
# to Essen, Germany), or, where no place is that near, none of the country is within
# PLAUSIBLE_KM.
NEAR_KM = 30.0
PLAUSIBLE_KM = 150.0


@dataclass(slots=True)
class Place:
    """One row of cities1000."""

    geonameid: int
    name: str
    lat: float
    lon: float
    country: str
    admin1: str
    population: int
    timezone: str
    alternates: list[str] = field(default_factory=list)


@dataclass
class Match:
    """How a Wikipedia place met GeoNames."""

    outcome: str  # "matched", "ambiguous", "unmatched"
    method: str  # how: "nearest", "only-candidate", "no-candidate", "too-far", "no-coordinates"
    place: Place | None = None
    distance_km: float | None = None
    candidates: list[tuple[Place, float | None]] = field(default_factory=list)
    variant: str | None = None  # the name variant that found the candidates
    region: str | None = None  # admin1 name of `place`
    regions: dict[int, str | None] = field(default_factory=dict)  # admin1 names of candidates


class GeoNames:
    """cities1000 with the alternate names of cities15000, indexed by (match key, country)."""

    def __init__(self, geo_dir: Path) -> None:
        self.places: dict[int, Place] = {}
        self._index: dict[tuple[str, str], list[int]] = {}  # main names and alternate names
        self._primary: dict[tuple[str, str], list[int]] = {}  # main names only
        self._grid: dict[tuple[int, int], list[Place]] = {}
        with (geo_dir / "geonames_cities1000.tsv").open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader)
            for gid, name, lat, lon, cc, admin1, pop, tz in reader:
                place = Place(int(gid), name, float(lat), float(lon), cc, admin1, int(pop or 0), tz)
                self.places[place.geonameid] = place
                key = self._add(name, cc, place.geonameid)
                if key:
                    self._primary.setdefault((key, cc), []).append(place.geonameid)
                self._grid.setdefault((math.floor(place.lat), math.floor(place.lon)), []).append(place)
        with (geo_dir / "geonames_cities15000_alternatenames.tsv").open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader)
            for gid, _name, cc, alternates in reader:
                place = self.places.get(int(gid))
                if place is None:
                    continue
                place.alternates = [a for a in alternates.split("|") if a]
                for alternate in place.alternates:
                    self._add(alternate, cc, place.geonameid)
        self.admin1: dict[tuple[str, str], str] = {}
        with (geo_dir / "geonames_admin1_names.tsv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                self.admin1[(row["country_code"], row["admin1_code"])] = row["admin1_name"]

    def _add(self, name: str, cc: str, gid: int) -> str:
        key = match_key(name)
        if key:
            ids = self._index.setdefault((key, cc), [])
            if gid not in ids:
                ids.append(gid)
        return key

    def region(self, place: Place) -> str | None:
        return self.admin1.get((place.country, place.admin1))

    def candidates(self, name: str, cc: str, primary: bool = False) -> list[Place]:
        index = self._primary if primary else self._index
        return [self.places[gid] for gid in index.get((match_key(name), cc), [])]

    def match(self, variants: list[str], cc: str, coords: tuple[float, float] | None,
              region_hint: str | None) -> Match:
        """The GeoNames place of a Wikipedia place, tried variant by variant; for each, the
        places of that main name first, then those with it as an alternate name. A country
        with dependent territories also looks there (Mariehamn of "Finland" is AX in GeoNames).
        """
        for code in (cc, *TERRITORIES.get(cc, ())):
            for variant in variants:
                primary = self.candidates(variant, code, primary=True)
                if primary:
                    m = self._choose(primary, coords, region_hint, variant)
                    if m.outcome == "matched":
                        return self._territory(m, code, cc)
                found = self.candidates(variant, code)
                if found:
                    m = self._choose(found, coords, region_hint, variant)
                    if code == cc or m.outcome == "matched":
                        return self._territory(m, code, cc)
        return Match("unmatched", "no-candidate")

    @staticmethod
    def _territory(m: Match, code: str, cc: str) -> Match:
        if code != cc and m.outcome == "matched":
            m.method += "-in-" + code
        return m

    def _choose(self, found: list[Place], coords: tuple[float, float] | None,
                region_hint: str | None, variant: str) -> Match:
        # A region named in the text ("Lagoa" of "Azores, Portugal", "Suzhou, Jiangsu",
        # "Newport" of "Wales") narrows the candidates; a hint that names no candidate's region
        # (often a parent city: "Mapo (Seoul)") is ignored.
        everyone = found
        hinted = [p for p in found if region_hint and self._in_region(p, region_hint)]
        if hinted:
            found = hinted
        if coords is not None:
            ranked = sorted(((p, haversine_km(coords[0], coords[1], p.lat, p.lon)) for p in found),
                            key=lambda pd: (round(pd[1], 3), -pd[0].population, pd[0].geonameid))
            best, distance = ranked[0]
            if distance <= MATCH_KM:
                return Match("matched", "nearest", best, distance, ranked, variant)
            if hinted and len(hinted) == 1:
                # The text names the region; the geocoder put the name elsewhere.
                return Match("matched", "only-candidate-in-region", best, distance, ranked, variant)
            return Match("unmatched", "too-far", None, None, ranked, variant)
        ranked = [(p, None) for p in sorted(found, key=lambda p: (-p.population, p.geonameid))]
        if len(found) == 1:
            method = "only-candidate-in-region" if hinted and len(everyone) > 1 else "only-candidate"
            return Match("matched", method, found[0], None, ranked, variant)
        return Match("ambiguous", "no-coordinates", None, None, ranked, variant)

    def _in_region(self, place: Place, hint: str) -> bool:
        region = _region_words(self.region(place) or "")
        return bool(region) and region == _region_words(hint)

    def plausible(self, lat: float, lon: float, cc: str) -> bool:
        """Whether a point can lie in country `cc`: a GeoNames place of `cc` is within NEAR_KM,
        or no place at all is that near and one of `cc` is within PLAUSIBLE_KM (remote places)."""
        near = self.nearby(lat, lon, NEAR_KM)
        if near:
            return any(p.country == cc for p in near)
        return any(p.country == cc for p in self.nearby(lat, lon, PLAUSIBLE_KM))

    def nearby(self, lat: float, lon: float, km: float) -> list[Place]:
        """GeoNames places within `km` of a point."""
        dlat = math.ceil(km / 111.0)
        cos = max(math.cos(math.radians(lat)), 0.01)
        dlon = min(180, math.ceil(km / (111.0 * cos)))
        base_lat, base_lon = math.floor(lat), math.floor(lon)
        max_dlat = km / 111.0
        found = []
        for i in range(base_lat - dlat, base_lat + dlat + 1):
            for j in range(base_lon - dlon, base_lon + dlon + 1):
                for place in self._grid.get((i, (j + 180) % 360 - 180), ()):
                    if abs(place.lat - lat) <= max_dlat and haversine_km(lat, lon, place.lat, place.lon) <= km:
                        found.append(place)
        return found


# Words that name the kind of a region rather than the region: "Jiangsu Sheng" = "Jiangsu".
_REGION_KIND = {"sheng", "shi", "zizhiqu", "province", "provincia", "region", "county", "state",
                "oblast", "kray", "krai", "land", "voivodeship", "prefecture", "ken", "fylke",
                "lan", "kommune", "governorate", "department", "departement", "district",
                "autonomous", "republic", "of", "the"}


def _region_words(text: str) -> tuple[str, ...]:
    return tuple(w for w in match_key(text).split() if w not in _REGION_KIND)


# --------------------------------------------------------------------------------------------
# Native names
# --------------------------------------------------------------------------------------------

# Countries whose main language is written in a script of its own, with the letters that tell
# that language's spelling from neighbouring languages' in the same script: a name must use
# only `script` letters, must not contain any `exclude` letter and, if `prefer` is given and
# some candidates contain one of its letters, only those stay. GeoNames' alternate names carry
# no language tags, so a native name is taken only when exactly one candidate is left.
# Countries of several official languages or scripts (IN, PK, KZ, CY, ...), Han-script
# countries (simplified and traditional forms both occur), scripts whose GeoNames names often
# carry a "town"/"village" word (Khmer, Lao, Burmese) and Latin-script countries get no native
# name: the alternate names cannot tell the local form apart. Where several candidates are
# left, the one whose romanization spells the GeoNames main name is taken, if it is the only one.
_CYR = "CYRILLIC"
NATIVE_SCRIPTS: dict[str, dict] = {
    "RU": {"script": (_CYR,), "exclude": "іїєґўјљњћџѓќѕәөүҗңһӣӯѣѳѵ", "not": "ськ"},  # Мурманськ
    # Belarusian has no и, щ or ъ; its spellings romanize like Ukrainian ones (Вітебськ), so no
    # romanization tie-break.
    "BY": {"script": (_CYR,), "exclude": "иїєґщъјљњћџѓќѕ", "prefer": "іў", "romanize": False},
    "UA": {"script": (_CYR,), "exclude": "ыэъёўјљњћџѓќѕ", "prefer": "іїєґ"},
    "BG": {"script": (_CYR,), "exclude": "ыэёіїєґўјљњћџѓќѕ"},
    "RS": {"script": (_CYR,), "exclude": "ыэъёіїєґўйяющѓќѕ"},
    "MK": {"script": (_CYR,), "exclude": "ыэъёіїєґўйяющћђ"},
    "MN": {"script": (_CYR,), "exclude": "іїєґўјљњћџѓќѕ"},
    "GR": {"script": ("GREEK",)},
    "GE": {"script": ("GEORGIAN",)},
    "AM": {"script": ("ARMENIAN",)},
    "IL": {"script": ("HEBREW",)},
    "KR": {"script": ("HANGUL",)},
    "KP": {"script": ("HANGUL",)},
    "TH": {"script": ("THAI",)},
    "JP": {"script": ("CJK", "HIRAGANA", "KATAKANA")},
}
_SCRIPT_CACHE: dict[str, str] = {}


def _script(char: str) -> str:
    """The script of a letter, from its Unicode name ('CYRILLIC SMALL LETTER A' -> CYRILLIC)."""
    cached = _SCRIPT_CACHE.get(char)
    if cached is None:
        name = unicodedata.name(char, "")
        cached = name.split(" ", 1)[0] if name else ""
        _SCRIPT_CACHE[char] = cached
    return cached


def native_name(place: Place) -> str | None:
    """The local-script name of a place: the only candidate left by the country's letter
    rules, or else the only one whose romanization spells the GeoNames main name
    (Новосибирск = Novosibirsk, not Новосибирскай or Новониколаевск)."""
    rule = NATIVE_SCRIPTS.get(place.country)
    if rule is None:
        return None
    scripts, exclude, prefer = rule["script"], rule.get("exclude", ""), rule.get("prefer", "")
    found: list[str] = []
    for name in place.alternates:
        letters = [c for c in name if c.isalpha()]
        if not letters or not all(_script(c) in scripts for c in letters):
            continue
        lower = name.lower()
        if any(c in exclude for c in lower) or ("not" in rule and rule["not"] in lower):
            continue
        if name not in found:
            found.append(name)
    if prefer and any(any(c in prefer for c in n.lower()) for n in found):
        found = [n for n in found if any(c in prefer for c in n.lower())]
    found = _drop_suffixed(found)
    if len(found) > 1 and rule.get("romanize", True):
        target = _loose(match_key(place.name))
        found = [n for n in found if _loose(_romanize(n)) == target]
        if len(found) > 1:  # pre-1918 spellings romanize the same: Новосибирьскъ
            found = [n for n in found if not n.endswith("ъ")]
    return found[0] if len(found) == 1 else None


_ROMAN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi",
    "є": "ye", "ґ": "g", "ў": "w", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz",
    "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
})


def _romanize(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c))
    return match_key(bare.translate(_ROMAN))


def _loose(text: str) -> str:
    """Spelling differences romanizations disagree on: kh/h, ts/c, y/j/i, w/v, doubled letters."""
    text = text.replace("kh", "h").replace("ts", "c").replace("w", "v")
    text = re.sub(r"[yj]", "i", text)
    return re.sub(r"(.)\1+", r"\1", text)


# Administrative suffixes that make a second spelling of the same name ("서울특별시" of "서울").
_SUFFIXES = ("特别市", "特別市", "市", "特別區", "区", "町", "村", "특별시", "광역시", "시", "군", "구")


def _drop_suffixed(names: list[str]) -> list[str]:
    bare = set(names)
    return [n for n in names
            if not any(n.endswith(s) and n[: -len(s)] in bare for s in _SUFFIXES)]


