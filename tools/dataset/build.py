#!/usr/bin/env python3
"""Build the world twinning dataset: one interchange document from the raw public data.

Reads the English-Wikipedia twin-town lists (Feb 2026), the 2016 Wikidata P190 crawl,
and GeoNames from the shared raw folder, reconciles them and writes one document in the
interchange format plus a reconciliation report that accounts for every input row. The 2013
Baltic Sea Region list (establishment years) states no licence: it is used only with
--with-bsr-years, for local research, and such a build must not be shipped. See
tools/dataset/README.md for the rules.

    python3 tools/dataset/build.py --out /tmp/world.json --report /tmp/world-report.json
    python3 tools/dataset/build.py --countries FI,NO --out data/world-slice.json \\
        --report data/world-slice.report.json

Python 3.11, standard library only. Deterministic: the same inputs give byte-identical output.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reconcile import FOUNDING_DEFAULT, RAW_DEFAULT, World, reconcile  # noqa: E402
from output import document, dump_document, dump_report, report  # noqa: E402


def parse_countries(text: str | None) -> list[str] | None:
    if not text:
        return None
    codes = sorted({c.strip().upper() for c in text.split(",") if c.strip()})
    bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
    if bad or not codes:
        raise argparse.ArgumentTypeError(f"not ISO country codes: {text!r}")
    return codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=RAW_DEFAULT,
                        help="raw data folder (default: ../shared/data/raw from the repository root)")
    parser.add_argument("--founding", type=Path, default=FOUNDING_DEFAULT,
                        help="founding document whose keys are reused (default: data/founding.json)")
    parser.add_argument("--out", type=Path, required=True, help="interchange document to write")
    parser.add_argument("--report", type=Path, help="reconciliation report to write (JSON)")
    parser.add_argument("--countries", type=parse_countries,
                        help="build a slice: cities of these countries (e.g. FI,NO) and their partners")
    parser.add_argument("--with-bsr-years", action="store_true",
                        help="also take establishment years from the Baltic Sea Region list "
                             "(senickel): no licence stated; for local research only, never ship "
                             "the result")
    args = parser.parse_args(argv)

    started = time.monotonic()
    world: World = reconcile(args.raw.resolve(), args.founding.resolve(), args.with_bsr_years)
    doc = document(world, args.countries)
    text = dump_document(doc)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(dump_report(report(world, args.countries)), encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    if args.with_bsr_years:
        print("warning: --with-bsr-years: the Baltic Sea Region list states no licence; "
              "this build is for local research only and must not be shipped", file=sys.stderr)
    print(f"{args.out}: {len(doc.get('cities', []))} cities, {len(doc.get('partnerships', []))} "
          f"partnerships, {len(text.encode('utf-8')):,} bytes, sha256 {digest}… "
          f"({time.monotonic() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
