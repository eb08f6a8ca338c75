"""The English-Wikipedia twin-town lists (Hekman/twincities, Feb 2026): rows and place names.

The raw file is the list of pairs (26,114 rows); the geocoded file (25,917 rows, the same
pairs less those its author could not geocode) adds coordinates per (name, country) string.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from countries import Countries

RAW_FILE = "twinning/wikipedia2026_hekman_twin_cities_raw.csv"
GEOCODED_FILE = "twinning/wikipedia2026_hekman_twin_cities_geocoded.csv"

# Names of regional or national units, not municipalities. They stay in the data as cities
# (the model has no other place for a partner) and are listed in the report.
REGION_WORDS = re.compile(
    r"\b(Oblast|Krai|Kray|Okrug|County|Province|Prefecture|Region|Governorate|Voivodeship|"
    r"Department|Departement|Canton|Raion|Rayon|Republic|State|Emirate|Autonomous|Land|"
    r"Regional|Comarca|Shire)\b")
# Names of a part of a city or of a district-level unit: "Berlin – Mitte", "Daoli District".
# (A parenthesis is usually Wikipedia's disambiguation, "Lingen (Ems)", so it is no sign.)
DISTRICT_WORDS = re.compile(r"\b(District|Borough|Ward|Arrondissement|Quarter|Sector)\b")


@dataclass
class Row:
    """One input row: a pair of (name, country) strings."""

    line: int  # 1-based line number in the raw file (line 1 is the header)
    a: tuple[str, str]
    b: tuple[str, str]


@dataclass
class Name:
    """One distinct (name, country) string of the lists, and what it resolved to."""

    raw_name: str
    raw_country: str
    name: str = ""  # the display name (a ", Country" suffix moved into the country)
    country: str | None = None  # ISO code, None when the country string resolved to nothing
    country_via: str = ""
    region_hint: str | None = None
    coords: tuple[float, float] | None = None
    rows: int = 0
    flags: list[str] = field(default_factory=list)

    @property
    def ident(self) -> tuple[str, str]:
        return (self.raw_name, self.raw_country)

    def variants(self) -> list[str]:
        """Names to look up in GeoNames, most specific first."""
        out = [self.name]
        m = re.fullmatch(r"(.+?) \((.+)\)", self.name)
        if m and not m.group(2)[0].islower():  # "(district)", "(rural gmina)": another unit
            out.append(m.group(1))
        for dash in (" – ", " — ", " - "):
            if dash in self.name:
                out.append(self.name.split(dash, 1)[1])
        if ", " in self.name:
            out.append(self.name.split(", ", 1)[0])
        seen: list[str] = []
        for v in out:
            if v.strip() and v not in seen:
                seen.append(v.strip())
        return seen

    def hint(self) -> str | None:
        """A region hint from the name ('Suzhou, Jiangsu') or the country ('Ohio, United States')."""
        if ", " in self.name:
            return self.name.split(", ", 1)[1]
        m = re.fullmatch(r"(.+?) \((.+)\)", self.name)
        if m and not m.group(2)[0].islower():
            return m.group(2)
        return self.region_hint


def read_rows(raw_dir: Path) -> list[Row]:
    with (raw_dir / RAW_FILE).open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != ["city1", "country1", "city2", "country2"]:
            raise ValueError(f"{RAW_FILE}: unexpected header {header}")
        return [Row(i, (r[0], r[1]), (r[2], r[3])) for i, r in enumerate(reader, start=2)]


def read_coordinates(raw_dir: Path) -> dict[tuple[str, str], tuple[float, float]]:
    coords: dict[tuple[str, str], tuple[float, float]] = {}
    with (raw_dir / GEOCODED_FILE).open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            for side in ("1", "2"):
                ident = (r["city" + side], r["country" + side])
                point = (float(r["lat" + side]), float(r["lng" + side]))
                if coords.setdefault(ident, point) != point:
                    raise ValueError(f"{GEOCODED_FILE}: {ident} has two coordinates")
    return coords


def resolve_name(name: Name, countries: Countries) -> None:
    """Fills the display name, country and flags of a (name, country) string."""
    name.name = name.raw_name.strip()
    country = countries.resolve(name.raw_country) if name.raw_country.strip() else None
    if country is None and not name.raw_country.strip():
        # A few rows carry the country in the name ("Varna, Bulgaria") or name a territory.
        if ", " in name.name:
            head, tail = name.name.rsplit(", ", 1)
            found = countries.simple(tail)
            if found:
                name.name, name.country, name.country_via = head, found.code, "name-suffix"
        if name.country is None and (found := countries.simple(name.name)):
            name.country, name.country_via = found.code, "name-is-country"
    elif country is not None:
        name.country, name.country_via, name.region_hint = country.code, country.via, country.region_hint
    if name.country and (territory := countries.territory(name.name, name.country)):
        name.country, name.country_via = territory, name.country_via + "+territory"
    qualifier = re.fullmatch(r".+ \(([a-z].*)\)", name.name)
    if countries.is_country_name(name.name):
        name.flags.append("country-or-territory")
    elif qualifier and qualifier.group(1) != "rural gmina":
        name.flags.append("region")  # "(district)" is a German Landkreis; "(communauté)", ...
    elif REGION_WORDS.search(name.name):
        name.flags.append("region")
    elif DISTRICT_WORDS.search(name.name) or " – " in name.name:
        name.flags.append("district")
