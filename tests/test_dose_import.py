"""Historical doses and official targets through the import pipeline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.imports import services
from epicommand.imports.models import ImportRun
from epicommand.imports.spec import Context
from epicommand.people.models import Person
from epicommand.vaccination import import_specs
from epicommand.vaccination.campaign_services import age_groups
from epicommand.vaccination.import_specs import DOSES_SPEC, age_group_key, vaccine_key
from epicommand.vaccination.models import Dose, DoseKind, OfficialTarget, VaccinationStatus

pytestmark = pytest.mark.django_db

VI_HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Xã/phường", "Ngày tiêm", "Tên vắc xin",
              "Số lô", "Mũi tiêm thứ", "Cơ sở tiêm"]


def rows(world) -> list[list]:
    an = world.people["home"]
    return [
        # (name, birth, sex, CCCD, commune, day, vaccine, lot, number, site) — what each row tests is beside it.
        ["PERSON home An", "1980", "Nam", an.cccd, "Mường Tè", "01/09/2021", "Pfizer", "FF1234", "1",
         "TYT Mường Tè"],                                                                      # linked by CCCD
        ["Lò Thị Hoa", "12/05/1990", "Nữ", "", "Mường Tè", "01/08/2021", "AstraZeneca", "AZ01", "1",
         "TYT Mường Tè"],                                                                      # a new person
        ["Lò Thị Hoa", "12/05/1990", "Nữ", "", "Mường Tè", "01/10/2021", "AZ", "AZ02", "2", ""],  # same person, dose 2
        ["Lò Thị Hoa", "12/05/1990", "Nữ", "", "Mường Tè", "01/10/2021", "AZ", "AZ02", "2", ""],  # duplicate row
        ["Vàng A Páo", "1985", "", "012085000777", "Mường Tè", "01/09/2021", "Vero Cell", "", "", ""],  # sex from CCCD
        ["Vàng A Páo", "1985", "", "012085000777", "Mường Tè", "10/09/2021", "Sinopharm", "", "", ""],  # 9 days later
        ["person home bis", "1980", "Nam", "", "Mường Tè", "15/10/2021", "Pfizer-BioNTech", "", "", ""],  # by name
        ["Ai Đó", "1980", "Nam", "", "Mường Tè", "15/10/2021", "Vắc xin XYZ", "", "", ""],      # unknown vaccine
        [world.people["neighbour"].full_name, "1980", "Nam", world.people["neighbour"].cccd, "Mường Tè",
         "15/10/2021", "Pfizer", "", "", ""],                                                  # CCCD of another commune
    ]


def workbook(path: Path, data: list[list], headers=VI_HEADERS) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH ĐỐI TƯỢNG ĐÃ TIÊM VẮC XIN COVID-19"])
    sheet.append(headers)
    for number, row in enumerate(data, start=1):
        sheet.append([number, *row] if headers[0] == "STT" else row)
    book.save(path)
    return path


def run_file(world, path: Path, spec="doses", role=Role.COMMUNE_STATION, where="home", dry_run=False) -> ImportRun:
    actor = world.user(role, where)
    with path.open("rb") as handle:
        run = services.create_run(actor=actor, spec_name=spec, file=handle, original_name=path.name)
    run.dry_run = dry_run
    run.save()
    services.execute(run)
    run.refresh_from_db()
    return run


def test_vaccine_names_as_people_write_them():
    assert vaccine_key("AstraZeneca") == vaccine_key("AZ") == vaccine_key("Astra Zeneca") == "astrazeneca"
    assert vaccine_key("Vắc xin AstraZeneca (Covishield)") == "astrazeneca"
    assert vaccine_key("Pfizer-BioNTech") == vaccine_key("Comirnaty") == vaccine_key("pfizer") == "pfizer"
    assert vaccine_key("Vero Cell") == vaccine_key("Sinopharm") == vaccine_key("VERO CELL (Sinopharm)") == "vero_cell"
    assert vaccine_key("Moderna") == vaccine_key("Spikevax") == "moderna"
    assert vaccine_key("Sputnik V") == "sputnik_v" and vaccine_key("Hayat-Vax") == "hayat_vax"
    assert vaccine_key("Janssen") == vaccine_key("J&J") == "janssen" and vaccine_key("Abdala") == "abdala"
    assert vaccine_key("XYZ") is None and vaccine_key("") is None


def not_found() -> str:
    from django.utils.translation import gettext

    return gettext("The person could not be found or registered: check the identity columns.")


def test_a_vietnamese_workbook_links_creates_flags_and_rejects_with_reasons(world, tmp_path):
    run = run_file(world, workbook(tmp_path / "mui-tiem.xlsx", rows(world)))
    assert (run.header_row, run.total_rows, run.created, run.unchanged, run.rejected) == (1, 9, 6, 0, 3)
    reasons = {p["row"]: (p["column"], p["reason"]) for p in run.errors_preview}
    assert set(reasons) == {6, 10, 11}                                 # sheet rows: the header is row 2
    assert "3" in reasons[6][1] or "5" in reasons[6][1]                # duplicate of an earlier row
    assert reasons[10][0] == "Tên vắc xin"
    # A CCCD registered in another commune reads exactly like a person nobody can find: the importer learns
    # nothing about where (or whether) it is registered.
    assert reasons[11] == ("", not_found())

    an = world.people["home"]
    linked = Dose.objects.get(person=an, given_on=date(2021, 9, 1))
    assert (linked.historical, linked.lot_number, linked.site_name, linked.number, linked.source_import) == (
        True, "FF1234", "TYT Mường Tè", 1, run.pk)
    hoa = Person.objects.get(full_name="Lò Thị Hoa")                 # created once for her two rows
    assert (hoa.commune, hoa.birth_date, hoa.sex, hoa.source_import) == (world.communes["home"], date(1990, 5, 12),
                                                                         "F", run.pk)
    assert list(Dose.objects.filter(person=hoa).values_list("number", "product__key", "off_schedule")) == [
        (1, "astrazeneca", []), (2, "astrazeneca", [])]
    pao = Person.objects.get(cccd="012085000777")
    assert pao.sex == "M"                                             # CCCD digit 4 is even: a man
    first, second = Dose.objects.filter(person=pao).order_by("given_on")
    assert (first.number, first.off_schedule) == (1, [])
    assert second.number == 2 and second.off_schedule == ["too_early"]  # flagged, not rejected
    bis = Person.objects.get(full_name="PERSON home Bis")            # linked by folded name, year, commune
    assert Dose.objects.filter(person=bis, product__key="pfizer").count() == 1
    assert not Person.objects.filter(full_name__iexact="person home bis").exclude(pk=bis.pk).exists()
    assert not Dose.objects.filter(person=world.people["neighbour"], given_on=date(2021, 10, 15)).exists()
    # Coverage follows: statuses were refreshed for the people touched.
    assert VaccinationStatus.objects.get(person=hoa).doses == 2
    assert VaccinationStatus.objects.get(person=pao).primary_on == date(2021, 9, 10)
    event = AuditEvent.objects.get(object_type="vaccination.Dose", action="create")
    assert event.changes["person_link"] == {"cccd": 1, "created": 4, "name": 1} and event.changes["off_schedule"] == 1


def test_a_second_import_of_the_same_file_changes_nothing(world, tmp_path):
    path = workbook(tmp_path / "mui-tiem.xlsx", rows(world))
    run_file(world, path)
    people, doses = Person.objects.count(), Dose.all_objects.count()
    statuses = list(VaccinationStatus.objects.order_by("person_id").values())
    again = run_file(world, path)
    assert (again.created, again.unchanged, again.rejected) == (0, 6, 3)
    assert (Person.objects.count(), Dose.all_objects.count()) == (people, doses)
    assert list(VaccinationStatus.objects.order_by("person_id").values()) == statuses


def test_a_dry_run_writes_nothing_but_counts_the_same(world, tmp_path):
    run = run_file(world, workbook(tmp_path / "mui-tiem.xlsx", rows(world)), dry_run=True)
    assert (run.created, run.rejected) == (6, 3)
    assert not Dose.objects.filter(historical=True).exists()
    assert not Person.objects.filter(full_name="Lò Thị Hoa").exists()


def test_row_outcomes_say_how_each_person_was_found(world):
    actor = world.user(Role.COMMUNE_STATION)
    ctx = Context(actor=actor, dry_run=False)
    DOSES_SPEC.begin(ctx)
    data = rows(world)
    keys = ["full_name", "birth", "sex", "cccd", "commune", "dose_date", "vaccine", "lot", "dose_number", "site"]
    batch = [DOSES_SPEC.prepare(ctx, dict(zip(keys, data[i], strict=True)), i + 1) for i in (0, 1, 6)]
    outcomes = DOSES_SPEC.write(ctx, batch)
    assert [(o.result, dict(o.problems)["person_link"]) for o in outcomes] == [
        ("created", "cccd"), ("created", "created"), ("created", "name")]
    again = DOSES_SPEC.write(ctx, batch)
    assert [(o.result, dict(o.problems)["person_link"]) for o in again] == [
        ("unchanged", "cccd"), ("unchanged", "name"), ("unchanged", "name")]


def test_namesakes_are_not_guessed_between(world, tmp_path):
    for _copy in range(2):
        Person.objects.create(full_name="Lò Văn Minh", name_folded="lo van minh", sex="M", birth_year=1970,
                              commune=world.communes["home"])
    path = workbook(tmp_path / "x.xlsx", [["Lò Văn Minh", "1970", "Nam", "", "Mường Tè", "01/09/2021", "Pfizer", "",
                                          "", ""]])
    run = run_file(world, path)
    assert run.rejected == 1 and "CCCD" in run.errors_preview[0]["reason"]
    assert Person.objects.filter(name_folded="lo van minh").count() == 2


def test_an_english_csv_without_dose_numbers_infers_them_and_kinds(world, tmp_path):
    path = tmp_path / "doses.csv"
    path.write_text(
        "Full name,Date of birth,Sex,CCCD,Commune,Date of dose,Vaccine,Lot number\n"
        "Giàng Thị Mai,1960,Female,,Mường Tè,2021-08-01,Pfizer,\n"
        "Giàng Thị Mai,1960,Female,,Mường Tè,2021-08-25,Pfizer,\n"
        "Giàng Thị Mai,1960,Female,,Mường Tè,2022-08-01,Moderna,\n", encoding="utf-8")
    run = run_file(world, path)
    assert (run.created, run.rejected) == (3, 0), run.errors_preview
    mai = Person.objects.get(full_name="Giàng Thị Mai")
    assert list(Dose.objects.filter(person=mai).values_list("number", "kind", "off_schedule")) == [
        (1, DoseKind.PRIMARY, []), (2, DoseKind.PRIMARY, []), (3, DoseKind.BOOSTER, [])]


def test_only_importers_of_the_register_may_import_doses(world, tmp_path):
    from django.core.exceptions import PermissionDenied

    path = workbook(tmp_path / "x.xlsx", rows(world)[:1])
    with pytest.raises(PermissionDenied), path.open("rb") as handle:
        services.create_run(actor=world.user(Role.VACCINATION_SITE), spec_name="doses", file=handle,
                            original_name="x.xlsx")


# ---- official targets ----------------------------------------------------------------------------------

def test_age_groups_as_people_write_them():
    groups = age_groups(date(2026, 1, 1))
    assert age_group_key("adult", groups) == age_group_key("18+", groups) == age_group_key("Người lớn", groups) == \
        "adult"
    assert age_group_key("12-17", groups) == age_group_key("12 đến 17 tuổi", groups) == "teen"
    assert age_group_key("5–11", groups) == age_group_key("Trẻ em", groups) == "child"
    assert age_group_key("60+", groups) is None


def test_official_targets_are_upserted(world, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("Xã/phường,Nhóm tuổi,Số đối tượng,Nguồn\n"
                    "Mường Tè,18+,1.200,Chi cục Thống kê\n"
                    "Mường Tè,12-17,300,\n"
                    "Bum Tở,Người lớn,900,Chi cục Thống kê\n"
                    "Mường Tè,người lớn,1250,\n"
                    "Mường Tè,già,10,\n", encoding="utf-8")
    run = run_file(world, path, spec="targets", role=Role.HEALTH_OFFICER)
    assert (run.created, run.rejected) == (3, 2)
    home = world.communes["home"]
    assert OfficialTarget.objects.get(commune=home, age_group="adult").people == 1200
    assert OfficialTarget.objects.get(commune=home, age_group="adult").source == "Chi cục Thống kê"
    assert OfficialTarget.objects.get(commune=world.communes["neighbour"], age_group="adult").people == 900
    again = run_file(world, path, spec="targets", role=Role.HEALTH_OFFICER)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    path.write_text("Xã/phường,Nhóm tuổi,Số đối tượng\nMường Tè,18+,1300\n", encoding="utf-8")
    changed = run_file(world, path, spec="targets", role=Role.HEALTH_OFFICER)
    assert changed.updated == 1
    target = OfficialTarget.objects.get(commune=home, age_group="adult")
    assert (target.people, target.source) == (1300, "Chi cục Thống kê")


def test_a_commune_cannot_import_targets(world, tmp_path):
    from django.core.exceptions import PermissionDenied

    path = tmp_path / "targets.csv"
    path.write_text("Xã/phường,Nhóm tuổi,Số đối tượng\nMường Tè,18+,1\n", encoding="utf-8")
    with pytest.raises(PermissionDenied), path.open("rb") as handle:
        services.create_run(actor=world.user(Role.COMMUNE_STATION), spec_name="targets", file=handle,
                            original_name="targets.csv")
    assert not import_specs.TARGETS_SPEC.capability == import_specs.DOSES_SPEC.capability


def test_a_target_that_is_not_a_whole_count_is_refused_not_misread(world, tmp_path):
    # A formula's 1234.5 is not 12345 people, nor is a figure beyond any commune stored wrapped around.
    wb = Workbook()
    wb.active.append(["Xã/phường", "Nhóm tuổi", "Số đối tượng"])
    for row in (["Mường Tè", "18+", 1234.5], ["Mường Tè", "12-17", "99999999999"], ["Mường Tè", "5-11", "²"],
                ["Bum Tở", "18+", "1.234"], ["Bum Tở", "12-17", 800.0]):
        wb.active.append(row)
    path = tmp_path / "targets.xlsx"
    wb.save(path)
    run = run_file(world, path, spec="targets", role=Role.HEALTH_OFFICER)
    assert (run.created, run.rejected) == (2, 3)
    assert not OfficialTarget.objects.filter(commune=world.communes["home"]).exists()
    assert dict(OfficialTarget.objects.filter(commune=world.communes["neighbour"]).values_list(
        "age_group", "people")) == {"adult": 1234, "teen": 800}


def test_one_dose_listed_by_cccd_and_again_by_name_is_one_dose_and_the_rest_is_imported(world, tmp_path):
    an = world.people["home"]
    data = [
        ["PERSON home An", "1980", "Nam", an.cccd, "Mường Tè", "01/09/2021", "Pfizer", "", "1", ""],
        ["Lò Thị Hoa", "12/05/1990", "Nữ", "", "Mường Tè", "01/08/2021", "AstraZeneca", "", "1", ""],
        ["PERSON home An", "1980", "Nam", "", "Mường Tè", "01/09/2021", "Pfizer", "", "1", ""],  # the same dose
    ]
    run = run_file(world, workbook(tmp_path / "mui-tiem.xlsx", data))
    assert (run.created, run.rejected) == (2, 1)
    assert [p["row"] for p in run.errors_preview] == [5]
    assert "3" in run.errors_preview[0]["reason"]
    assert Dose.objects.filter(person=an, given_on=date(2021, 9, 1)).count() == 1
    assert Dose.objects.filter(person__full_name="Lò Thị Hoa").count() == 1


def test_a_new_person_named_with_and_without_a_cccd_is_registered_once(world, tmp_path):
    data = [
        ["Giàng A Lử", "1979", "Nam", "012079000321", "Mường Tè", "01/08/2021", "AstraZeneca", "", "1", ""],
        ["Giàng A Lử", "1979", "Nam", "", "Mường Tè", "01/10/2021", "AstraZeneca", "", "2", ""],
    ]
    path = workbook(tmp_path / "mui-tiem.xlsx", data)
    run = run_file(world, path)
    assert (run.created, run.rejected) == (2, 0)
    lu = Person.objects.get(full_name="Giàng A Lử")
    assert lu.cccd == "012079000321" and Dose.objects.filter(person=lu).count() == 2
    again = run_file(world, path)
    assert (again.unchanged, again.rejected) == (2, 0) and Person.objects.filter(full_name="Giàng A Lử").count() == 1


def test_two_cccds_under_one_name_are_never_guessed_between(world, tmp_path):
    data = [
        ["Giàng A Lử", "1979", "Nam", "012079000321", "Mường Tè", "01/08/2021", "AstraZeneca", "", "1", ""],
        ["Giàng A Lử", "1979", "Nam", "012079000555", "Mường Tè", "02/08/2021", "AstraZeneca", "", "1", ""],
        ["Giàng A Lử", "1979", "Nam", "", "Mường Tè", "01/10/2021", "AstraZeneca", "", "2", ""],
    ]
    run = run_file(world, workbook(tmp_path / "mui-tiem.xlsx", data))
    assert (run.created, run.rejected) == (2, 1)
    assert [(p["row"], p["column"]) for p in run.errors_preview] == [(5, "Họ và tên")]
    assert "2" in run.errors_preview[0]["reason"] and "CCCD" in run.errors_preview[0]["reason"]
    # Nobody registered for the refused row: the two namesakes only, each with their own dose.
    assert Person.objects.filter(full_name="Giàng A Lử").count() == 2
    assert not Dose.objects.filter(person__full_name="Giàng A Lử", number=2).exists()
