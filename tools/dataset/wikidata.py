"""The 2016 Wikidata crawl of P190 "twinned administrative body" (L3viathan/sister-cities).

Labels prefer German ("Warschau"), so a city's names for matching include its GeoNames
alternate names. A Wikidata id is given to a city only when the pairs corroborate it: the
label matches a name of the city AND a P190 edge leads from that id to an id whose label
matches a name of one of the city's Wikipedia partners. A label alone is never enough
(there are three Columbuses and four Victorias).
"""

from __future__ import annotations

from pathlib import Path

from text import match_key

NAMES_FILE = "twinning/wikidata2016_l3viathan_names.tsv"
RELATIONS_FILE = "twinning/wikidata2016_l3viathan_relations.tsv"


class Wikidata:
    """Labels, label index and the undirected P190 pairs of the crawl."""

    def __init__(self, raw_dir: Path) -> None:
        self.labels: dict[str, str] = {}
        with (raw_dir / NAMES_FILE).open(encoding="utf-8") as f:
            for line in f:
                qid, label = line.rstrip("\n").split("\t")
                self.labels[qid] = label
        self.directed_rows = 0
        pairs: set[tuple[str, str]] = set()
        with (raw_dir / RELATIONS_FILE).open(encoding="utf-8") as f:
            for line in f:
                a, b = line.rstrip("\n").split("\t")
                self.directed_rows += 1
                pairs.add((a, b) if a < b else (b, a))
        self.pairs: list[tuple[str, str]] = sorted(pairs, key=qid_pair_order)
        self._pair_set = pairs
        self.by_key: dict[str, list[str]] = {}
        for qid in sorted(self.labels, key=qid_order):
            key = match_key(self.labels[qid])
            if key:
                self.by_key.setdefault(key, []).append(qid)

    def has_pair(self, a: str, b: str) -> bool:
        return ((a, b) if a < b else (b, a)) in self._pair_set

    def candidates(self, name_keys: list[str]) -> list[str]:
        """Ids whose label matches one of the (match-key) names, in id order."""
        found: set[str] = set()
        for key in name_keys:
            found.update(self.by_key.get(key, ()))
        return sorted(found, key=qid_order)


def qid_order(qid: str) -> int:
    return int(qid[1:])


def qid_pair_order(pair: tuple[str, str]) -> tuple[int, int]:
    return (qid_order(pair[0]), qid_order(pair[1]))
