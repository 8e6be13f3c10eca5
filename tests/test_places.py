from __future__ import annotations

import pytest
from django.core.management import call_command

from epicommand.core.models import Place
from epicommand.core.places import UnknownProvince, load_province, search_places
from epicommand.core.text import fold

pytestmark = pytest.mark.django_db

CURRENT, LEGACY = Place.Structure.CURRENT, Place.Structure.LEGACY


def test_lai_chau_has_38_current_and_106_pre_2025_communes():
    province = Place.objects.get(structure=CURRENT, level="province", code="12")
    assert Place.objects.filter(parent=province, level="commune").count() == 38
    kinds = Place.objects.filter(parent=province).values_list("kind", flat=True)
    assert sorted(set(kinds)) == ["Phường", "Xã"]
    assert list(kinds).count("Phường") == 2
    old_districts = Place.objects.filter(structure=LEGACY, level="district", path__startswith="L12/")
    assert sorted(old_districts.values_list("code", flat=True)) == [str(c) for c in range(105, 113)]
    assert Place.objects.filter(structure=LEGACY, level="commune", path__startswith="L12/").count() == 106


def test_every_pre_2025_commune_maps_to_a_current_commune_of_the_province():
    old = Place.objects.filter(structure=LEGACY, level="commune", path__startswith="L12/").select_related("successor")
    assert old.count() == 106
    for commune in old:
        assert commune.successor is not None, commune.name
        assert commune.successor.structure == CURRENT
        assert commune.successor.path.startswith("12/")


def test_reloading_changes_nothing():
    before = list(Place.objects.order_by("pk").values())
    result = load_province("12")
    assert (result.created, result.updated) == (0, 0)
    assert list(Place.objects.order_by("pk").values()) == before


def test_command_prints_current_and_pre_2025_counts(capsys):
    call_command("load_places", province="12")
    out = capsys.readouterr().out
    assert "38 current communes/wards" in out and "8 districts, 106 communes" in out


def test_ha_noi_loads_too():
    result = load_province("1")
    assert result.province == "Thành phố Hà Nội"
    assert result.current_communes == Place.objects.filter(path__startswith="01/", level="commune").count() > 100
    assert result.legacy_communes > 500 and not result.unmapped_legacy


def test_unknown_province_is_refused():
    with pytest.raises(UnknownProvince):
        load_province("99")
    with pytest.raises(UnknownProvince):
        load_province("1; DROP TABLE x")


def test_ancestry_path_gives_the_subtree():
    commune = Place.objects.get(structure=CURRENT, short_name="Mường Tè")
    assert commune.path == f"12/{commune.code}/"
    assert commune.parent.path == "12/"
    assert commune.parent.contains(commune) and not commune.contains(commune.parent)


def test_search_ignores_case_and_diacritics():
    names = [m.place.name for m in search_places("muong te")]
    assert "Xã Mường Tè" in names
    assert [m.place.name for m in search_places("MƯỜNG TÈ")][:1] == ["Xã Mường Tè"]
    assert fold("Đoàn Kết") == "doan ket"


def test_old_names_resolve_to_current_places():
    # Tam Đường was a district before 2025; there is no current unit of that name.
    assert not Place.objects.filter(structure=CURRENT, name_folded__contains="tam duong").exists()
    matches = search_places("tam duong")
    assert matches and all(m.place.structure == CURRENT and m.via is not None for m in matches)
    district = Place.objects.get(structure=LEGACY, level="district", code="106")
    expected = set(Place.objects.filter(predecessors__parent=district).values_list("pk", flat=True))
    assert {m.place.pk for m in matches} == expected


def test_every_province_reads_and_maps_every_old_commune():
    import sqlite3

    from epicommand.core.places import DATA_DIR, _read

    with sqlite3.connect(DATA_DIR / "dataset.db") as db:
        codes = [r[0] for r in db.execute("SELECT DISTINCT provinceCode FROM admin_units")]
    assert len(codes) == 34
    for code in codes:
        current, legacy, successor = _read(code)
        old_communes = [s["code"] for s in legacy if s["level"] == "commune"]
        assert old_communes and set(old_communes) == set(successor), code


def test_a_province_with_island_districts_loads():
    result = load_province("31")  # Hải Phòng: Bạch Long Vĩ had no communes
    assert result.current_communes > 100 and not result.unmapped_legacy
