"""Testing screens: the list and its filters through jurisdiction, a new test from a search, the result form
(a double submit changes nothing), pools and their result, positivity with its export, the health book, and
the denied cases (404 for another commune's rows, 403 without the capability)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing import positivity, services
from epicommand.testing.models import Kind, Pool, PositivityDay, Result
from epicommand.testing.models import Test as LabTest

from .browsing import vi
from .world import K

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = TODAY.strftime("%d/%m/%Y")


def login(client, world, role=Role.COMMUNE_STATION, where="home"):
    user = world.user(role, where)
    client.force_login(user)
    return user


def test_the_list_shows_the_communes_tests_and_filters_them(client, world):
    login(client, world)
    body = client.get(reverse("testing:list")).content.decode()
    assert "PERSON home An" in body and "PERSON neighbour" not in body
    negative = client.get(reverse("testing:list"), {"result": "negative"}).content.decode()
    assert "PERSON home An" not in negative
    positive = client.get(reverse("testing:list"), {"result": "positive", "kind": "pcr", "since": DAY,
                                                    "until": DAY}).content.decode()
    assert "PERSON home An" in positive
    # A commune outside the user's area is not a choice: the filter is refused, the rows stay the user's own.
    other = client.get(reverse("testing:list"), {"commune": world.communes["neighbour"].pk}).content.decode()
    assert "PERSON neighbour" not in other


def test_roles_without_testing_get_403_and_other_communes_get_404(client, world):
    login(client, world, Role.VACCINATION_SITE)
    for name in ("testing:list", "testing:new", "testing:pools", "testing:positivity"):
        assert client.get(reverse(name)).status_code == 403, name
    login(client, world, Role.COMMUNE_STATION, "neighbour")
    test, pool = world.cases.tests["home"], world.cases.pools["home"]
    assert client.get(reverse("testing:detail", args=[test.pk])).status_code == 404
    assert client.post(reverse("testing:result", args=[test.pk]),
                       {"result": "negative", "resulted_on": DAY}).status_code == 404
    assert client.get(reverse("testing:pool", args=[pool.pk])).status_code == 404
    assert client.post(reverse("testing:pool_result", args=[pool.pk]),
                       {"result": "positive", "resulted_on": DAY}).status_code == 404
    pool.refresh_from_db()
    assert pool.result == Result.PENDING
    assert AuditEvent.objects.filter(action="denied", object_type="testing.Test", object_id=str(test.pk)).exists()
    # A mobile station sees its commune's tests but the result form is for holders of the recording right too.
    login(client, world, Role.MOBILE_STATION)
    assert client.get(reverse("testing:detail", args=[test.pk])).status_code == 200


def test_recording_a_test_from_a_search(client, world):
    user = login(client, world)
    found = client.get(reverse("testing:new"), {"q": "person home an"}, headers={"HX-Request": "true"})
    assert found.status_code == 200 and "PERSON home An" in found.content.decode()
    assert "PERSON neighbour" not in client.get(reverse("testing:new"), {"q": "person"}).content.decode()
    person = world.people["home"]
    form = client.get(reverse("testing:new"), {"person": person.pk})
    assert form.status_code == 200 and 'name="kind"' in form.content.decode()
    data = {"person": person.pk, "kind": Kind.ANTIGEN, "reason": "symptoms", "sampled_on": DAY, "payer": "state",
            "sampled_at": world.org(K.COMMUNE_STATION).pk, "result": "negative"}
    response = client.post(reverse("testing:new"), data)
    test = LabTest.objects.get(person=person, kind=Kind.ANTIGEN)
    assert response.status_code == 302 and response.url == reverse("testing:detail", args=[test.pk])
    assert (test.result, test.recorded_by, test.resulted_on) == (Result.NEGATIVE, user, TODAY)
    again = client.post(reverse("testing:new"), data)  # Save pressed twice
    assert again.status_code == 302 and LabTest.objects.filter(person=person, kind=Kind.ANTIGEN).count() == 1
    # Another commune's person cannot be named in the form.
    data["person"] = world.people["neighbour"].pk
    assert client.post(reverse("testing:new"), data).status_code == 404


def test_entering_a_result_twice_changes_nothing(client, world):
    user = login(client, world)
    test = services.record_test(actor=user, person=world.people["home"], kind=Kind.PCR, sampled_on=TODAY)
    url = reverse("testing:result", args=[test.pk])
    form = client.get(url).content.decode()
    assert f'name="resulted_on" value="{DAY}"' in form  # shown as dd/mm/yyyy, whatever the phone's locale
    data = {"result": "negative", "resulted_on": DAY, "ct_value": ""}
    assert client.post(url, {**data, "resulted_on": DAY.replace("/", "")}).status_code == 302  # ddmmyyyy
    test.refresh_from_db()
    assert test.resulted_on == TODAY
    events = AuditEvent.objects.count()
    assert client.post(url, data).status_code == 302
    assert AuditEvent.objects.count() == events
    test.refresh_from_db()
    assert test.result == Result.NEGATIVE
    bad = client.post(url, {"result": "positive", "resulted_on": "01/01/2000"})  # before the sample
    said = vi("The result cannot come before the sample was taken (%(date)s).") % {"date": DAY}
    assert said.startswith("Ngày có kết quả")  # in the interface's language, the date as dd/mm/yyyy
    assert bad.status_code == 200 and said in bad.content.decode()
    test.refresh_from_db()
    assert test.result == Result.NEGATIVE


def test_a_checkpoint_sees_the_tests_it_took_and_an_establishment_none(client, world):
    user = login(client, world, Role.CHECKPOINT)
    test = services.record_test(actor=user, person=world.people["home"], kind=Kind.ANTIGEN, sampled_on=TODAY,
                                sampled_at=world.org(K.CHECKPOINT))
    page = client.get(reverse("testing:detail", args=[test.pk]))
    assert page.status_code == 200 and world.people["home"].full_name in page.content.decode()
    # The test, not the person's health book: no link that would answer 404.
    assert reverse("people:detail", args=[world.people["home"].pk]) not in page.content.decode()
    login(client, world, Role.ESTABLISHMENT)
    assert client.get(reverse("testing:detail", args=[test.pk])).status_code == 404
    assert client.get(reverse("testing:list")).status_code == 403


def test_pools_new_detail_and_a_positive_result(client, world):
    user = login(client, world)
    members = [Person.objects.create(full_name=f"PERSON home M{n}", name_folded=fold(f"PERSON home M{n}"), sex="F",
                                     birth_year=1990, commune=world.communes["home"], cccd=f"01219000{n:04d}")
               for n in range(3)]
    response = client.post(reverse("testing:pool_new"), {
        "code": "POOL home V", "commune": world.communes["home"].pk, "sampled_on": DAY, "reason": "screening",
        "members": "\n".join(m.cccd for m in members)})
    pool = Pool.objects.get(code="POOL home V")
    assert response.status_code == 302 and pool.members.count() == 3 and pool.created_by == user
    refused = client.post(reverse("testing:pool_new"), {
        "code": "POOL home W", "commune": world.communes["home"].pk, "sampled_on": DAY, "reason": "screening",
        "members": f"{members[0].cccd}\n{world.people['neighbour'].cccd}"})
    assert refused.status_code == 200 and world.people["neighbour"].cccd in refused.content.decode()
    assert not Pool.objects.filter(code="POOL home W").exists()
    url = reverse("testing:pool_result", args=[pool.pk])
    assert client.post(url, {"result": "positive", "resulted_on": DAY}).status_code == 302
    assert client.post(url, {"result": "positive", "resulted_on": DAY}).status_code == 302
    assert LabTest.objects.filter(follows__pool=pool).count() == 3
    page = client.get(reverse("testing:pool", args=[pool.pk])).content.decode()
    assert page.count('data-testid="follow-up"') == 3
    assert "POOL home V" in client.get(reverse("testing:pools")).content.decode()


def test_positivity_table_and_export(client, world):
    positivity.rebuild()
    login(client, world)
    page = client.get(reverse("testing:positivity"))
    assert page.status_code == 200
    row = PositivityDay.objects.get(commune=world.communes["home"], day=TODAY, kind=Kind.PCR)
    assert (row.tests, row.positives) == (1, 1)
    body = page.content.decode()
    assert world.communes["home"].name in body and world.communes["neighbour"].name not in body
    export = client.get(reverse("testing:positivity_export", args=["xlsx"]))
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    values = [[cell for cell in line] for line in sheet.iter_rows(values_only=True)]
    assert any(line[0] == world.communes["home"].name and line[2] == 1 and line[3] == 1 for line in values)
    assert not any(line[0] == world.communes["neighbour"].name for line in values)
    assert AuditEvent.objects.filter(action="export", object_type="testing.PositivityDay").exists()
    assert client.get(reverse("testing:positivity_export", args=["pdf"])).status_code == 404


def test_tests_appear_in_the_health_book_and_self_tests_say_so(client, world):
    user = login(client, world)
    services.record_self_test(actor=user, person=world.people["home"], sampled_on=TODAY, result=Result.NEGATIVE)
    body = client.get(reverse("people:detail", args=[world.people["home"].pk])).content.decode()
    assert reverse("testing:detail", args=[world.cases.tests["home"].pk]) in body
    with translation.override("vi"):
        assert gettext("reported by the citizen, not a laboratory result") in body


def test_the_menu_has_testing_for_testing_roles_only(client, world):
    login(client, world)
    assert reverse("testing:list") in client.get(reverse("home")).content.decode()
    login(client, world, Role.VACCINATION_SITE)
    assert reverse("testing:list") not in client.get(reverse("home")).content.decode()


def test_list_pages_read_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    user = login(client, world)
    home = world.communes["home"]
    for n in range(30):
        person = Person.objects.create(full_name=f"PERSON home L{n}", name_folded=fold(f"PERSON home L{n}"), sex="M",
                                       birth_year=1970, commune=home)
        services.record_test(actor=user, person=person, kind=Kind.PCR, sampled_on=TODAY, lab=world.vaccination.cdc,
                             lab_code=f"L{n}")
    for n in range(3):
        services.create_pool(actor=user, code=f"POOL home Q{n}", sampled_on=TODAY, commune=home,
                             members=list(Person.objects.filter(full_name__startswith="PERSON home L")[:3]))
    # Session, user, places of the area, the page and its count, the filter's communes: not one per row.
    for name in ("testing:list", "testing:pools", "testing:positivity"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(name)).status_code == 200


def test_pool_members_by_cccd_cmnd_or_record_number_and_nobody_elses(client, world):
    login(client, world)
    home = world.communes["home"]
    by_cmnd = Person.objects.create(full_name="PERSON home CM", name_folded=fold("PERSON home CM"), sex="M",
                                    birth_year=1960, commune=home, cmnd="012345678")
    by_number = Person.objects.create(full_name="PERSON home RN", name_folded=fold("PERSON home RN"), sex="M",
                                      birth_year=1961, commune=home)
    data = {"code": "POOL home CM", "commune": home.pk, "sampled_on": DAY, "reason": "screening",
            "members": f"{by_cmnd.cmnd}\n{by_number.pk}, {by_cmnd.cmnd}"}
    assert client.post(reverse("testing:pool_new"), data).status_code == 302
    pool = Pool.objects.get(code="POOL home CM")
    assert set(pool.members.values_list("person_id", flat=True)) == {by_cmnd.pk, by_number.pk}
    # Someone of another commune reads as not found, by record number as by CCCD.
    other = world.people["neighbour"]
    data.update(code="POOL home CN", members=f"{by_number.pk}\n{other.pk}")
    refused = client.post(reverse("testing:pool_new"), data)
    assert refused.status_code == 200 and not Pool.objects.filter(code="POOL home CN").exists()
    assert other.full_name not in refused.content.decode()


def test_the_pool_page_is_audited_and_hides_a_follow_up_counted_elsewhere(client, world):
    user = login(client, world)
    home, neighbour = world.communes["home"], world.communes["neighbour"]
    stays, moves = (Person.objects.create(full_name=f"PERSON home {name}", name_folded=fold(f"PERSON home {name}"),
                                          sex="F", birth_year=1990, commune=home) for name in ("Stays", "Moves"))
    pool = services.create_pool(actor=user, code="POOL home MV", sampled_on=TODAY, commune=home,
                                members=[stays, moves])
    Person.objects.filter(pk=moves.pk).update(commune=neighbour)  # moved before the pool was run
    services.enter_pool_result(actor=user, pool=pool, result=Result.POSITIVE, resulted_on=TODAY)
    page = client.get(reverse("testing:pool", args=[pool.pk])).content.decode()
    # Both members were sampled here; only the follow-up of the one who stayed is this commune's.
    assert "PERSON home Stays" in page and "PERSON home Moves" in page
    assert page.count('data-testid="follow-up"') == 1
    assert AuditEvent.objects.filter(action="view", object_type="testing.Pool", object_id=str(pool.pk),
                                     actor=user).exists()


def test_object_pages_read_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    user = login(client, world)
    home = world.communes["home"]
    members = [Person.objects.create(full_name=f"PERSON home K{n}", name_folded=fold(f"PERSON home K{n}"), sex="M",
                                     birth_year=1970, commune=home) for n in range(10)]
    pool = services.create_pool(actor=user, code="POOL home K", sampled_on=TODAY, commune=home, members=members)
    services.enter_pool_result(actor=user, pool=pool, result=Result.POSITIVE, resulted_on=TODAY)
    member = pool.members.first()
    for url in (reverse("testing:pool", args=[pool.pk]), reverse("testing:detail", args=[member.pk]),
                reverse("testing:new") + f"?person={members[0].pk}"):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200, url


def test_the_laboratories_offered_are_the_users_and_their_provinces_only(client, world):
    from epicommand.core.models import Organization, Place
    from epicommand.testing.labs import labs_for

    other_province = Place.objects.create(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE, code="99",
                                          name="Tỉnh khác", short_name="Khác", path="99/")
    elsewhere = Organization.objects.create(name="ORG other-province-cdc", name_folded="org other-province-cdc",
                                            kind=K.CDC, place=other_province)
    user = login(client, world)
    offered = set(labs_for(user))
    assert world.vaccination.cdc in offered and world.org(K.TREATMENT_FACILITY, "home") in offered
    assert elsewhere not in offered and world.org(K.TREATMENT_FACILITY, "neighbour") not in offered
    form = client.get(reverse("testing:new"), {"person": world.people["home"].pk}).content.decode()
    assert world.vaccination.cdc.name in form and elsewhere.name not in form


def test_writes_need_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user(Role.COMMUNE_STATION))
    pool = world.cases.pools["home"]
    response = client.post(reverse("testing:pool_result", args=[pool.pk]), {"result": "positive", "resulted_on": DAY})
    assert response.status_code == 403
    pool.refresh_from_db()
    assert pool.result == Result.PENDING
