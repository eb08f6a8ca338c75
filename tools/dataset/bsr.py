"""The 2013 Baltic Sea Region twinning dyads (senickel/city-networks-BSR-data).

Derived by its authors from English Wikipedia in late 2013; 969 of its 1,759 pairs carry the
year the twinning was established, the only establishment dates the raw data holds. Names are
ASCII-folded ("Tromso") and Swedish/Danish ones end in " Municipality".
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

BSR_FILE = "twinning/wikipedia2013_senickel_bsr_dyads.csv"


@dataclass
class BsrRow:
    line: int
    a: tuple[str, str]
    b: tuple[str, str]
    year: int | None


def read_bsr(raw_dir: Path) -> list[BsrRow]:
    rows = []
    with (raw_dir / BSR_FILE).open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        header = next(reader)
        if header[:5] != ["City1", "Country1", "City2", "Country2", "Year"]:
            raise ValueError(f"{BSR_FILE}: unexpected header {header}")
        for line, r in enumerate(reader, start=2):
            year = int(r[4])
            rows.append(BsrRow(line, (r[0], r[1]), (r[2], r[3]), year or None))
    return rows


def name_variants(name: str) -> list[str]:
    """'Lulea Municipality' -> ['Lulea Municipality', 'Lulea'];
    'Verden an der Aller, Lower Saxony' -> [..., 'Verden an der Aller']."""
    out = [name]
    for pattern in (r", .*$", r" (Municipality|Rural Municipality|Parish|Kommune|kommune|Town|City)$"):
        bare = re.sub(pattern, "", out[-1])
        if bare != out[-1]:
            out.append(bare)
    return out
