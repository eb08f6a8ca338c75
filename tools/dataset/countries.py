"""Country strings of the Wikipedia lists -> ISO 3166-1 alpha-2 codes.

GeoNames' country names (geonames_countries.json) resolve most strings; ALIASES covers the
rest: constituent countries of the United Kingdom, other names, typos and historic forms.
A string "A, B" resolves through A when A is a country or territory ("Réunion, France" -> RE,
"England, United Kingdom" -> GB), otherwise through B with A kept as a region hint
("Ohio, United States" -> US, region Ohio).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from text import match_key

# Every string here occurs in the Wikipedia files (or the Baltic list) and is not a GeoNames
# country name. Codes follow GeoNames, which gives overseas territories their own ISO codes
# (RE, GP, AX, ...) and has Kosovo as XK.
ALIASES = {
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Georgia (country)": "GE",
    "Republic of Ireland": "IE",
    "Czech Republic": "CZ",
    "Netherlands": "NL",
    "Palestine": "PS",
    "West Bank": "PS",  # GeoNames files West Bank places under PS
    "Northern Cyprus": "CY",  # no ISO code of its own; GeoNames files its towns under CY
    "Cape Verde": "CV",
    "East Timor": "TL",
    "Timor-Leste": "TL",
    "Congo": "CG",  # the rows are Brazzaville and Pointe-Noire: Republic of the Congo
    "Federated States of Micronesia": "FM",
    "São Tomé and Príncipe": "ST",
    "Vatican City": "VA",
    "Macau": "MO",
    "Bosnia and Hercegovina": "BA",  # spelling variant
    "Kazakhstah": "KZ",  # typo
    "Japa": "JP",  # truncated (raw file only)
    "Grece": "GR",  # typo
    "Madagaskar": "MG",  # German spelling
    "Island": "IS",  # German for Iceland (the row is Norðurþing)
    "Surinam": "SR",  # old spelling
    "Moldavia": "MD",  # historic name
    "in Italy": "IT",  # scraping artefact
    # The Baltic Sea Region list splits Germany by the 1949-1990 border.
    "WestGER": "DE",
    "EastGER": "DE",
}


# Dependent territories that GeoNames (and ISO) code apart from their country, where the
# Wikipedia lists often put their towns under the country.
TERRITORIES = {
    "FI": ("AX",), "DK": ("FO", "GL"), "NO": ("SJ",), "NL": ("AW", "CW", "SX", "BQ"),
    "GB": ("IM", "JE", "GG", "GI", "BM", "FK", "KY", "VG", "MS", "TC", "AI", "SH"),
    "FR": ("RE", "GP", "MQ", "GF", "YT", "PF", "NC", "PM", "BL", "MF", "WF"),
    "US": ("PR", "GU", "AS", "VI", "MP"), "CN": ("HK", "MO"), "AU": ("NF", "CX", "CC"),
    "NZ": ("CK", "NU", "TK"),
}


@dataclass(frozen=True)
class Country:
    """How one country string resolved."""

    code: str
    via: str  # "alias", "geonames", "head" (A of "A, B"), "tail" (B of "A, B")
    region_hint: str | None = None


class Countries:
    """Resolves country strings; knows GeoNames' country names."""

    def __init__(self, countries_json: Path) -> None:
        data = json.loads(countries_json.read_text(encoding="utf-8"))
        self.names: dict[str, str] = {code: row["name"] for code, row in data.items()}
        self._by_name: dict[str, str] = {}
        for code in sorted(data):
            self._by_name.setdefault(match_key(data[code]["name"]), code)
        for alias, code in ALIASES.items():
            if code not in data:
                raise ValueError(f"alias {alias!r} -> {code}: not a GeoNames country")

    def simple(self, text: str) -> Country | None:
        """A string that is one country name or alias."""
        text = text.strip()
        if text in ALIASES:
            return Country(ALIASES[text], "alias")
        code = self._by_name.get(match_key(text)) if text else None
        return Country(code, "geonames") if code else None

    def resolve(self, text: str) -> Country | None:
        """A country string of the lists, possibly 'A, B'; None if nothing fits."""
        found = self.simple(text)
        if found or ", " not in text:
            return found
        head, tail = text.rsplit(", ", 1)
        if (found := self.simple(head)):
            return Country(found.code, "head")
        if (found := self.simple(tail)):
            return Country(found.code, "tail", head.strip())
        return None

    def is_country_name(self, name: str) -> bool:
        """Whether a place name is itself the name of a country or territory."""
        return self.simple(name) is not None

    def territory(self, name: str, code: str) -> str | None:
        """The code of a dependent territory of `code` that a place is named after
        ("Réunion" listed under France -> RE, "Guam" under the United States -> GU)."""
        found = self.simple(name)
        if found and found.code in TERRITORIES.get(code, ()):
            return found.code
        return None
