#!/usr/bin/env python3
"""Check a running Twinning server against the source lists: for each city, the number of
partnerships the API reports equals the number of distinct partners in the Wikipedia rows
(each place string mapped to its city as the build report says, self-pairs left out) joined
with the founding document's partners. Also checks the total numbers of cities and
partnerships. Used by .ci/dataset-test after importing data/founding.json and the world build.

    python3 tools/dataset/check_counts.py --url http://127.0.0.1:8000/graphql \\
        --report /tmp/world-report.json --world /tmp/world.json bethlehem murmansk harbin
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reconcile import FOUNDING_DEFAULT, RAW_DEFAULT  # noqa: E402
from wikipedia import RAW_FILE  # noqa: E402


def gql(url: str, query: str) -> dict:
    request = urllib.request.Request(url, data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            gql(url, "{ __typename }")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def expected_partners(raw: Path, report: dict, founding: dict) -> dict[str, set[str]]:
    city = {}
    for section in report["placeStrings"].values():
        for row in section["rows"]:
            city[(row["name"], row["country"])] = row["city"]
    partners: dict[str, set[str]] = {}
    with (raw / RAW_FILE).open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            a, b = city[(r["city1"], r["country1"])], city[(r["city2"], r["country2"])]
            if a and b and a != b:
                partners.setdefault(a, set()).add(b)
                partners.setdefault(b, set()).add(a)
    for p in founding.get("partnerships", []):
        a, b = p["cities"]
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    return partners


def raw_rows_naming(raw: Path, report: dict, key: str) -> int:
    strings = {(row["name"], row["country"]) for s in report["placeStrings"].values()
               for row in s["rows"] if row["city"] == key}
    with (raw / RAW_FILE).open(encoding="utf-8", newline="") as f:
        return sum(1 for r in csv.DictReader(f)
                   if (r["city1"], r["country1"]) in strings or (r["city2"], r["country2"]) in strings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--raw", type=Path, default=RAW_DEFAULT)
    parser.add_argument("--founding", type=Path, default=FOUNDING_DEFAULT)
    parser.add_argument("--report", type=Path, required=True, help="report of the world build")
    parser.add_argument("--world", type=Path, required=True, help="the world document imported")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the server")
    parser.add_argument("cities", nargs="+", help="city keys to check")
    args = parser.parse_args()

    report = json.loads(args.report.read_text(encoding="utf-8"))
    founding = json.loads(args.founding.read_text(encoding="utf-8"))
    world = json.loads(args.world.read_text(encoding="utf-8"))
    partners = expected_partners(args.raw.resolve(), report, founding)
    wait_for(args.url, args.wait)

    failures = 0
    for key in args.cities:
        data = gql(args.url, f'{{ city(key: "{key}") {{ name countryCode '
                             f'partnerships(first: 1) {{ totalCount }} }} }}')
        got = data["city"]["partnerships"]["totalCount"] if data["city"] else None
        want = len(partners.get(key, ()))
        rows = raw_rows_naming(args.raw.resolve(), report, key)
        ok = got == want
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {key:<20} partnerships {got} (expected {want}; "
              f"{rows} raw Wikipedia rows name it)")

    keys = {c["key"] for c in founding["cities"]} | {c["key"] for c in world["cities"]}
    pairs = {p["key"] for p in founding["partnerships"]} | {p["key"] for p in world["partnerships"]}
    data = gql(args.url, "{ cities(first: 1) { totalCount } partnerships(first: 1) { totalCount } }")
    for what, got, want in [("cities", data["cities"]["totalCount"], len(keys)),
                            ("partnerships", data["partnerships"]["totalCount"], len(pairs))]:
        ok = got == want
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} all {what:<16} {got} (expected {want}: founding ∪ world, by key)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
