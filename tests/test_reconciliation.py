from __future__ import annotations

import csv
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.people import reconciliation
from epicommand.people.models import (
    Decision,
    DuplicateCandidate,
    Household,
    Merge,
    Person,
    Reconciliation,
    ReferenceCandidate,
    ReferenceRecord,
)
from epicommand.people.reconciliation import classify

pytestmark = pytest.mark.django_db
REF = {"012085000101": ("lo van thang", date(1985, 3, 5), 1985, "M"),
       "012190000102": ("tong thi ung", None, 1990, "F")}


@pytest.mark.parametrize(("values", "expected"), [
    ((None, "x", None, 1980, "M"), (Reconciliation.NO_NUMBER, {})),
    (("12345", "x", None, 1980, "M"), (Reconciliation.MALFORMED, {})),
    (("999085000101", "x", None, 1980, "M"), (Reconciliation.MALFORMED, {})),   # no province 999
    (("012085000999", "lo van thang", date(1985, 3, 5), 1985, "M"), (Reconciliation.NOT_FOUND, {})),
    (("012085000101", "lo van thang", date(1985, 3, 5), 1985, "M"), (Reconciliation.VERIFIED, {})),
    (("012085000101", "lo van thang", None, 1985, "M"), (Reconciliation.VERIFIED, {})),  # year-only agrees
    (("012085000101", "lo van thanh", date(1985, 5, 3), 1985, "M"),
     (Reconciliation.MISMATCH, {"fields": ["name", "birth"]})),
    (("012190000102", "tong thi ung", date(1990, 7, 21), 1990, "M"),
     (Reconciliation.MISMATCH, {"fields": ["sex"]})),
])
def test_classification_follows_cong_van_1495(values, expected):
    assert classify(*values, REF) == expected


@pytest.fixture
def background(world):
    """A realistic crowd on both sides (record linkage estimates its parameters from the data)."""
    from epicommand.core.text import fold
    from epicommand.people.demo import communes_of
    from epicommand.people.synthetic import generate

    by_code = {c.code: c for c in world.communes.values()}
    crowd = [c for c in communes_of(world.province) if c.code in by_code]
    people = list(generate(crowd, 600, 11, today=date(2026, 11, 22)))
    ReferenceRecord.objects.bulk_create(
        ReferenceRecord(cccd=p.cccd or f"0120{i:08d}", full_name=p.full_name, name_folded=fold(p.full_name),
                        birth_date=p.birth_date, birth_year=p.birth_year, sex=p.sex, commune=by_code[p.commune_code])
        for i, p in enumerate(people))
    Person.objects.bulk_create(
        Person(full_name=p.full_name, name_folded=fold(p.full_name), birth_date=p.birth_date, birth_year=p.birth_year,
               sex=p.sex, cccd=p.cccd, commune=by_code[p.commune_code], village=p.village)
        for p in people[:400])


def _reference(cccd, name, day, sex, commune):
    from epicommand.core.text import fold

    return ReferenceRecord.objects.create(cccd=cccd, full_name=name, name_folded=fold(name), birth_date=day,
                                          birth_year=day.year, sex=sex, commune=commune)


def test_a_person_without_number_gets_a_proposal_and_takes_the_identity_when_accepted(world, background):
    home = world.communes["home"]
    person = Person.objects.create(full_name="Giàng A Dế", name_folded="giang a de", sex="M",
                                   birth_date=date(1952, 6, 1), birth_year=1952, commune=home)
    ref = _reference("012052123456", "Giàng A Dế", date(1952, 6, 1), "M", home)
    _reference("012090654321", "Lò Thị Mai", date(1990, 1, 2), "F", home)
    summary = reconciliation.reconcile(duplicates=False)
    person.refresh_from_db()
    assert person.reconciliation == Reconciliation.NO_NUMBER and summary.candidates >= 1
    candidate = ReferenceCandidate.objects.get(person=person)
    assert candidate.reference == ref and candidate.probability > 0.9
    officer = world.user(Role.HEALTH_OFFICER)
    reconciliation.accept_candidate(actor=officer, candidate=candidate)
    person.refresh_from_db()
    assert (person.cccd, person.reconciliation) == ("012052123456", Reconciliation.VERIFIED)
    event = AuditEvent.objects.filter(object_type="people.Person", object_id=str(person.pk)).latest("id")
    assert event.actor == officer and event.changes["cccd"] == [None, "012052123456"]


def test_review_screen_accepts_and_rejects_and_commune_users_cannot(client, world):
    home = world.communes["home"]
    person = Person.objects.create(full_name="Sùng Thị Mỷ", name_folded="sung thi my", sex="F", birth_year=2001,
                                   birth_date=date(2001, 4, 3), commune=home)
    ref = _reference("012301000104", "Sùng Thị Mỷ", date(2001, 4, 3), "F", home)
    candidate = ReferenceCandidate.objects.create(person=person, reference=ref, probability=0.97)
    client.force_login(world.user(Role.COMMUNE_STATION))
    assert client.get(reverse("people:review")).status_code == 403
    assert client.post(reverse("people:decide", args=[candidate.pk]), {"decision": "accept"}).status_code == 403
    client.force_login(world.user(Role.HEALTH_OFFICER))
    assert b"S\xc3\xb9ng Th\xe1\xbb\x8b M\xe1\xbb\xb7" in client.get(reverse("people:review")).content
    client.post(reverse("people:decide", args=[candidate.pk]), {"decision": "reject"})
    candidate.refresh_from_db()
    person.refresh_from_db()
    assert candidate.status == Decision.REJECTED and person.cccd is None


def test_merge_moves_linked_records_and_undo_moves_them_back(world):
    home = world.communes["home"]
    a = Person.objects.create(full_name="Lò Văn Thắng", name_folded="lo van thang", sex="M", birth_year=1985,
                              commune=home)
    b = Person.objects.create(full_name="Lo Van Thang", name_folded="lo van thang", sex="M", birth_year=1985,
                              commune=home)
    household = Household.objects.create(commune=home, head=b)
    officer = world.user(Role.HEALTH_OFFICER)
    record = reconciliation.merge(actor=officer, kept=a, merged=b)
    household.refresh_from_db()
    b.refresh_from_db()
    assert household.head == a and b.merged_into == a
    assert not Person.objects.filter(merged_into__isnull=True, pk=b.pk).exists()
    reconciliation.undo_merge(actor=officer, merge_record=record)
    household.refresh_from_db()
    b.refresh_from_db()
    assert household.head == b and b.merged_into is None
    assert Merge.objects.get(pk=record.pk).undone_at is not None
    actions = AuditEvent.objects.filter(object_type="people.Person", object_id=str(b.pk)).values_list("reason",
                                                                                                     flat=True)
    assert len(actions) == 2


def test_duplicates_are_found_and_merged_from_the_screen(client, world, background):
    home = world.communes["home"]
    for name in ("Tòng Thị Ưng", "Tong Thi Ung"):
        Person.objects.create(full_name=name, name_folded="tong thi ung", sex="F", birth_date=date(1990, 7, 21),
                              birth_year=1990, commune=home, village="Bản Hua Bum")
    reconciliation.find_duplicates()
    pair = DuplicateCandidate.objects.get(first__full_name__startswith="T")
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.post(reverse("people:merge", args=[pair.pk]), {"decision": "merge", "keep": pair.first_id})
    assert response.status_code == 302
    assert Person.objects.get(pk=pair.second_id).merged_into_id == pair.first_id


def test_quality_page_counts_classes_per_commune(client, world):
    Person.objects.filter(pk=world.people["home"].pk).update(reconciliation=Reconciliation.VERIFIED)
    client.force_login(world.user(Role.COMMUNE_STATION))
    rows = client.get(reverse("people:quality")).context["rows"]
    # An, his twin Bis and the child treated at home; Ter was merged into An and leaves the counts.
    assert [(r["commune"], r["total"], r["verified"]) for r in rows] == [("Xã Mường Tè", 3, 1)]


def test_shell_commands_load_the_extract_and_export_one_row_per_person(world, tmp_path):
    extract = tmp_path / "csdl.csv"
    person = world.people["home"]
    extract.write_text("Số CCCD,Họ và tên,Ngày sinh,Giới tính,Địa chỉ\n"
                       f"{person.cccd},PERSON home An,1980,Nam,\"Bản home, xã Mường Tè\"\n", encoding="utf-8")
    call_command("load_population_reference", str(extract), user="province.command")
    assert ReferenceRecord.objects.get(cccd=person.cccd).commune == world.communes["home"]
    out = tmp_path / "recon.csv"
    call_command("reconcile", export=str(out), no_duplicates=True)
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["person_id", "status", "reference_cccd", "match_probability"]
    assert len(rows) == 1 + Person.objects.filter(merged_into__isnull=True).count()
    assert [str(person.pk), "verified", person.cccd, "1.0"] in rows


def test_accepting_a_year_only_extract_row_keeps_the_known_birth_date(world):
    home = world.communes["home"]
    person = Person.objects.create(full_name="Lò Văn Ánh", name_folded="lo van anh", sex="M",
                                   birth_date=date(1980, 5, 6), birth_year=1980, commune=home)
    ref = ReferenceRecord.objects.create(cccd="012080555555", full_name="Lò Văn Ánh", name_folded="lo van anh",
                                         birth_year=1980, sex="M", commune=home)
    candidate = ReferenceCandidate.objects.create(person=person, reference=ref, probability=0.99)
    officer = world.user(Role.HEALTH_OFFICER)
    reconciliation.accept_candidate(actor=officer, candidate=candidate)
    person.refresh_from_db()
    assert (person.cccd, person.birth_date) == ("012080555555", date(1980, 5, 6))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):  # an accepted proposal cannot be flipped to rejected
        reconciliation.reject_candidate(actor=officer, candidate=candidate)
    assert ReferenceCandidate.objects.get(pk=candidate.pk).status == Decision.ACCEPTED


def test_a_merge_hands_the_number_to_the_kept_entry_and_undo_gives_it_back(world):
    home = world.communes["home"]
    kept = Person.objects.create(full_name="Tòng Thị Ưng", name_folded="tong thi ung", sex="F", birth_year=1990,
                                 commune=home)
    merged = Person.objects.create(full_name="Tong Thi Ung", name_folded="tong thi ung", sex="F", birth_year=1990,
                                   commune=home, cccd="012190777777")
    officer = world.user(Role.HEALTH_OFFICER)
    record = reconciliation.merge(actor=officer, kept=kept, merged=merged)
    assert Person.objects.get(pk=kept.pk).cccd == "012190777777" and Person.objects.get(pk=merged.pk).cccd is None
    reconciliation.undo_merge(actor=officer, merge_record=record)
    assert Person.objects.get(pk=kept.pk).cccd is None and Person.objects.get(pk=merged.pk).cccd == "012190777777"
