"""Resolving what people write for a commune, or a whole address, to a current commune.

Accepts current and pre-2025 names, with or without diacritics and the unit word ("xã Pa Ủ",
"Pa U", "TT Mường Tè"), and free-text addresses ("Bản Nậm Củm, xã Pa Ủ, huyện Mường Tè"). An old
commune resolves to the current commune that took it over. A name shared by two units is resolved
by the district written beside it, or else reported as ambiguous rather than guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import Place
from .text import fold

_UNIT_WORDS = ("xa ", "phuong ", "thi tran ", "tt ", "dac khu ", "huyen ", "thanh pho ", "tp ", "thi xa ",
               "quan ", "tinh ")
_VILLAGE_WORDS = ("ban ", "thon ", "to dan pho ", "to ", "xom ", "khu ", "doi ", "khom ", "ap ", "lang ")
_SPLIT = re.compile(r"[,;\-–]|\s{2,}")


def _bare(folded: str) -> str:
    for word in _UNIT_WORDS:
        if folded.startswith(word):
            return folded[len(word):].strip()
    return folded


@dataclass
class Resolution:
    commune: Place | None
    ambiguous: bool = False
    village: str = ""


class CommuneResolver:
    """Built once per import for one province, then answers from memory."""

    def __init__(self, province_code: str):
        province = Place.objects.get(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE,
                                     code=province_code)
        self.province = province
        current = {p.pk: p for p in Place.objects.filter(parent=province)}
        self.by_code = {p.code: p for p in current.values()}
        # folded name (with and without its unit word) → set of current commune ids; current names
        # are looked up before pre-2025 ones, so "Mường Tè" is today's Xã Mường Tè.
        self.names: dict[str, set[int]] = {}
        self.old_names: dict[str, set[int]] = {}
        # legacy district folded name → set of current commune ids its communes went to
        self.districts: dict[str, set[int]] = {}
        self.current = current
        # A file names the same few communes thousands of times.
        self._cache: dict[tuple[str, str], Resolution] = {}
        for p in current.values():
            self._add(self.names, p.name_folded, p.pk)
        legacy = Place.objects.filter(path__startswith=f"L{province_code}/", successor__isnull=False,
                                      level=Place.Level.COMMUNE).select_related("parent")
        for old in legacy:
            self._add(self.old_names, old.name_folded, old.successor_id, district=old.parent.name_folded)
            self._add(self.districts, old.parent.name_folded, old.successor_id)

    def _add(self, index: dict, folded: str, pk: int, district: str | None = None) -> None:
        for key in {folded, _bare(folded)}:
            index.setdefault(key, set()).add(pk)
            if district:
                index.setdefault(f"{key}|{_bare(district)}", set()).add(pk)

    def commune(self, text: str, *, district: str = "") -> Resolution:
        key = (text, district)
        if key not in self._cache:
            self._cache[key] = self._commune(text, district)
        return self._cache[key]

    def _commune(self, text: str, district: str) -> Resolution:
        folded = fold(text)
        if not folded:
            return Resolution(None)
        if folded.isdigit() and folded.zfill(5) in self.by_code:
            return Resolution(self.by_code[folded.zfill(5)])
        # Towns (thị trấn) and districts ended in 2025: such a name is an old one.
        old_first = folded.startswith(("thi tran ", "tt ")) or bool(district)
        indexes = (self.old_names, self.names) if old_first else (self.names, self.old_names)
        ambiguous = False
        for index in indexes:
            candidates = index.get(folded) or index.get(_bare(folded)) or set()
            if len(candidates) > 1 and district:
                candidates = index.get(f"{_bare(folded)}|{_bare(fold(district))}") or candidates
            if len(candidates) == 1:
                return Resolution(self.current[next(iter(candidates))])
            ambiguous = ambiguous or len(candidates) > 1
        return Resolution(None, ambiguous=ambiguous)

    def address(self, text: str) -> Resolution:
        """The commune named in a free-text address, and the village when it leads the address."""
        parts = [p.strip() for p in _SPLIT.split(text or "") if p.strip()]
        folded = [fold(p) for p in parts]
        district = next((p for p in folded if p.startswith(("huyen ", "thanh pho ", "tp ", "thi xa ", "quan "))), "")
        village = parts[0] if folded and folded[0].startswith(_VILLAGE_WORDS) else ""
        ambiguous = False
        # Parts that say what they are ("xã …", "phường …") first, then any part.
        ordered = sorted(range(len(parts)), key=lambda i: not folded[i].startswith(("xa ", "phuong ", "thi tran ",
                                                                                    "tt ", "dac khu ")))
        # Parts that look like villages come last but are still tried: some communes are named so
        # (Bản Bo, Làng Mô).
        ordered.sort(key=lambda i: folded[i].startswith(_VILLAGE_WORDS))
        for i in ordered:
            if folded[i] == district or (i == 0 and village):
                continue
            found = self.commune(parts[i], district=district)
            if found.commune:
                return Resolution(found.commune, village=village)
            ambiguous = ambiguous or found.ambiguous
        return Resolution(None, ambiguous=ambiguous, village=village)
