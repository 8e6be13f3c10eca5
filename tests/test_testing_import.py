"""Laboratory result lists through the import pipeline: Vietnamese headers, people by CCCD or by name, birth
year and commune, idempotent by (laboratory, sample code), listeners told of new positives only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook

from epicommand.core.models import Organization
from epicommand.core.roles import Role
from epicommand.imports import services as imports
from epicommand.imports.models import ImportRun
from epicommand.testing import links, positivity
from epicommand.testing.import_specs import parse_kind, parse_result
from epicommand.testing.models import Kind, Result
from epicommand.testing.models import Test as LabTest

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HEADERS = ["STT", "Họ và tên", "Năm sinh", "Số CCCD", "Xã/phường", "Đơn vị xét nghiệm", "Mã mẫu",
           "Loại xét nghiệm", "Ngày lấy mẫu", "Ngày trả kết quả", "Kết quả", "Giá trị Ct"]


@pytest.fixture
def heard():
    calls: list[list[str]] = []

    def listener(*, actor, tests):
        calls.append(sorted(t.lab_code for t in tests))

    links.register_result_listener(listener)
    yield calls
    links.unregister_result_listener(listener)


@pytest.fixture
def cdc(world) -> Organization:
    Organization.objects.filter(pk=world.vaccination.cdc.pk).update(code="CDC12")
    return world.vaccination.cdc


def day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).strftime("%d/%m/%Y")


def rows(world, *, third_result: str = "") -> list[list]:
    an, neighbour = world.people["home"], world.people["neighbour"]
    return [
        [an.full_name, 1980, an.cccd, "Mường Tè", "CDC12", "LC-001", "RT-PCR", day(2), day(1), "Dương tính",
         "21,5"],                                                                   # by CCCD, positive
        ["PERSON home Bis", 1980, "", "Mường Tè", "org province-cdc", "LC-002", "PCR", day(2), day(1),
         "Âm tính", ""],                                                            # by name, year, commune
        [an.full_name, 1980, an.cccd, "Mường Tè", "CDC12", "LC-003", "Test nhanh kháng nguyên", day(1), "",
         third_result, ""],                                                         # pending at first
        [neighbour.full_name, 1980, neighbour.cccd, "Bum Tở", "CDC12", "LC-004", "PCR", day(1), day(1),
         "Âm tính", ""],                                                            # another commune's person
        [an.full_name, 1980, an.cccd, "Mường Tè", "Phòng xét nghiệm XYZ", "LC-005", "PCR", day(1), day(1),
         "Âm tính", ""],                                                            # unknown laboratory
        [an.full_name, 1980, an.cccd, "Mường Tè", "CDC12", "LC-001", "RT-PCR", day(2), day(1), "Dương tính",
         ""],                                                                       # the same sample again
    ]


def workbook(path: Path, data: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH KẾT QUẢ XÉT NGHIỆM SARS-CoV-2"])
    sheet.append(HEADERS)
    for number, row in enumerate(data, start=1):
        sheet.append([number, *row])
    book.save(path)
    return path


def run_file(world, path: Path, role=Role.COMMUNE_STATION) -> ImportRun:
    with path.open("rb") as handle:
        run = imports.create_run(actor=world.user(role), spec_name="lab_results", file=handle,
                                 original_name=path.name)
    imports.execute(run)
    run.refresh_from_db()
    return run


def test_words_of_results_and_kinds():
    assert parse_result("Dương tính") == parse_result("DUONG TINH") == parse_result("(+)") == Result.POSITIVE
    assert parse_result("âm tính") == parse_result("Negative") == Result.NEGATIVE
    assert parse_result("") == Result.PENDING and parse_result("không xác định") == Result.INVALID
    assert parse_result("maybe") is None
    assert parse_kind("Realtime RT-PCR") == parse_kind("") == Kind.PCR
    assert parse_kind("Test nhanh kháng nguyên") == Kind.ANTIGEN and parse_kind("PCR gộp mẫu") == Kind.POOLED_PCR


def test_a_lab_list_imports_once_and_tells_of_new_positives_only(world, cdc, heard, tmp_path):
    path = workbook(tmp_path / "ket-qua.xlsx", rows(world))
    run = run_file(world, path)
    assert (run.created, run.updated, run.unchanged, run.rejected) == (3, 0, 0, 3)
    reasons = {p["row"]: p["reason"] for p in run.errors_preview}
    assert set(reasons) == {6, 7, 8}  # sheet rows (the header is row 2)
    first = LabTest.objects.get(lab=cdc, lab_code="LC-001")
    assert (first.person, first.kind, first.result, first.ct_value, first.source_import) == (
        world.people["home"], Kind.PCR, Result.POSITIVE, Decimal("21.5"), run.pk)
    assert LabTest.objects.get(lab_code="LC-002").person.full_name == "PERSON home Bis"
    assert LabTest.objects.get(lab_code="LC-003").result == Result.PENDING
    assert not LabTest.objects.filter(lab_code="LC-004").exists()
    assert heard == [["LC-001"]]

    again = run_file(world, path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 3)
    assert LabTest.objects.filter(lab=cdc).count() == 3 and heard == [["LC-001"]]

    # The pending sample's result arrives in the next list: updated, and announced.
    later = run_file(world, workbook(tmp_path / "ket-qua-2.xlsx", rows(world, third_result="Dương tính")))
    assert (later.created, later.updated, later.unchanged) == (0, 1, 2)
    assert LabTest.objects.get(lab_code="LC-003").result == Result.POSITIVE
    assert heard == [["LC-001"], ["LC-003"]]


def test_imported_results_keep_positivity_current(world, cdc, tmp_path):
    positivity.rebuild()
    run_file(world, workbook(tmp_path / "ket-qua.xlsx", rows(world)))
    run_file(world, workbook(tmp_path / "ket-qua-2.xlsx", rows(world, third_result="Âm tính")))
    assert positivity.stored() == positivity.counted()


def test_a_role_without_the_testing_right_cannot_import(world, tmp_path):
    from django.core.exceptions import PermissionDenied, ValidationError

    path = workbook(tmp_path / "ket-qua.xlsx", rows(world))
    with pytest.raises((PermissionDenied, ValidationError)), path.open("rb") as handle:
        imports.create_run(actor=world.user(Role.VACCINATION_SITE), spec_name="lab_results", file=handle,
                           original_name=path.name)


def test_pooled_rows_are_refused_and_self_tests_are_the_citizens_own(world, cdc, heard, tmp_path):
    """A pool's positive is nobody's diagnosis, so an imported pooled row must not become a positive (nor be
    announced); a self-test on a list is the citizen's own kit: paid by them, no fee, marked as reported."""
    an = world.people["home"]
    data = [
        [an.full_name, 1980, an.cccd, "Mường Tè", "CDC12", "LC-P1", "PCR gộp mẫu", day(1), day(1), "Dương tính", ""],
        [an.full_name, 1980, an.cccd, "Mường Tè", "CDC12", "LC-S1", "Tự xét nghiệm", day(1), day(1), "Âm tính",
         ""],
        [an.full_name, 1980, an.cccd, "Mường Tè", "CDC12", "LC-A1", "Test nhanh", day(1), day(1), "Âm tính", "30"],
    ]
    run = run_file(world, workbook(tmp_path / "gop.xlsx", data))
    assert (run.created, run.rejected) == (2, 1)
    assert not LabTest.objects.filter(lab_code="LC-P1").exists() and heard == []
    self_test = LabTest.objects.get(lab_code="LC-S1")
    assert (self_test.kind, self_test.payer, self_test.fee, self_test.self_reported) == (
        Kind.SELF_TEST, "self", 0, True)
    assert LabTest.objects.get(lab_code="LC-A1").ct_value is None  # a rapid test has no Ct


def test_a_cccd_outside_the_importers_area_reads_like_an_unknown_one(world, cdc, tmp_path):
    neighbour = world.people["neighbour"]
    data = [[neighbour.full_name, 1980, neighbour.cccd, "Bum Tở", "CDC12", "LC-N1", "PCR", day(1), day(1),
             "Dương tính", ""],
            [neighbour.full_name, 1980, "012999999999", "Bum Tở", "CDC12", "LC-N2", "PCR", day(1), day(1),
             "Dương tính", ""]]
    run = run_file(world, workbook(tmp_path / "ngoai.xlsx", data))
    reasons = [p["reason"] for p in run.errors_preview]
    assert run.rejected == 2 and len(set(reasons)) == 1, reasons
    assert neighbour.full_name not in str(run.errors_preview)
    assert not LabTest.objects.filter(lab_code__in=["LC-N1", "LC-N2"]).exists()
