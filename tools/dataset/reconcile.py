"""Reconciliation: Wikipedia place strings -> cities, rows -> partnerships, plus GeoNames,
Wikidata, the founding document and the Baltic list. Produces a `World` that output.py turns
into the interchange document and the report.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bsr import BSR_FILE, BsrRow, name_variants, read_bsr
from countries import Countries
from geonames import MATCH_KM, NEAR_KM, GeoNames, Match, Place
from text import haversine_km, match_key, slug
from wikidata import NAMES_FILE, RELATIONS_FILE, Wikidata, qid_order
from wikipedia import GEOCODED_FILE, RAW_FILE, Name, Row, read_coordinates, read_rows, resolve_name

REPO = Path(__file__).resolve().parents[2]
RAW_DEFAULT = REPO / ".." / "shared" / "data" / "raw"
FOUNDING_DEFAULT = REPO / "data" / "founding.json"
KEY_MAX = 120

# The constituent country of a United Kingdom string: GeoNames' admin1 of GB, and what tells
# Newport, Wales from Newport, England.
UK_PARTS = ("England", "Scotland", "Wales", "Northern Ireland")


@dataclass
class City:
    """One city of the output: one or more Wikipedia strings of the same place."""

    names: list[Name]
    country: str
    place: Place | None = None
    match: Match | None = None
    founding: dict | None = None
    merged_by: list[str] = field(default_factory=list)
    name: str = ""
    key: str = ""
    qid: str | None = None
    qid_outcome: str = ""
    qid_candidates: list[str] = field(default_factory=list)
    partners: int = 0  # distinct partner cities in the Wikipedia rows

    @property
    def coords(self) -> tuple[float, float] | None:
        if self.place is not None:
            return (self.place.lat, self.place.lon)
        for n in self.names:
            if n.coords is not None:
                return n.coords
        return None

    @property
    def uk_part(self) -> str | None:
        return uk_part(self.names[0])

    def name_keys(self) -> list[str]:
        keys: list[str] = []
        for n in self.names:
            for v in [n.raw_name, *n.variants()]:
                keys.append(match_key(v))
        if self.place is not None:
            keys.append(match_key(self.place.name))
            keys.extend(match_key(a) for a in self.place.alternates)
        if self.founding is not None:
            keys.append(match_key(self.founding["name"]))
        return sorted({k for k in keys if k})


@dataclass
class Partnership:
    key: str
    cities: tuple[str, str]  # city keys, in the order of the record
    rows: list[int] = field(default_factory=list)  # input lines that name this pair
    founding: dict | None = None
    year: int | None = None
    bsr_lines: list[int] = field(default_factory=list)
    in_wikidata: bool = False


@dataclass
class World:
    """Everything the build found, for the document and the report."""

    inputs: dict[str, dict]
    rows: list[Row]
    names: dict[tuple[str, str], Name]
    name_matches: dict[tuple[str, str], Match]
    dropped_coords: dict[tuple[str, str], tuple[float, float]]
    cities: list[City]
    city_of: dict[tuple[str, str], City]
    row_outcome: dict[int, tuple[str, str | None]]  # line -> (outcome, partnership key)
    partnerships: dict[frozenset, Partnership]
    founding: dict
    wikidata: Wikidata
    wikidata_pairs: list[tuple[str, str, str, str | None, str | None]]  # outcome, q1, q2, c1, c2
    bsr_rows: list[BsrRow]
    bsr_outcome: dict[int, tuple[str, str | None, str | None, str | None]]
    countries: Countries
    geonames_places: int = 0


def uk_part(name: Name) -> str | None:
    for part in UK_PARTS:
        if name.raw_country.startswith(part):
            return part
    return None


# The Baltic Sea Region list states no licence: nothing derived from it may ship. Its rows are
# read only to account for them in the report, unless a build opts in for local research.
BSR_EXCLUDED = "excluded-no-licence"


def reconcile(raw: Path, founding_path: Path, with_bsr_years: bool = False) -> World:
    countries = Countries(raw / "geo" / "geonames_countries.json")
    rows = read_rows(raw)
    geocoded = read_coordinates(raw)
    geo = GeoNames(raw / "geo")
    wikidata = Wikidata(raw)
    founding = json.loads(founding_path.read_text(encoding="utf-8"))

    names = collect_names(rows, countries, geocoded)
    name_matches, dropped = match_names(names, geo)
    cities = group_cities(names, name_matches)
    match_founding(cities, founding, wikidata)
    for city in cities:
        city.name = display_name(city)
    city_of = {n.ident: c for c in cities for n in c.names}
    count_partners(rows, city_of)
    assign_keys(cities, founding)
    row_outcome, partnerships = pair_rows(rows, city_of, founding)
    wikidata_pairs = match_wikidata(cities, partnerships, wikidata)
    bsr_rows = read_bsr(raw)
    if with_bsr_years:
        bsr_outcome = apply_bsr(bsr_rows, cities, partnerships, countries)
    else:
        bsr_outcome = {row.line: (BSR_EXCLUDED, None, None, None) for row in bsr_rows}

    return World(
        inputs=input_files(raw, founding_path, rows, wikidata, bsr_rows, len(geo.places),
                           with_bsr_years),
        rows=rows, names=names, name_matches=name_matches, dropped_coords=dropped, cities=cities,
        city_of=city_of, row_outcome=row_outcome, partnerships=partnerships, founding=founding,
        wikidata=wikidata, wikidata_pairs=wikidata_pairs, bsr_rows=bsr_rows, bsr_outcome=bsr_outcome,
        countries=countries, geonames_places=len(geo.places))


def input_files(raw: Path, founding_path: Path, rows, wikidata, bsr_rows, places,
                with_bsr_years: bool) -> dict:
    """What was read, with sizes and digests, for the report."""

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    files = {
        RAW_FILE: {"rows": len(rows)},
        GEOCODED_FILE: {},
        NAMES_FILE: {"rows": len(wikidata.labels)},
        RELATIONS_FILE: {"rows": wikidata.directed_rows, "unorderedPairs": len(wikidata.pairs)},
        BSR_FILE: {"rows": len(bsr_rows), "used": with_bsr_years,
                   "licence": "none stated; for local research only (--with-bsr-years)"},
        "geo/geonames_cities1000.tsv": {"rows": places},
        "geo/geonames_cities15000_alternatenames.tsv": {},
        "geo/geonames_admin1_names.tsv": {},
        "geo/geonames_countries.json": {},
    }
    out = {}
    for rel, info in files.items():
        out[rel] = {**info, "sha256": digest(raw / rel)}
    out["founding"] = {"path": "data/founding.json", "sha256": digest(founding_path)}
    return out


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------

def collect_names(rows: list[Row], countries: Countries, geocoded) -> dict[tuple[str, str], Name]:
    names: dict[tuple[str, str], Name] = {}
    for row in rows:
        for ident in (row.a, row.b):
            name = names.get(ident)
            if name is None:
                name = names[ident] = Name(*ident)
                resolve_name(name, countries)
                name.coords = geocoded.get(ident)
                if name.region_hint is None:
                    name.region_hint = uk_part(name)
            name.rows += 1
    return names


def match_names(names: dict[tuple[str, str], Name], geo: GeoNames):
    """GeoNames match of every string; implausible Wikipedia coordinates are dropped first."""
    matches: dict[tuple[str, str], Match] = {}
    dropped: dict[tuple[str, str], tuple[float, float]] = {}
    for ident, name in names.items():
        if name.country is None:
            matches[ident] = Match("unmatched", "no-country")
            continue
        m = geo.match(name.variants(), name.country, name.coords, name.hint())
        near = m.outcome == "matched" and m.distance_km is not None and m.distance_km <= NEAR_KM
        if name.coords is not None and not near and not geo.plausible(*name.coords, name.country):
            dropped[ident] = name.coords
            name.coords = None
            m = geo.match(name.variants(), name.country, None, name.hint())
        matches[ident] = m
        if m.place is not None and m.place.country != name.country:
            name.country_via += "+territory"  # "Mariehamn, Finland" is in AX
            name.country = m.place.country
        if m.place is not None:
            m.region = geo.region(m.place)
        m.regions = {p.geonameid: geo.region(p) for p, _ in m.candidates}
    return matches, dropped


def group_cities(names: dict[tuple[str, str], Name], matches: dict[tuple[str, str], Match]) -> list[City]:
    """Strings of one place become one city: same GeoNames place; or an unmatched string with
    the name, country (and UK constituent country) of exactly one matched city; or unmatched
    strings with the same name and country."""
    by_place: dict[int, City] = {}
    unmatched: dict[tuple[str, str, str], City] = {}
    cities: list[City] = []
    for ident, name in names.items():
        if name.country is None:
            continue
        m = matches[ident]
        if m.place is not None:
            city = by_place.get(m.place.geonameid)
            if city is None:
                city = by_place[m.place.geonameid] = City([name], name.country, m.place, m)
                cities.append(city)
            else:
                city.names.append(name)
                city.merged_by.append("same GeoNames place")
    matched_by_name: dict[tuple[str, str, str], list[City]] = {}
    for city in cities:
        for key in sorted({(canonical_name(n.name), city.country, uk_part(n) or "") for n in city.names}):
            matched_by_name.setdefault(key, []).append(city)
    for ident, name in names.items():
        if name.country is None or matches[ident].place is not None:
            continue
        key = (canonical_name(name.name), name.country, uk_part(name) or "")
        targets = matched_by_name.get(key, [])
        if len(targets) == 1:
            targets[0].names.append(name)
            targets[0].merged_by.append("same name and country as a matched spelling")
        elif key in unmatched:
            unmatched[key].names.append(name)
            unmatched[key].merged_by.append("same name and country")
        else:
            city = unmatched[key] = City([name], name.country, None, matches[ident])
            cities.append(city)
    return cities


def canonical_name(text: str) -> str:
    """Match key that also equates the two district spellings 'Bonn – Hardtberg' and
    'Hardtberg (Bonn)'."""
    for dash in (" – ", " — "):
        if dash in text:
            parent, part = text.split(dash, 1)
            return f"{match_key(part)} ({match_key(parent)})"
    m = re.fullmatch(r"(.+?) \((.+)\)", text)
    if m and not m.group(2)[0].islower():
        return f"{match_key(m.group(1))} ({match_key(m.group(2))})"
    return match_key(text) or text


def match_founding(cities: list[City], founding: dict, wikidata: Wikidata) -> None:
    """Founding cities take over the Wikipedia city of the same place: same country, a name in
    common (the founding name, its translations or the 2016 Wikidata label of its id: Szczecin
    is "Stettin" there) and, where both have coordinates, within MATCH_KM. Two Wikipedia
    cities of one founding city are merged."""
    for record in founding.get("cities", []):
        fkeys = {match_key(record["name"]), *(match_key(n) for n in record.get("names", {}).values())}
        if record.get("wikidataId") in wikidata.labels:
            fkeys.add(match_key(wikidata.labels[record["wikidataId"]]))
        fkeys.discard("")
        found = []
        for city in cities:
            if city.country != record["countryCode"] or not fkeys & set(city.name_keys()):
                continue
            here = city.coords
            if here is not None and "latitude" in record:
                if haversine_km(here[0], here[1], record["latitude"], record["longitude"]) > MATCH_KM:
                    continue
            found.append(city)
        if not found:
            continue
        keep = found[0]
        keep.founding = record
        for other in found[1:]:
            keep.names.extend(other.names)
            keep.merged_by.append(f"same founding city {record['key']}")
            cities.remove(other)


def display_name(city: City) -> str:
    """The founding name, else the spelling used by the most rows (then the shortest)."""
    if city.founding is not None:
        return city.founding["name"]
    best = sorted(city.names, key=lambda n: (-n.rows, len(n.name), n.name))[0]
    return best.name


def count_partners(rows: list[Row], city_of: dict) -> None:
    partners: dict[int, set[int]] = {}
    for row in rows:
        a, b = city_of.get(row.a), city_of.get(row.b)
        if a is not None and b is not None and a is not b:
            partners.setdefault(id(a), set()).add(id(b))
            partners.setdefault(id(b), set()).add(id(a))
    for city in {id(c): c for c in city_of.values()}.values():
        city.partners = len(partners.get(id(city), ()))


def assign_keys(cities: list[City], founding: dict) -> None:
    """The slug of the name. When several cities share a slug, the one with strictly the most
    partners keeps it (Bethlehem, Palestine: 72; Bethlehem, United States: 2) and the others
    add their country code, then their region, then their GeoNames id. Founding cities keep
    their keys, which no other city may take (every other Jacksonville is `jacksonville-us-…`)."""
    reserved = {c["key"] for c in founding.get("cities", [])}
    for city in cities:
        if city.founding is not None:
            city.key = city.founding["key"]
    rest = [c for c in cities if c.founding is None]
    groups: dict[str, list[City]] = {}
    for city in rest:
        base = fit_key(slug(city.name) or "place")
        groups.setdefault(base, []).append(city)
    for base in sorted(groups):
        group = sorted(groups[base], key=lambda c: -c.partners)
        if base not in reserved and (len(group) == 1 or group[0].partners > group[1].partners):
            group[0].key = base
            group = group[1:]
        for city in group:
            city.key = f"{base}-{city.country.lower()}"
        for level in ("region", "geonameid"):
            by_key: dict[str, list[City]] = {}
            for city in group:
                by_key.setdefault(city.key, []).append(city)
            for key, same in by_key.items():
                if len(same) > 1:
                    for city in same:
                        city.key = f"{key}-{disambiguator(city, level)}".rstrip("-")
    for city in rest:
        city.key = fit_key(city.key)
    keys = [c.key for c in cities]
    if len(keys) != len(set(keys)):
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"city keys collide: {dupes[:10]}")


def disambiguator(city: City, level: str) -> str:
    if level == "region":
        if city.place is not None and city.match is not None and city.match.region:
            return slug(city.match.region)
        return slug(city.uk_part or "")
    if city.place is not None:
        return str(city.place.geonameid)
    return slug(city.names[0].raw_country)


def fit_key(key: str) -> str:
    if len(key) <= KEY_MAX:
        return key
    return key[:KEY_MAX].rstrip("-")


# --------------------------------------------------------------------------------------------
# Pairs
# --------------------------------------------------------------------------------------------

def pair_rows(rows: list[Row], city_of: dict, founding: dict):
    """Each row becomes a partnership, a duplicate of an earlier row's, or is dropped."""
    founding_pairs: dict[frozenset, dict] = {}
    for record in sorted(founding.get("partnerships", []), key=lambda r: r["key"]):
        founding_pairs.setdefault(frozenset(record["cities"]), record)
    used_keys = {r["key"] for r in founding.get("partnerships", [])}
    outcome: dict[int, tuple[str, str | None]] = {}
    partnerships: dict[frozenset, Partnership] = {}
    for row in rows:
        a, b = city_of.get(row.a), city_of.get(row.b)
        if a is None or b is None:
            outcome[row.line] = ("unresolved-country", None)
            continue
        if a is b:
            outcome[row.line] = ("self-pair", None)
            continue
        pair = frozenset((a.key, b.key))
        existing = partnerships.get(pair)
        if existing is not None:
            existing.rows.append(row.line)
            outcome[row.line] = ("duplicate", existing.key)
            continue
        record = founding_pairs.get(pair)
        if record is not None:
            p = Partnership(record["key"], tuple(record["cities"]), [row.line], record)
            outcome[row.line] = ("founding-partnership", p.key)
        else:
            first, second = sorted((a.key, b.key))
            p = Partnership(partnership_key(first, second, used_keys), (first, second), [row.line])
            outcome[row.line] = ("partnership", p.key)
        used_keys.add(p.key)
        partnerships[pair] = p
    return outcome, partnerships


def partnership_key(first: str, second: str, used: set[str]) -> str:
    """`<a>-<b>` of the sorted city keys; city keys contain '-', so two pairs can spell the
    same key: the later one, and any that equals a founding key, gets a suffix."""
    half = (KEY_MAX - 1) // 2
    key = f"{first}-{second}" if len(first) + len(second) + 1 <= KEY_MAX else \
        f"{fit_key(first[:half])}-{fit_key(second[:half])}"
    if key not in used:
        return key
    for n in range(2, 1000):
        candidate = fit_key(f"{key[:KEY_MAX - 4]}-{n}")
        if candidate not in used:
            return candidate
    raise ValueError(f"no free key for {first} / {second}")


# --------------------------------------------------------------------------------------------
# Wikidata
# --------------------------------------------------------------------------------------------

def match_wikidata(cities: list[City], partnerships: dict[frozenset, Partnership], wd: Wikidata):
    """Gives cities the Wikidata ids their pairs corroborate; classifies every P190 pair."""
    candidates = {c.key: wd.candidates(c.name_keys()) for c in cities}
    votes: dict[str, dict[str, int]] = {c.key: {} for c in cities}
    for pair in partnerships.values():
        a, b = pair.cities
        for qa in candidates[a]:
            for qb in candidates[b]:
                if qa != qb and wd.has_pair(qa, qb):
                    votes[a][qa] = votes[a].get(qa, 0) + 1
                    votes[b][qb] = votes[b].get(qb, 0) + 1
    for city in cities:
        if city.founding is not None:
            city.qid = city.founding.get("wikidataId")
            city.qid_outcome = "founding" if city.qid else "founding-without-id"
            continue
        count = votes[city.key]
        found = sorted(count, key=lambda q: (-count[q], qid_order(q)))
        if len(found) == 1:
            city.qid, city.qid_outcome = found[0], "matched"
        elif found and count[found[0]] >= 2 and count[found[0]] > 2 * count[found[1]]:
            # Tirana: 9 pairs corroborate Q19689 (Tirana), 1 pair Q26175 (Trnava).
            city.qid, city.qid_outcome = found[0], "matched-by-majority"
            city.qid_candidates = found
        elif found:
            city.qid_outcome, city.qid_candidates = "ambiguous", found
        elif candidates[city.key]:
            city.qid_outcome, city.qid_candidates = "label-without-pair", candidates[city.key][:10]
        else:
            city.qid_outcome = "no-label"
    holders: dict[str, list[City]] = {}
    for city in cities:
        if city.qid:
            holders.setdefault(city.qid, []).append(city)
    for qid, held in holders.items():
        if len(held) > 1:
            keep = [c for c in held if c.founding is not None]
            for city in held:
                if city in keep and len(keep) == 1:
                    continue
                city.qid_candidates = [qid]
                city.qid_outcome = "conflict:" + ",".join(sorted(c.key for c in held if c is not city))
                city.qid = None
    city_of_qid = {c.qid: c.key for c in cities if c.qid}
    results = []
    for q1, q2 in wd.pairs:
        c1, c2 = city_of_qid.get(q1), city_of_qid.get(q2)
        if c1 and c2:
            p = partnerships.get(frozenset((c1, c2)))
            if p is not None:
                p.in_wikidata = True
                results.append(("both", q1, q2, c1, c2))
            else:
                results.append(("only-wikidata", q1, q2, c1, c2))
        else:
            results.append(("unresolved", q1, q2, c1, c2))
    return results


# --------------------------------------------------------------------------------------------
# Baltic Sea Region list (establishment years)
# --------------------------------------------------------------------------------------------

def apply_bsr(rows: list[BsrRow], cities: list[City], partnerships: dict[frozenset, Partnership],
              countries: Countries):
    """Years of the Baltic list go to the Wikipedia partnerships of the same pair."""
    index: dict[tuple[str, str], set[str]] = {}
    for city in cities:
        for key in city.name_keys():
            index.setdefault((key, city.country), set()).add(city.key)

    def find(side: tuple[str, str]) -> tuple[str | None, str]:
        country = countries.resolve(side[1])
        if country is None:
            return None, "country"
        for variant in name_variants(side[0]):
            found = index.get((match_key(variant), country.code))
            if found:
                if len(found) == 1:
                    return next(iter(found)), ""
                return None, "ambiguous:" + ",".join(sorted(found))
        return None, "no-city"

    outcome: dict[int, tuple[str, str | None, str | None, str | None]] = {}
    years: dict[frozenset, set[int]] = {}
    for row in rows:
        (ka, why_a), (kb, why_b) = find(row.a), find(row.b)
        if ka is None or kb is None:
            outcome[row.line] = ("city-not-found", ka, kb, why_a or why_b)
            continue
        if ka == kb:
            outcome[row.line] = ("self-pair", ka, kb, None)
            continue
        pair = frozenset((ka, kb))
        p = partnerships.get(pair)
        if p is None:
            outcome[row.line] = ("not-in-wikipedia-2026", ka, kb, None)
        elif p.founding is not None:
            outcome[row.line] = ("founding-partnership", ka, kb, p.key)
        else:
            p.bsr_lines.append(row.line)
            if row.year:
                years.setdefault(pair, set()).add(row.year)
            outcome[row.line] = ("year" if row.year else "listed-without-year", ka, kb, p.key)
    for pair, found in years.items():
        p = partnerships[pair]
        if len(found) == 1:
            p.year = next(iter(found))
        else:
            for line in p.bsr_lines:
                o = outcome[line]
                outcome[line] = ("year-conflict", o[1], o[2], o[3])
    return outcome
