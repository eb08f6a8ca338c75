"""Tests of the world dataset build, on the real raw data.

    python3 -m unittest discover tools/dataset

They need the shared raw folder (../shared/data/raw from the repository root, or
$TWINNING_RAW) and skip without it. One reconciliation is built per run and shared.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from countries import Countries  # noqa: E402
from geonames import GeoNames  # noqa: E402
from output import SRC_BSR, document, dump_document, report  # noqa: E402
from reconcile import BSR_EXCLUDED  # noqa: E402
from reconcile import FOUNDING_DEFAULT, RAW_DEFAULT, REPO, reconcile  # noqa: E402
from text import match_key, slug  # noqa: E402

RAW = Path(os.environ.get("TWINNING_RAW", RAW_DEFAULT)).resolve()
SCHEMA = REPO / "interchange.schema.json"
SLICE = REPO / "data" / "world-slice.json"
SLICE_REPORT = REPO / "data" / "world-slice.report.json"
SLICE_COUNTRIES = ["FI", "NO"]
HAVE_RAW = (RAW / "twinning").is_dir()

_cache: dict = {}


def world():
    if "world" not in _cache:
        _cache["world"] = reconcile(RAW, FOUNDING_DEFAULT)
    return _cache["world"]


def full_doc() -> dict:
    if "doc" not in _cache:
        _cache["doc"] = document(world(), None)
    return _cache["doc"]


def full_report() -> dict:
    if "report" not in _cache:
        _cache["report"] = report(world(), None)
    return _cache["report"]


def geonames() -> GeoNames:
    if "geo" not in _cache:
        _cache["geo"] = GeoNames(RAW / "geo")
    return _cache["geo"]


@unittest.skipUnless(HAVE_RAW, f"raw data not found at {RAW}")
class CountryAliases(unittest.TestCase):
    def setUp(self):
        self.countries = Countries(RAW / "geo" / "geonames_countries.json")

    def code(self, text):
        found = self.countries.resolve(text)
        return found.code if found else None

    def test_uk_constituent_countries_are_gb(self):
        for text in ["England", "Scotland", "Wales", "Northern Ireland", "England, United Kingdom",
                     "Scotland, United Kingdom", "Wales, United Kingdom",
                     "Northern Ireland, United Kingdom", "United Kingdom"]:
            self.assertEqual(self.code(text), "GB", text)

    def test_other_names_and_typos(self):
        cases = {"Georgia (country)": "GE", "Georgia": "GE", "Republic of Ireland": "IE",
                 "Ireland": "IE", "Kazakhstah": "KZ", "Grece": "GR", "Madagaskar": "MG",
                 "Czech Republic": "CZ", "Palestine": "PS", "Northern Cyprus": "CY",
                 "Bosnia and Hercegovina": "BA", "in Italy": "IT", "Island": "IS",
                 "WestGER": "DE", "EastGER": "DE"}
        for text, code in cases.items():
            self.assertEqual(self.code(text), code, text)

    def test_a_comma_b_resolves_through_the_territory_or_keeps_a_region_hint(self):
        self.assertEqual(self.code("Réunion, France"), "RE")
        self.assertEqual(self.code("Åland Islands, Finland"), "AX")
        ohio = self.countries.resolve("Ohio, United States")
        self.assertEqual((ohio.code, ohio.region_hint), ("US", "Ohio"))

    def test_every_country_string_of_the_lists_resolves(self):
        with (RAW / "twinning" / "wikipedia2026_hekman_twin_cities_raw.csv").open(encoding="utf-8") as f:
            strings = {s for r in csv.DictReader(f) for s in (r["country1"], r["country2"])}
        w = world()
        unresolved = sorted({n.raw_country for n in w.names.values() if n.country is None})
        self.assertEqual(unresolved, [])
        self.assertGreater(len(strings), 230)

    def test_empty_country_strings_take_the_country_from_the_name(self):
        varna = world().names[("Varna, Bulgaria", "")]
        self.assertEqual((varna.name, varna.country), ("Varna", "BG"))


@unittest.skipUnless(HAVE_RAW, f"raw data not found at {RAW}")
class Disambiguation(unittest.TestCase):
    JACKSONVILLE_FL = 4160021
    JACKSONVILLE_NC = 4473083

    def test_seven_us_jacksonvilles_are_told_apart_by_coordinates(self):
        geo = geonames()
        self.assertEqual(len(geo.candidates("Jacksonville", "US", primary=True)), 7)
        # The geocoded Wikipedia file puts "Jacksonville, United States" here:
        florida = geo.match(["Jacksonville"], "US", (30.3262, -81.6579), None)
        self.assertEqual((florida.outcome, florida.place.geonameid), ("matched", self.JACKSONVILLE_FL))
        carolina = geo.match(["Jacksonville"], "US", (34.75, -77.43), None)
        self.assertEqual(carolina.place.geonameid, self.JACKSONVILLE_NC)
        nowhere = geo.match(["Jacksonville"], "US", (47.0, -100.0), None)
        self.assertEqual((nowhere.outcome, nowhere.method), ("unmatched", "too-far"))
        unknown = geo.match(["Jacksonville"], "US", None, None)
        self.assertEqual(unknown.outcome, "ambiguous")
        seven = {p.geonameid for p in geo.candidates("Jacksonville", "US", primary=True)}
        self.assertLessEqual(seven, {p.geonameid for p, _ in unknown.candidates})

    def test_jacksonville_florida_is_the_founding_jacksonville(self):
        w = world()
        city = w.city_of[("Jacksonville", "United States")]
        self.assertEqual(city.key, "jacksonville")
        self.assertEqual(city.founding["region"], "Florida")
        self.assertEqual(w.name_matches[("Jacksonville", "United States")].place.geonameid,
                         self.JACKSONVILLE_FL)

    def test_wrong_coordinates_are_dropped_and_reported(self):
        # "Bethlehem, United States" is geocoded to Bethlehem, Palestine.
        w = world()
        ident = ("Bethlehem", "United States")
        self.assertIn(ident, w.dropped_coords)
        us, ps = w.city_of[ident], w.city_of[("Bethlehem", "Palestine")]
        self.assertIsNone(us.coords)
        self.assertEqual(w.name_matches[ident].outcome, "ambiguous")
        self.assertEqual((ps.key, us.key), ("bethlehem", "bethlehem-us"))

    def test_region_named_in_the_text_beats_a_wrong_geocode(self):
        # "Lagoa" of "Azores, Portugal" is geocoded to Lagoa in the Algarve.
        w = world()
        azores = w.city_of[("Lagoa", "Azores, Portugal")]
        algarve = w.city_of[("Lagoa, Algarve", "Portugal")]
        self.assertIsNot(azores, algarve)
        self.assertEqual(azores.match.region, "Azores")

    def test_one_city_under_two_country_strings_is_merged(self):
        w = world()
        a, b = w.city_of[("Sunderland", "England")], w.city_of[("Sunderland", "England, United Kingdom")]
        self.assertIs(a, b)
        self.assertEqual(a.key, "sunderland")
        merged = {m["city"] for m in full_report()["mergedDuplicates"]["rows"]}
        self.assertIn("sunderland", merged)

    def test_georgia_the_country_is_ge(self):
        w = world()
        for ident in [("Tbilisi", "Georgia (country)"), ("Tbilisi", "Georgia"), ("Batumi", "Georgia")]:
            self.assertEqual(w.city_of[ident].country, "GE", ident)
        self.assertIs(w.city_of[("Tbilisi", "Georgia (country)")], w.city_of[("Tbilisi", "Georgia")])

    def test_regions_are_kept_as_cities_and_listed(self):
        rows = full_report()["notCities"]["region"]["rows"]
        names = {r["name"] for r in rows}
        self.assertTrue({"Sverdlovsk Oblast", "Fairfax County"} <= names)
        keys = {c["key"] for c in full_doc()["cities"]}
        self.assertTrue({"sverdlovsk-oblast", "fairfax-county"} <= keys)

    def test_wikidata_ids_need_a_corroborating_pair(self):
        w = world()
        self.assertEqual(w.city_of[("Harbin", "China")].qid, "Q42956")
        self.assertEqual(w.city_of[("Murmansk", "Russia")].qid, "Q1763")
        for city in w.cities:
            if city.qid and city.founding is None:
                self.assertIn(city.qid_outcome, ("matched", "matched-by-majority"), city.key)
        held = [c.qid for c in w.cities if c.qid]
        self.assertEqual(len(held), len(set(held)), "a Wikidata id on two cities")

    def test_native_names_only_in_the_local_script(self):
        cities = {c["key"]: c for c in full_doc()["cities"]}
        self.assertEqual(cities["kharkiv"].get("nativeName"), "Харків")  # not Харьков, Харков
        self.assertEqual(cities["novosibirsk"].get("nativeName"), "Новосибирск")
        self.assertNotIn("nativeName", cities["tbilisi"])  # თბილისი and ქართი: no pick
        self.assertNotIn("nativeName", cities["shanghai"])  # simplified and traditional: no pick


@unittest.skipUnless(HAVE_RAW, f"raw data not found at {RAW}")
class ReportAddsUp(unittest.TestCase):
    def test_every_wikipedia_row_has_exactly_one_outcome(self):
        with (RAW / "twinning" / "wikipedia2026_hekman_twin_cities_raw.csv").open(encoding="utf-8") as f:
            raw_rows = list(csv.reader(f))[1:]
        r = full_report()
        summary = r["summary"]["wikipediaRows"]
        self.assertEqual(summary["input"], len(raw_rows))
        listed = [row[0] for section in r["wikipediaRows"].values() for row in section["rows"]]
        self.assertEqual(sorted(listed), list(range(2, len(raw_rows) + 2)))
        counts = {k: v["count"] for k, v in r["wikipediaRows"].items()}
        self.assertEqual(sum(counts.values()), len(raw_rows))
        self.assertTrue(summary["sumOk"])
        self.assertEqual(counts["self-pair"], 3)  # Nienburg, Stryi and Dobřany twinned with themselves

    def test_partnerships_are_the_rows_that_are_neither_duplicates_nor_dropped(self):
        r = full_report()
        counts = {k: v["count"] for k, v in r["wikipediaRows"].items()}
        self.assertEqual(len(full_doc()["partnerships"]),
                         counts["partnership"] + counts["founding-partnership"])
        p = r["summary"]["partnerships"]
        self.assertEqual(p["both"] + p["only-wikipedia"] + p["only-wikipedia-city-without-wikidata-id"],
                         p["output"])

    def test_every_place_string_is_matched_ambiguous_or_unmatched_once(self):
        with (RAW / "twinning" / "wikipedia2026_hekman_twin_cities_raw.csv").open(encoding="utf-8") as f:
            strings = {(r[i], r[i + 1]) for r in list(csv.reader(f))[1:] for i in (0, 2)}
        r = full_report()
        listed = [(row["name"], row["country"]) for s in r["placeStrings"].values() for row in s["rows"]]
        self.assertEqual(len(listed), len(set(listed)))
        self.assertEqual(set(listed), strings)
        in_cities = sum(len(c.names) for c in world().cities)
        self.assertEqual(in_cities, len(strings))
        self.assertEqual(len(full_doc()["cities"]), r["summary"]["cities"]["output"])

    def test_every_wikidata_pair_and_baltic_row_is_classified(self):
        pairs = set()
        with (RAW / "twinning" / "wikidata2016_l3viathan_relations.tsv").open(encoding="utf-8") as f:
            for line in f:
                a, b = line.split()
                pairs.add(frozenset((a, b)))
        r = full_report()
        wd = r["summary"]["wikidataPairs"]
        self.assertEqual(wd["input"], len(pairs))
        self.assertEqual(wd["both"] + wd["only-wikidata"] + wd["unresolved"], len(pairs))
        self.assertEqual(wd["both"], r["summary"]["partnerships"]["both"])
        with (RAW / "twinning" / "wikipedia2013_senickel_bsr_dyads.csv").open(encoding="utf-8") as f:
            bsr_rows = len(f.readlines()) - 1
        # Without a licence the Baltic rows are only accounted for, each by its line alone.
        self.assertEqual(list(r["bsrRows"]), [BSR_EXCLUDED])
        excluded = r["bsrRows"][BSR_EXCLUDED]
        self.assertEqual(excluded["count"], bsr_rows)
        self.assertTrue(all(len(row) == 1 for row in excluded["rows"]))
        self.assertTrue(r["summary"]["bsrRows"]["sumOk"])


@unittest.skipUnless(HAVE_RAW, f"raw data not found at {RAW}")
class FoundingKeys(unittest.TestCase):
    def setUp(self):
        self.founding = json.loads(FOUNDING_DEFAULT.read_text(encoding="utf-8"))

    def test_founding_cities_keep_their_keys_and_records(self):
        cities = {c["key"]: c for c in full_doc()["cities"]}
        for record in self.founding["cities"]:
            if record["key"] in cities:
                self.assertEqual(cities[record["key"]], record, record["key"])
        for key in ["murmansk", "harbin", "jacksonville", "vadso", "alanya", "groningen", "minsk",
                    "khabarovsk", "vladivostok", "yakutsk"]:
            self.assertIn(key, cities)
        murmansk = [c for c in cities.values() if match_key(c["name"]) == "murmansk"]
        self.assertEqual([c["key"] for c in murmansk], ["murmansk"])

    def test_founding_pairs_reuse_the_founding_partnership(self):
        doc = full_doc()
        founding = {p["key"]: p for p in self.founding["partnerships"]}
        by_key = {p["key"]: p for p in doc["partnerships"]}
        for key in ["murmansk-harbin", "harbin-khabarovsk", "murmansk-jacksonville", "murmansk-vadso"]:
            without_history = {k: v for k, v in founding[key].items() if k != "statusHistory"}
            self.assertEqual(by_key[key], without_history)
        # Together the two documents hold one partnership per unordered pair and kind.
        combined = {**founding, **by_key}
        seen = {}
        for p in combined.values():
            pair = (frozenset(p["cities"]), p["kind"])
            self.assertNotIn(pair, seen, f"{p['key']} repeats {seen.get(pair)}")
            seen[pair] = p["key"]

    def test_no_other_city_takes_a_founding_key(self):
        reserved = {c["key"] for c in self.founding["cities"]}
        for city in world().cities:
            if city.key in reserved:
                self.assertIsNotNone(city.founding, city.key)


@unittest.skipUnless(HAVE_RAW, f"raw data not found at {RAW}")
class DocumentRules(unittest.TestCase):
    def test_full_document_follows_the_interchange_schema(self):
        if not SCHEMA.is_file():
            self.skipTest(f"{SCHEMA} not found")
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        problems = validate(full_doc(), schema, schema, "")
        self.assertEqual(problems[:20], [])

    def test_nothing_of_the_unlicensed_baltic_list_ships_by_default(self):
        founding = {p["key"] for p in json.loads(FOUNDING_DEFAULT.read_text(encoding="utf-8"))["partnerships"]}
        doc = full_doc()
        self.assertNotIn(SRC_BSR, {s["key"] for s in doc["sources"]})
        for p in doc["partnerships"]:
            self.assertNotIn(SRC_BSR, p.get("sources", []))
            if p["key"] in founding:
                continue
            for field in ("proposedOn", "establishedOn", "endedOn", "notes"):
                self.assertNotIn(field, p)
        self.assertFalse(any(p.year for p in world().partnerships.values()))

    def test_dates_only_from_real_sources_with_the_research_option(self):
        founding = {p["key"] for p in json.loads(FOUNDING_DEFAULT.read_text(encoding="utf-8"))["partnerships"]}
        research = reconcile(RAW, FOUNDING_DEFAULT, with_bsr_years=True)
        years = {p.key: p.year for p in research.partnerships.values() if p.year}
        for p in document(research, None)["partnerships"]:
            if p["key"] in founding:
                continue
            self.assertNotIn("proposedOn", p)
            self.assertNotIn("endedOn", p)
            if "establishedOn" in p:
                self.assertIn(SRC_BSR, p["sources"])
                self.assertEqual(p["establishedOn"], str(years[p["key"]]))
        self.assertGreater(len(years), 500)
        outcomes = report(research, None)["summary"]["bsrRows"]
        self.assertNotIn(BSR_EXCLUDED, outcomes)
        self.assertTrue(outcomes["sumOk"])

    def test_every_record_cites_sources_that_exist(self):
        doc = full_doc()
        sources = {s["key"] for s in doc["sources"]}
        for array in ("cities", "partnerships"):
            for record in doc[array]:
                self.assertTrue(record.get("sources"), record["key"])
                self.assertLessEqual(set(record["sources"]), sources, record["key"])
        titles = " ".join(s["title"] for s in doc["sources"])
        for attribution in ["Contains data from GeoNames (www.geonames.org), licensed under CC BY 4.0",
                            "Wikipedia contributors, CC BY-SA 4.0", "OpenStreetMap contributors, ODbL"]:
            self.assertIn(attribution, titles)

    def test_keys_are_slugs_of_the_name_or_disambiguated_slugs(self):
        for city in full_doc()["cities"]:
            self.assertTrue(city["key"].startswith(slug(city["name"])[:60]), city)


@unittest.skipUnless(HAVE_RAW, f"raw data not found at {RAW}")
class Determinism(unittest.TestCase):
    def test_two_builds_are_byte_identical_and_match_the_checked_in_slice(self):
        with tempfile.TemporaryDirectory() as tmp:
            procs, outs = [], []
            for seed in ("1", "2"):
                out, rep = Path(tmp) / f"slice{seed}.json", Path(tmp) / f"report{seed}.json"
                outs.append((out, rep))
                env = {**os.environ, "PYTHONHASHSEED": seed}
                procs.append(subprocess.Popen(
                    [sys.executable, str(HERE / "build.py"), "--raw", str(RAW), "--countries",
                     ",".join(SLICE_COUNTRIES), "--out", str(out), "--report", str(rep)],
                    env=env, stderr=subprocess.PIPE))
            for proc in procs:
                _, err = proc.communicate(timeout=600)
                self.assertEqual(proc.returncode, 0, err.decode())
            (a, ra), (b, rb) = outs
            self.assertEqual(a.read_bytes(), b.read_bytes())
            self.assertEqual(ra.read_bytes(), rb.read_bytes())
            self.assertEqual(a.read_bytes(), SLICE.read_bytes(),
                             "data/world-slice.json is stale: rebuild it (tools/dataset/README.md)")
            self.assertEqual(ra.read_bytes(), SLICE_REPORT.read_bytes(),
                             "data/world-slice.report.json is stale: rebuild it")

    def test_in_process_output_is_stable(self):
        doc = full_doc()
        self.assertEqual(dump_document(doc), dump_document(document(world(), None)))

    def test_slice_holds_the_cities_of_its_countries_and_their_partners(self):
        doc = json.loads(SLICE.read_text(encoding="utf-8"))
        self.assertLess(SLICE.stat().st_size, 1_000_000)
        cities = {c["key"]: c for c in doc["cities"]}
        for p in doc["partnerships"]:
            self.assertTrue(any(cities[k]["countryCode"] in SLICE_COUNTRIES for k in p["cities"]), p)
        self.assertIn("murmansk-vadso", {p["key"] for p in doc["partnerships"]})


# --------------------------------------------------------------------------------------------
# A JSON Schema checker for the subset interchange.schema.json uses (stdlib only).
# --------------------------------------------------------------------------------------------

def validate(value, node, root, path) -> list[str]:
    if "$ref" in node:
        target = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return validate(value, target, root, path)
    problems: list[str] = []
    kind = node.get("type")
    types = {"object": dict, "array": list, "string": str, "number": (int, float), "integer": int}
    if kind and (not isinstance(value, types[kind]) or isinstance(value, bool)):
        return [f"{path}: not {kind}"]
    if "const" in node and value != node["const"]:
        problems.append(f"{path}: not {node['const']!r}")
    if "enum" in node and value not in node["enum"]:
        problems.append(f"{path}: {value!r} not in enum")
    if isinstance(value, str):
        if "pattern" in node and not re.search(node["pattern"], value):
            problems.append(f"{path}: {value!r} does not match {node['pattern']}")
        if len(value) > node.get("maxLength", 1 << 30) or len(value) < node.get("minLength", 0):
            problems.append(f"{path}: length {len(value)}")
        if node.get("format") == "uri" and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value):
            problems.append(f"{path}: not a URI")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < node.get("minimum", float("-inf")) or value > node.get("maximum", float("inf")):
            problems.append(f"{path}: {value} out of range")
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key in node.get("required", []):
            if key not in value:
                problems.append(f"{path}.{key}: missing")
        for key, item in value.items():
            if key in props:
                problems += validate(item, props[key], root, f"{path}.{key}")
            elif node.get("additionalProperties") is False:
                problems.append(f"{path}.{key}: not allowed")
            elif isinstance(node.get("additionalProperties"), dict):
                problems += validate(item, node["additionalProperties"], root, f"{path}.{key}")
    if isinstance(value, list):
        if len(value) < node.get("minItems", 0) or len(value) > node.get("maxItems", 1 << 30):
            problems.append(f"{path}: {len(value)} items")
        if node.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            problems.append(f"{path}: items repeat")
        if "items" in node:
            for i, item in enumerate(value):
                problems += validate(item, node["items"], root, f"{path}[{i}]")
    return problems


if __name__ == "__main__":
    unittest.main()
