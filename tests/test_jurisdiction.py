from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from epicommand.core.jurisdiction import (
    get_account_for_user,
    get_organization_for_user,
    grant_problems,
    visible_to,
)
from epicommand.core.models import AuditEvent, Job, Organization, User
from epicommand.core.roles import Role

from .world import K

pytestmark = pytest.mark.django_db


def names(qs):
    return {o.name for o in qs}


def test_province_roles_see_every_commune(world):
    for role in (Role.COMMAND, Role.HEALTH_OFFICER):
        visible = names(visible_to(world.user(role), Organization))
        assert {"ORG home-school", "ORG neighbour-school", "ORG unrelated-school"} <= visible


def test_commune_roles_see_only_their_commune(world):
    for role in (Role.COMMUNE_STATION, Role.MOBILE_STATION):
        visible = names(visible_to(world.user(role, "home"), Organization))
        assert visible and all(n.startswith("ORG home-") for n in visible)
        jobs = visible_to(world.user(role, "home"), Job)
        assert [j.title for j in jobs] == ["JOB home"]


def test_organization_roles_see_their_own_organization_and_units_below(world):
    facility = world.org(K.TREATMENT_FACILITY)
    child = Organization.objects.create(name="ORG child", name_folded="org child", kind=K.TREATMENT_FACILITY,
                                        place=facility.place, parent=facility)
    user = world.user(Role.FACILITY)
    assert names(visible_to(user, Organization)) == {facility.name, child.name}
    assert not visible_to(user, Job).exists()


def test_inactive_or_roleless_users_see_nothing(world):
    user = world.user(Role.COMMAND)
    user.is_active = False
    assert not visible_to(user, Organization).exists()
    assert not visible_to(User(username="x"), Organization).exists()


def test_other_communes_row_is_404_like_a_missing_one_and_audited(world):
    nurse = world.user(Role.COMMUNE_STATION, "home")
    foreign = world.org(K.SCHOOL, "neighbour")
    with pytest.raises(Http404):
        get_organization_for_user(nurse, foreign.pk)
    with pytest.raises(Http404):
        get_organization_for_user(nurse, 10**9)
    denied = AuditEvent.objects.filter(action="denied", actor=nurse)
    assert [(e.object_type, e.object_id) for e in denied] == [("core.Organization", str(foreign.pk))]


def test_write_needs_the_manage_capability(world):
    own = world.org(K.TREATMENT_FACILITY)
    assert get_organization_for_user(world.user(Role.FACILITY), own.pk) == own
    with pytest.raises(PermissionDenied):
        get_organization_for_user(world.user(Role.FACILITY), own.pk, write=True)
    assert get_organization_for_user(world.user(Role.COMMUNE_STATION), own.pk, write=True) == own


def test_nobody_edits_a_stronger_account_or_their_own(world):
    officer = world.user(Role.HEALTH_OFFICER)
    with pytest.raises(PermissionDenied):
        get_account_for_user(officer, world.user(Role.COMMAND).pk, write=True)
    with pytest.raises(PermissionDenied):
        get_account_for_user(officer, officer.pk, write=True)
    nurse = world.user(Role.COMMUNE_STATION)
    assert get_account_for_user(officer, nurse.pk, write=True) == nurse


def test_grants_never_exceed_what_the_granter_holds(world):
    nurse = world.user(Role.COMMUNE_STATION, "home")
    home, neighbour = world.communes["home"], world.communes["neighbour"]
    assert grant_problems(nurse, role=Role.MOBILE_STATION, place=home, organization=None) == []
    assert grant_problems(nurse, role=Role.COMMAND, place=world.province, organization=None)
    assert grant_problems(nurse, role=Role.MOBILE_STATION, place=neighbour, organization=None)
    assert grant_problems(nurse, role=Role.FACILITY, place=None,
                          organization=world.org(K.TREATMENT_FACILITY, "neighbour"))
    assert grant_problems(nurse, role=Role.FACILITY, place=None,
                          organization=world.org(K.TREATMENT_FACILITY, "home")) == []
    assert grant_problems(world.user(Role.FACILITY), role=Role.FACILITY, place=None,
                          organization=world.org(K.TREATMENT_FACILITY))
    officer = world.user(Role.HEALTH_OFFICER)
    assert grant_problems(officer, role=Role.COMMAND, place=world.province, organization=None)
    # A commune role needs a commune, not the province.
    assert grant_problems(officer, role=Role.COMMUNE_STATION, place=world.province, organization=None)


def test_a_manager_cannot_take_over_an_account_placed_in_another_commune(world):
    """An account whose area is the neighbour commune, even if bound to a home organization."""
    from epicommand.core.services.accounts import create_account

    officer = world.user(Role.HEALTH_OFFICER)
    crossing = create_account(actor=officer, username="crossing", password="Mật-khẩu-dài-2026",
                              role=Role.MOBILE_STATION, place=world.communes["neighbour"],
                              organization=world.org(K.MOBILE_STATION, "home"))
    nurse = world.user(Role.COMMUNE_STATION, "home")
    with pytest.raises(PermissionDenied):
        get_account_for_user(nurse, crossing.pk, write=True)
    assert get_account_for_user(officer, crossing.pk, write=True) == crossing


def test_granting_an_organization_hands_over_nothing_outside_the_granters_view(world):
    centre = world.org(K.TREATMENT_FACILITY, "home")
    Organization.objects.filter(pk=world.org(K.COMMUNE_STATION, "neighbour").pk).update(parent=centre)
    nurse = world.user(Role.COMMUNE_STATION, "home")
    assert grant_problems(nurse, role=Role.FACILITY, place=None, organization=centre)
    assert grant_problems(world.user(Role.HEALTH_OFFICER), role=Role.FACILITY, place=None, organization=centre) == []


def test_peers_cannot_reset_or_disable_each_other(world):
    from .world import make_user

    other_officer = make_user("officer2", Role.HEALTH_OFFICER, place=world.province)
    with pytest.raises(PermissionDenied):
        get_account_for_user(world.user(Role.HEALTH_OFFICER), other_officer.pk, write=True)
    colleague = make_user("nurse2", Role.COMMUNE_STATION, place=world.communes["home"])
    with pytest.raises(PermissionDenied):
        get_account_for_user(world.user(Role.COMMUNE_STATION), colleague.pk, write=True)


def test_organization_roles_answer_for_their_organization_not_an_area(world):
    officer = world.user(Role.HEALTH_OFFICER)
    assert grant_problems(officer, role=Role.FACILITY, place=world.province,
                          organization=world.org(K.TREATMENT_FACILITY))


def test_users_of_an_inactive_organization_see_nothing(world):
    facility = world.org(K.TREATMENT_FACILITY)
    Organization.objects.filter(pk=facility.pk).update(is_active=False)
    user = User.objects.get(pk=world.user(Role.FACILITY).pk)
    assert not visible_to(user, Organization).exists()


# ---- serving, answering for a unit, areas -------------------------------------------------------------

def test_a_vaccination_site_serves_the_people_of_its_commune_only_and_only_to_vaccinate(world):
    from epicommand.core.jurisdiction import get_served_for_user, served_to
    from epicommand.people.models import Person

    site_staff = world.user(Role.VACCINATION_SITE)
    served = set(served_to(site_staff, Person).values_list("full_name", flat=True))
    assert "PERSON home An" in served and not [n for n in served if "neighbour" in n or "unrelated" in n]
    assert not visible_to(site_staff, Person).exists()  # the register itself stays closed
    with pytest.raises(Http404):
        get_served_for_user(site_staff, Person, world.people["neighbour"].pk)
    assert AuditEvent.objects.filter(action="denied", object_id=str(world.people["neighbour"].pk)).exists()
    # A unit placed at the province serves nobody's register; a facility (no vaccination right) neither.
    Organization.objects.filter(pk=site_staff.organization_id).update(place=world.province)
    site_staff.refresh_from_db()
    assert not served_to(site_staff, Person).exists()
    assert not served_to(world.user(Role.FACILITY), Person).exists()


def test_answering_for_a_unit_is_narrower_than_seeing_it(world):
    from epicommand.core.jurisdiction import answers_for

    station = world.org(K.COMMUNE_STATION)
    officer = world.user(Role.HEALTH_OFFICER)
    assert visible_to(officer, Organization).filter(pk=station.pk).exists()
    assert not answers_for(officer, station)  # the province sees the station, does not sign for it
    assert answers_for(officer, world.vaccination.cdc)  # the CDC stands at the province
    assert answers_for(world.user(Role.COMMUNE_STATION), station)
    assert not answers_for(world.user(Role.COMMUNE_STATION, "neighbour"), station)
    assert answers_for(world.user(Role.VACCINATION_SITE), world.org(K.VACCINATION_SITE))
    assert not answers_for(world.user(Role.VACCINATION_SITE), station)


def test_a_place_url_is_404_outside_the_area(world):
    from epicommand.core.jurisdiction import get_place_for_user
    from epicommand.core.models import Place

    nurse = world.user(Role.COMMUNE_STATION)
    assert get_place_for_user(nurse, world.communes["home"].pk, level=Place.Level.COMMUNE) == world.communes["home"]
    for pk in (world.communes["neighbour"].pk, "x", 10**9):
        with pytest.raises(Http404):
            get_place_for_user(nurse, pk)
    assert AuditEvent.objects.filter(action="denied", object_type="core.Place",
                                     object_id=str(world.communes["neighbour"].pk)).exists()
    with pytest.raises(Http404):  # the province is not a commune
        get_place_for_user(world.user(Role.HEALTH_OFFICER), world.province.pk, level=Place.Level.COMMUNE)


def test_a_campaign_is_seen_where_its_area_concerns(world):
    from datetime import date

    from epicommand.vaccination.models import Campaign

    province = Campaign.objects.create(name="C province", area=world.province, starts_on=date(2021, 7, 1))
    home = Campaign.objects.create(name="C home", area=world.communes["home"], starts_on=date(2021, 7, 1))
    names_for = {key: set(visible_to(world.user(*key), Campaign).values_list("name", flat=True)) for key in (
        (Role.HEALTH_OFFICER,), (Role.COMMUNE_STATION, "home"), (Role.COMMUNE_STATION, "neighbour"),
        (Role.VACCINATION_SITE, "home"), (Role.VACCINATION_SITE, "neighbour"))}
    assert names_for[(Role.HEALTH_OFFICER,)] == {province.name, home.name}
    assert names_for[(Role.COMMUNE_STATION, "home")] == {province.name, home.name}
    assert names_for[(Role.COMMUNE_STATION, "neighbour")] == {province.name}
    assert names_for[(Role.VACCINATION_SITE, "home")] == {province.name, home.name}
    assert names_for[(Role.VACCINATION_SITE, "neighbour")] == {province.name}
