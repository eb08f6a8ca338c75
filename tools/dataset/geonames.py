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


class GeoNames:
    """cities1000 with the alternate names of cities15000, indexed by (match key, country)."""

    def __init__(self, geo_dir: Path) -> None:
        self.places: dict[int, Place] = {}
        self._index: dict[tuple[str, str], list[int]] = {}
        self._grid: dict[tuple[int, int], list[Place]] = {}
        with (geo_dir / "geonames_cities1000.tsv").open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader)
            for gid, name, lat, lon, cc, admin1, pop, tz in reader:
                place = Place(int(gid), name, float(lat), float(lon), cc, admin1, int(pop or 0), tz)
                self.places[place.geonameid] = place
                self._add(name, cc, place.geonameid)
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

    def _add(self, name: str, cc: str, gid: int) -> None:
        key = match_key(name)
        if key:
            ids = self._index.setdefault((key, cc), [])
            if gid not in ids:
                ids.append(gid)

    def region(self, place: Place) -> str | None:
        return self.admin1.get((place.country, place.admin1))

    def candidates(self, name: str, cc: str) -> list[Place]:
        return [self.places[gid] for gid in self._index.get((match_key(name), cc), [])]

    def match(self, variants: list[str], cc: str, coords: tuple[float, float] | None,
              region_hint: str | None) -> Match:
        """The GeoNames place of a Wikipedia place, tried variant by variant."""
        for variant in variants:
            found = self.candidates(variant, cc)
            if found:
                return self._choose(found, coords, region_hint, variant)
        return Match("unmatched", "no-candidate")

    def _choose(self, found: list[Place], coords: tuple[float, float] | None,
                region_hint: str | None, variant: str) -> Match:
        if coords is not None:
            ranked = sorted(((p, haversine_km(coords[0], coords[1], p.lat, p.lon)) for p in found),
                            key=lambda pd: (round(pd[1], 3), -pd[0].population, pd[0].geonameid))
            best, distance = ranked[0]
            if distance <= MATCH_KM:
                return Match("matched", "nearest", best, distance, ranked, variant)
            return Match("unmatched", "too-far", None, None, ranked, variant)
        if region_hint:
            hinted = [p for p in found if self._in_region(p, region_hint)]
            if len(hinted) == 1:
                return Match("matched", "only-candidate-in-region", hinted[0], None,
                             [(p, None) for p in found], variant)
        ranked = [(p, None) for p in sorted(found, key=lambda p: (-p.population, p.geonameid))]
        if len(found) == 1:
            return Match("matched", "only-candidate", found[0], None, ranked, variant)
        return Match("ambiguous", "no-coordinates", None, None, ranked, variant)

    def _in_region(self, place: Place, hint: str) -> bool:
        region = match_key(self.region(place) or "")
        hint_key = match_key(hint)
        return bool(region and hint_key) and (hint_key in region or region in hint_key)

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
# name: the alternate names cannot tell the local form apart.
_CYR = "CYRILLIC"
NATIVE_SCRIPTS: dict[str, dict] = {
    "RU": {"script": (_CYR,), "exclude": "іїєґўјљњћџѓќѕ"},
    "BY": {"script": (_CYR,), "exclude": "їєґјљњћџѓќѕ", "prefer": "іў"},
    "UA": {"script": (_CYR,), "exclude": "ыэъёўјљњћџѓќѕ"},
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
    """The local-script name of a place, when the alternate names leave exactly one."""
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
        if any(c in exclude for c in lower):
            continue
        if name not in found:
            found.append(name)
    if prefer and any(any(c in prefer for c in n.lower()) for n in found):
        found = [n for n in found if any(c in prefer for c in n.lower())]
    found = _drop_suffixed(found)
    return found[0] if len(found) == 1 else None


# Administrative suffixes that make a second spelling of the same name ("서울특별시" of "서울").
_SUFFIXES = ("特别市", "特別市", "市", "特別區", "区", "町", "村", "특별시", "광역시", "시", "군", "구")


def _drop_suffixed(names: list[str]) -> list[str]:
    bare = set(names)
    return [n for n in names
            if not any(n.endswith(s) and n[: -len(s)] in bare for s in _SUFFIXES)]


