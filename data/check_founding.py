#!/usr/bin/env python3
"""Check an interchange document (default data/founding.json).

1. JSON Schema validation, Draft 2020-12 (needs `pip install jsonschema`); the schema is
   interchange.schema.json at the repository root unless given with --schema.
2. Reference integrity: every key a record names exists; no key twice within an entity type;
   the topic tree has no cycles; visits and protocols agree with their partnership's cities.
   A partnership's statusHistory: its protocol, city (one of the partnership's two) and
   sources exist; each step a legal lifecycle move; known dates in order; the last step's
   status is the partnership's status.
3. Dates: end not before start, read as spans ("2015-10" = 1-31 Oct); protocol dates inside
   their visit or event.
4. Canonical form: top-level and field order as in the schema, records sorted by key, key
   lists sorted, no empty values, bytes equal to json.dumps(doc, indent=2, ensure_ascii=False).

Exits 1 and lists the problems if any check fails.
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent

# field -> entity type it refers to (single key or list of keys)
REFS = {
    "parent": "topics", "city": "cities", "cities": "cities", "hostCity": "cities",
    "fromCity": "cities", "toCity": "cities", "signedIn": "cities", "parties": "cities",
    "partnership": "partnerships", "visit": "visits", "event": "events", "events": "events",
    "topics": "topics", "sources": "sources", "organizations": "organizations",
}
UNORDERED_LISTS = {"topics", "sources", "events", "organizations"}
DATE_PAIRS = {
    "partnerships": [("proposedOn", "establishedOn"), ("establishedOn", "endedOn"), ("proposedOn", "endedOn")],
    "events": [("startDate", "endDate")],
    "visits": [("startDate", "endDate")],
}


def span(text: str) -> tuple[date, date]:
    """First and last day a (possibly partial) date covers."""
    parts = [int(p) for p in text.split("-")]
    year = parts[0]
    if len(parts) == 1:
        return date(year, 1, 1), date(year, 12, 31)
    month = parts[1]
    if len(parts) == 2:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    day = date(year, month, parts[2])
    return day, day


LIFECYCLE = ["PROPOSED", "INTENT_SIGNED", "AGREEMENT_SIGNED", "ACTIVE"]
SIDEWAYS = {("INTENT_SIGNED", "INTENT_SIGNED"), ("ACTIVE", "SUSPENDED"), ("SUSPENDED", "ACTIVE"),
            ("ACTIVE", "ENDED"), ("SUSPENDED", "ENDED")}


def allowed(before: str, after: str) -> bool:
    """The lifecycle of src/domain/lifecycle.rs."""
    if (before, after) in SIDEWAYS:
        return True
    return before in LIFECYCLE and after in LIFECYCLE and LIFECYCLE.index(after) > LIFECYCLE.index(before)


def check_history(p: dict, keys: dict) -> list[str]:
    problems = []
    where = f"partnerships/{p['key']}/statusHistory"
    steps = p.get("statusHistory")
    if steps is None:
        return problems
    if not steps or steps[-1]["status"] != p["status"]:
        problems.append(f"{where}: does not end in the status {p['status']}")
    last_dated = None
    for i, step in enumerate(steps):
        if i and not allowed(steps[i - 1]["status"], step["status"]):
            problems.append(f"{where}/{i}: {step['status']} cannot follow {steps[i - 1]['status']}")
        if "on" in step:
            if last_dated and span(step["on"])[1] < span(last_dated)[0]:
                problems.append(f"{where}/{i}: {step['on']} is before {last_dated}")
            last_dated = step["on"]
        if "protocol" in step and step["protocol"] not in keys["protocols"]:
            problems.append(f"{where}/{i}: unknown protocol {step['protocol']!r}")
        if "city" in step and step["city"] not in p["cities"]:
            problems.append(f"{where}/{i}: {step['city']!r} is not one of the partnership's cities")
        for source in step.get("sources", []):
            if source not in keys["sources"]:
                problems.append(f"{where}/{i}: unknown source {source!r}")
        if step.get("sources", []) != sorted(step.get("sources", []), key=lambda k: k.encode()):
            problems.append(f"{where}/{i}: sources not sorted")
    return problems


def check(doc: dict, schema: dict, raw_text: str) -> list[str]:
    problems = []

    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        return ["jsonschema is not installed: pip install jsonschema"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        problems.append(f"schema: /{'/'.join(map(str, err.absolute_path))}: {err.message}")

    # jsonschema checks "format": "uri" only when rfc3987 is installed; check the basics here.
    for row in doc.get("sources", []):
        url = urlsplit(row.get("url", "https://x/"))
        if url.scheme not in ("http", "https") or not url.netloc or " " in row.get("url", ""):
            problems.append(f"sources/{row.get('key')}: url is not an absolute http(s) URI")

    top_order = list(schema["properties"])
    present = list(doc)
    if present != [k for k in top_order if k in doc]:
        problems.append(f"top-level keys out of order: {present}")
    defs = {table: schema["properties"][table]["items"]["$ref"].rsplit("/", 1)[1]
            for table in top_order if table != "version"}

    keys = {}
    for table in defs:
        rows = doc.get(table, [])
        found = [row.get("key") for row in rows]
        keys[table] = set(found)
        if len(found) != len(set(found)):
            dupes = sorted({k for k in found if found.count(k) > 1})
            problems.append(f"{table}: duplicate keys {dupes}")
        if found != sorted(found, key=lambda k: k.encode()):
            problems.append(f"{table}: records not sorted by key")

    for table, def_name in defs.items():
        field_order = list(schema["$defs"][def_name]["properties"])
        for row in doc.get(table, []):
            where = f"{table}/{row.get('key')}"
            if list(row) != [f for f in field_order if f in row]:
                problems.append(f"{where}: fields out of schema order")
            for field, value in row.items():
                if value in ("", [], {}, None):
                    problems.append(f"{where}: empty {field}")
                if field in UNORDERED_LISTS and value != sorted(value, key=lambda k: k.encode()):
                    problems.append(f"{where}: {field} not sorted")
                if field == "names" and list(value) != sorted(value, key=lambda k: k.encode()):
                    problems.append(f"{where}: names not sorted by tag")
                if field in REFS:
                    target = REFS[field]
                    for ref in value if isinstance(value, list) else [value]:
                        if ref not in keys[target]:
                            problems.append(f"{where}: {field} -> unknown {target} key {ref!r}")
            for start, end in DATE_PAIRS.get(table, []):
                if start in row and end in row and span(row[end])[0] < span(row[start])[0]:
                    problems.append(f"{where}: {end} {row[end]} before {start} {row[start]}")

    # topic tree without cycles
    parent = {t["key"]: t.get("parent") for t in doc.get("topics", [])}
    for key in parent:
        seen, node = set(), key
        while node is not None:
            if node in seen:
                problems.append(f"topics/{key}: cycle in parent chain")
                break
            seen.add(node)
            node = parent.get(node)

    partnerships = {p["key"]: p for p in doc.get("partnerships", [])}
    for p in partnerships.values():
        problems += check_history(p, keys)
    visits = {v["key"]: v for v in doc.get("visits", [])}
    events = {e["key"]: e for e in doc.get("events", [])}
    for v in visits.values():
        p = partnerships.get(v.get("partnership"))
        if p and {v["fromCity"], v["toCity"]} != set(p["cities"]):
            problems.append(f"visits/{v['key']}: cities differ from partnership {p['key']}")
        if v["fromCity"] == v["toCity"]:
            problems.append(f"visits/{v['key']}: fromCity equals toCity")
    for pr in doc.get("protocols", []):
        where = f"protocols/{pr['key']}"
        p = partnerships.get(pr.get("partnership"))
        if p and set(pr["parties"]) != set(p["cities"]):
            problems.append(f"{where}: parties differ from partnership {p['key']}")
        if "signedOn" in pr:
            signed = span(pr["signedOn"])
            for ref, table in (("visit", visits), ("event", events)):
                other = table.get(pr.get(ref))
                if other:
                    lo = span(other["startDate"])[0]
                    hi = span(other.get("endDate", other["startDate"]))[1]
                    if signed[1] < lo or signed[0] > hi:
                        problems.append(f"{where}: signedOn outside its {ref} {other['key']}")

    canonical = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if raw_text != canonical:
        problems.append("file is not in canonical form (json.dumps(doc, indent=2, ensure_ascii=False) + newline)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", nargs="?", type=Path, default=REPO / "data" / "founding.json")
    parser.add_argument("--schema", type=Path, default=REPO / "interchange.schema.json")
    args = parser.parse_args()
    raw_text = args.document.read_text(encoding="utf-8")
    doc = json.loads(raw_text)
    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    problems = check(doc, schema, raw_text)
    for problem in problems:
        print(problem)
    counts = ", ".join(f"{k} {len(v)}" for k, v in doc.items() if isinstance(v, list))
    print(f"{args.document}: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'OK'} ({counts})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
