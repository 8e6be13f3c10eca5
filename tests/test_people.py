from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from epicommand.core import repeats
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.people import services
from epicommand.people.identity import cccd_problems
from epicommand.people.models import Person
from epicommand.people.search import search
from epicommand.people.vulnerability import reasons

pytestmark = pytest.mark.django_db


def make(world, name, where="home", **extra):
    from epicommand.core.text import fold

    values = {"sex": "M", "birth_year": 1980, **extra}
    return Person.objects.create(full_name=name, name_folded=fold(name), commune=world.communes[where], **values)


def test_a_commune_user_searching_nguyen_van_finds_only_her_commune(client, world):
    mine = make(world, "Nguyễn Văn An")
    make(world, "Nguyễn Văn Bình", "neighbour")
    make(world, "Nguyễn Văn Cường", "unrelated")
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.get(reverse("people:list"), {"q": "nguyen van"})
    assert [p.pk for p in response.context["people"]] == [mine.pk]
    assert [p.pk for p in client.get(reverse("people:list"), {"q": "Nguyễn Văn"}).context["people"]] == [mine.pk]


@pytest.mark.parametrize(("query", "found"), [
    ("van an", True), ("an", True), ("guyen", False), ("012085", True), ("012085000777", True),
    ("0912345678", True), ("HN4", True), ("nguyen van binh", False),
])
def test_search_by_name_words_cccd_phone_and_insurance(world, query, found):
    person = make(world, "Nguyễn Văn An", cccd="012080000777", phone="0912345678", insurance_number="HN4120000000001")
    Person.objects.filter(pk=person.pk).update(cccd="012085000777")
    assert search(Person.objects.all(), query).filter(pk=person.pk).exists() is found


def test_list_filters_and_query_count(client, world, django_assert_max_num_queries):
    make(world, "Lò Thị Mai", sex="F", birth_year=1950, vulnerable=True, village="Bản Nậm Củm")
    make(world, "Lò Văn Thắng", birth_year=2010, cccd="012210000123", village="Bản Nậm Củm")
    client.force_login(world.user(Role.HEALTH_OFFICER))
    url = reverse("people:list")

    def names(**params):
        return {p.full_name for p in client.get(url, params).context["people"]}

    assert names(vulnerable="on") == {"Lò Thị Mai"}
    assert names(age="65-") == {"Lò Thị Mai"}
    assert names(age="12-17", village="nậm") == {"Lò Văn Thắng"}
    assert "Lò Thị Mai" in names(no_cccd="on") and "Lò Văn Thắng" not in names(no_cccd="on")
    # The world's only woman of the home commune is the child treated at home (tests/world_cases.py).
    assert names(sex="F", commune=world.communes["home"].pk) == {"Lò Thị Mai", "PERSON home Home"}
    with django_assert_max_num_queries(10):
        client.get(url)


def test_opening_another_communes_person_is_404_and_only_the_denial_is_recorded(client, world):
    foreign = world.people["neighbour"]
    nurse = world.user(Role.COMMUNE_STATION)
    client.force_login(nurse)
    before = AuditEvent.objects.count()
    assert client.get(reverse("people:detail", args=[foreign.pk])).status_code == 404
    new = AuditEvent.objects.filter(pk__gt=AuditEvent.objects.order_by("pk")[before - 1].pk) if before else \
        AuditEvent.objects.all()
    assert [(e.action, e.object_id) for e in new] == [("denied", str(foreign.pk))]


def test_opening_a_health_book_is_audited_and_shows_vulnerability_reasons(client, world):
    person = make(world, "Lò Thị Mai", sex="F", birth_year=1950, chronic_conditions=["diabetes"])
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.get(reverse("people:detail", args=[person.pk]))
    assert response.status_code == 200
    assert len(response.context["reasons"]) == 2  # age and diabetes
    assert AuditEvent.objects.filter(action="view", object_id=str(person.pk)).count() == 1


def test_vulnerability_follows_the_policy_of_the_day(world):
    person = make(world, "Cụ Lò", birth_year=1960)
    assert reasons(person, on=date(2026, 6, 1))  # 66 years old
    assert not reasons(person, on=date(2024, 6, 1))  # 64


def test_create_refuses_a_cccd_that_disagrees_with_sex_and_year_in_the_users_language(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    data = {"full_name": "Tòng Thị Ưng", "birth_year": 1990, "sex": "F", "cccd": "012085000999",
            "commune": world.communes["home"].pk, "nationality": "VN"}
    response = client.post(reverse("people:create"), data)
    assert response.status_code == 200 and not Person.objects.filter(full_name="Tòng Thị Ưng").exists()
    errors = " ".join(response.context["form"].errors["cccd"])
    assert "1985" in errors and "nam" in errors.lower()  # Vietnamese: the CCCD is a man's, born 1985
    data["cccd"] = "012190000999"
    assert client.post(reverse("people:create"), data).status_code == 302
    assert Person.objects.get(cccd="012190000999").created_by == world.user(Role.COMMUNE_STATION)


def test_save_pressed_twice_registers_the_person_once(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    data = {"full_name": "Lò Văn Khum", "birth_year": 1975, "sex": "M", "commune": world.communes["home"].pk,
            "nationality": "VN", "village": "Bản Nậm Củm"}
    first, second = client.post(reverse("people:create"), data), client.post(reverse("people:create"), data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert Person.objects.filter(full_name="Lò Văn Khum").count() == 1
    # A namesake with other details, or the same details a while later, is another person.
    client.post(reverse("people:create"), {**data, "birth_year": 1976})
    Person.objects.filter(full_name="Lò Văn Khum").update(created_at=timezone.now() - repeats.MOMENT)
    client.post(reverse("people:create"), data)
    assert Person.objects.filter(full_name="Lò Văn Khum").count() == 3


def test_cccd_rules_of_domain_section_3():
    assert cccd_problems("012085000101", sex="M", birth_year=1985) == []
    assert cccd_problems("012301000104", sex="F", birth_year=2001) == []
    assert len(cccd_problems("012085000101", sex="F", birth_year=1986)) == 2
    assert cccd_problems("99908500010", sex="M", birth_year=1985)  # 11 digits
    assert cccd_problems("999085000101", sex="M", birth_year=1985)  # no province 999


def test_duplicate_cccd_and_outside_commune_are_refused(world):
    nurse = world.user(Role.COMMUNE_STATION)
    with pytest.raises(ValidationError):
        services.create_person(actor=nurse, full_name="X", birth_year=1980, sex="M", cccd=world.people["home"].cccd,
                               commune=world.communes["home"])
    with pytest.raises(ValidationError):
        services.create_person(actor=nurse, full_name="X", birth_year=1980, sex="M",
                               commune=world.communes["neighbour"])


def test_households_group_members_of_one_commune(client, world):
    head = world.people["home"]
    member = make(world, "Lò Thị Vợ", sex="F", village=head.village)
    client.force_login(world.user(Role.COMMUNE_STATION))
    client.post(reverse("people:household", args=[head.pk]), {"action": "create", "code": "HK-01"})
    head.refresh_from_db()
    assert head.household.head == head and head.household.code == "HK-01"
    client.post(reverse("people:household", args=[head.pk]), {"action": "add", "member": member.pk})
    member.refresh_from_db()
    assert member.household == head.household
    outsider = world.people["neighbour"]
    assert client.post(reverse("people:household", args=[head.pk]),
                       {"action": "add", "member": outsider.pk}).status_code == 404


def test_names_that_start_with_the_query_come_first(world):
    make(world, "Lò Văn Thắng")
    make(world, "Thắng Văn Lò")
    make(world, "Bạc Văn Thắng")
    assert [p.full_name for p in search(Person.objects.all(), "thang")] == [
        "Thắng Văn Lò", "Bạc Văn Thắng", "Lò Văn Thắng"]


def test_a_tampered_member_id_is_404_not_an_error_page(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    head = world.people["home"]
    client.post(reverse("people:household", args=[head.pk]), {"action": "create"})
    response = client.post(reverse("people:household", args=[head.pk]), {"action": "add", "member": "abc"})
    assert response.status_code == 404


def test_a_search_shows_how_many_people_match(client, world):
    for i in range(3):
        make(world, f"Lò Văn Thắng {i}")
    make(world, "Lò Văn Thắng Xa", "neighbour")
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.get(reverse("people:list"), {"q": "van thang"})
    assert response.context["count"] == 3 and not response.context["count_capped"]
    assert client.get(reverse("people:list"), {"q": "no such name"}).context["count"] == 0
    assert client.get(reverse("people:list"), {"q": "van thang", "page": "5"}).context["count"] == 3
