"""Loading administrative units from the `vietnamadminunits` package, and searching them.

The package ships both structures (34 provinces since 1/7/2025, and the 63-province, district-level
structure before it) and the old→new commune map. We read its tables directly: its address
converter can fall back to online geocoding, which a closed provincial network must never need.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import vietnamadminunits
from django.db import transaction

from .models import Place
from .text import fold, nfc

DATA_DIR = Path(vietnamadminunits.__file__).parent / "data"
CURRENT, LEGACY = Place.Structure.CURRENT, Place.Structure.LEGACY
PROVINCE, DISTRICT, COMMUNE = Place.Level.PROVINCE, Place.Level.DISTRICT, Place.Level.COMMUNE


class UnknownProvince(ValueError):
    pass


@dataclass
class LoadResult:
    province: str = ""
    current_communes: int = 0
    legacy_districts: int = 0
    legacy_communes: int = 0
    unmapped_legacy: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0


def _rows(sql: str, params: tuple) -> list[dict]:
    with sqlite3.connect(f"file:{DATA_DIR / 'dataset.db'}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]


def _kind(full: str, short: str) -> str:
    return full[: len(full) - len(short)].strip() if full.endswith(short) else ""


def _spec(structure, level, code, name, short, parent_path, lat=None, lon=None, area=None) -> dict:
    prefix = "" if structure == CURRENT else "L"
    path = f"{parent_path}{code}/" if parent_path else f"{prefix}{code}/"
    return {
        "structure": structure, "level": level, "code": code, "name": nfc(name), "short_name": nfc(short),
        "kind": _kind(name, short), "name_folded": fold(name), "path": path,
        "latitude": lat, "longitude": lon, "area_km2": area,
    }


def _read(province_code: str) -> tuple[list[dict], list[dict], dict[str, str]]:
    """Specs for current and legacy units, and legacy commune code → current commune code."""
    current = _rows("SELECT * FROM admin_units WHERE provinceCode = ? ORDER BY wardCode", (province_code,))
    if not current:
        raise UnknownProvince(province_code)
    first = current[0]
    specs = [_spec(CURRENT, PROVINCE, province_code, first["province"], first["provinceShort"], "",
                   first["provinceLat"], first["provinceLon"])]
    root = specs[0]["path"]
    ward_by_key = {r["wardKey"]: r["wardCode"] for r in current}
    for r in current:
        specs.append(_spec(CURRENT, COMMUNE, r["wardCode"], r["ward"], r["wardShort"], root,
                           r["wardLat"], r["wardLon"], r["wardAreaKm2"]))

    conv = json.loads((DATA_DIR / "converter_2025.json").read_text(encoding="utf-8"))
    new_key = first["provinceKey"]
    old_keys = conv["DICT_PROVINCE"].get(new_key, [new_key])
    whole = {o: n for n, olds in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].get(new_key, {}).items() for o in olds}
    split = conv["DICT_PROVINCE_WARD_DIVIDED"].get(new_key, {})

    marks = ",".join("?" * len(old_keys))
    legacy = _rows(f"SELECT * FROM admin_units_legacy WHERE provinceKey IN ({marks}) "  # noqa: S608 (placeholders)
                   "ORDER BY provinceCode, districtCode, wardCode", tuple(old_keys))
    legacy_specs: list[dict] = []
    successor: dict[str, str] = {}
    seen: set[str] = set()
    for r in legacy:
        p_path = f"L{r['provinceCode']}/"
        d_path = f"{p_path}{r['districtCode']}/"
        if p_path not in seen:
            seen.add(p_path)
            legacy_specs.append(_spec(LEGACY, PROVINCE, r["provinceCode"], r["province"], r["provinceShort"], "",
                                      r["provinceLat"], r["provinceLon"]))
        if d_path not in seen:
            seen.add(d_path)
            legacy_specs.append(_spec(LEGACY, DISTRICT, r["districtCode"], r["district"], r["districtShort"],
                                      p_path, r["districtLat"], r["districtLon"]))
        if not r["wardCode"]:
            continue  # island districts (Bạch Long Vĩ, Cồn Cỏ, Lý Sơn…) had no communes
        legacy_specs.append(_spec(LEGACY, COMMUNE, r["wardCode"], r["ward"], r["wardShort"], d_path,
                                  r["wardLat"], r["wardLon"]))
        old = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"
        target = whole.get(old) or next((w["newWardKey"] for w in split.get(old, []) if w["isDefaultNewWard"]), None)
        if target in ward_by_key:
            successor[r["wardCode"]] = ward_by_key[target]
    return specs, legacy_specs, successor


FIELDS = ("level", "name", "short_name", "kind", "name_folded", "path", "latitude", "longitude", "area_km2")


@transaction.atomic
def load_province(province_code: str) -> LoadResult:
    """Create or correct the province's units; running it again changes nothing."""
    code = str(province_code).strip().zfill(2)
    if not (code.isdigit() and len(code) == 2):
        raise UnknownProvince(province_code)
    specs, legacy_specs, successor = _read(code)
    result = LoadResult(province=specs[0]["name"])
    by_path: dict[str, Place] = {}
    created: set[int] = set()
    for spec in specs + legacy_specs:
        parent_path = spec["path"].rstrip("/").rpartition("/")[0]
        parent = by_path.get(parent_path + "/") if parent_path else None
        place = Place.objects.filter(structure=spec["structure"], code=spec["code"]).first()
        if place is None:
            place = Place.objects.create(parent=parent, **spec)
            created.add(place.pk)
            result.created += 1
        elif any(getattr(place, f) != spec[f] for f in FIELDS) or place.parent_id != (parent.pk if parent else None):
            for f in FIELDS:
                setattr(place, f, spec[f])
            place.parent = parent
            place.save()
            result.updated += 1
        by_path[spec["path"]] = place
    current_by_code = {p.code: p for p in by_path.values() if p.structure == CURRENT}
    for place in by_path.values():
        if place.structure != LEGACY or place.level != COMMUNE:
            continue
        target = current_by_code.get(successor.get(place.code, ""))
        if target is None:
            result.unmapped_legacy.append(place.name)
        if place.successor_id != (target.pk if target else None):
            place.successor = target
            place.save(update_fields=["successor"])
            result.updated += place.pk not in created
    result.current_communes = sum(1 for s in specs if s["level"] == COMMUNE)
    result.legacy_districts = sum(1 for s in legacy_specs if s["level"] == DISTRICT)
    result.legacy_communes = sum(1 for s in legacy_specs if s["level"] == COMMUNE)
    return result


@dataclass
class PlaceMatch:
    place: Place  # always a current place
    via: Place | None = None  # the pre-2025 unit whose name matched, when the match came through it


def search_places(query: str, *, limit: int = 30) -> list[PlaceMatch]:
    """Current places whose name, or whose pre-2025 predecessor's name, contains the query,
    ignoring case and diacritics ("muong te" finds "Mường Tè")."""
    q = fold(query)
    if not q:
        return []
    matches: dict[int, PlaceMatch] = {}
    for place in Place.objects.filter(structure=CURRENT, name_folded__contains=q).select_related("parent")[:limit]:
        matches[place.pk] = PlaceMatch(place)
    legacy = Place.objects.filter(structure=LEGACY, name_folded__contains=q).exclude(level=PROVINCE)[:limit]
    for old in legacy:
        if old.level == COMMUNE:
            targets = Place.objects.filter(pk=old.successor_id)
        else:
            targets = Place.objects.filter(predecessors__path__startswith=old.path).distinct()
        for place in targets.select_related("parent"):
            matches.setdefault(place.pk, PlaceMatch(place, via=old))
    return sorted(matches.values(), key=lambda m: (m.via is not None, m.place.path))[:limit]


def legacy_successor_codes(province_code: str) -> dict[str, str]:
    """Pre-2025 commune GSO code → the current commune code that took it over, straight from the
    package data (no database needed), for code that normalises old addresses in bulk."""
    _, _, successor = _read(str(province_code).strip().zfill(2))
    return successor
