"""Campaign, site and session screens: creating them, who may, and closing a session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.vaccination import services, stock
from epicommand.vaccination.models import Campaign, Dose, Movement, Product, Session, SessionLot, Site

from .world import K

pytestmark = pytest.mark.django_db


def dmy(day) -> str:
    return day.strftime("%d/%m/%Y")


def campaign_form(world, where="home", **extra) -> dict:
    today = timezone.localdate()
    return {"name": "Tiêm mũi nhắc", "area": world.communes[where].pk, "starts_on": dmy(today),
            "ends_on": dmy(today + timedelta(days=30)), "age_groups": ["adult", "teen"],
            "products": [Product.objects.get(key="pfizer").pk], "priority_0": ["frontline"],
            "priority_1": ["over_65", "essential_services"], **extra}


# ---- campaigns -----------------------------------------------------------------------------------------

def test_a_commune_station_creates_a_campaign_for_its_commune(world, client):
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:campaign_new"), campaign_form(world))
    campaign = Campaign.objects.get(name="Tiêm mũi nhắc")
    assert response.status_code == 302 and response.url == reverse("vaccination:campaign", args=[campaign.pk])
    assert campaign.area == world.communes["home"] and campaign.age_groups == ["adult", "teen"]
    # Both lists' ticks are kept, in Resolution 21's order first.
    assert campaign.priority_groups == ["frontline", "essential_services", "over_65"]
    assert list(campaign.products.values_list("key", flat=True)) == ["pfizer"]
    assert AuditEvent.objects.filter(action="create", object_type="vaccination.Campaign",
                                     object_id=str(campaign.pk)).exists()
    page = client.get(reverse("vaccination:campaign", args=[campaign.pk])).content.decode()
    assert "Tiêm mũi nhắc" in page and "Pfizer" in page


def test_a_commune_station_cannot_create_a_campaign_in_another_commune(world, client):
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:campaign_new"), campaign_form(world, "neighbour"))
    assert response.status_code == 200 and not Campaign.objects.exists()
    assert "area" in response.context["form"].errors


def test_the_service_refuses_an_area_outside_the_jurisdiction_and_bad_dates(world):
    from django.core.exceptions import ValidationError

    from epicommand.vaccination.campaign_services import create_campaign

    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        create_campaign(actor=world.user(Role.COMMUNE_STATION), name="X", area=world.communes["neighbour"],
                        starts_on=today)
    assert "area" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        create_campaign(actor=world.user(Role.HEALTH_OFFICER), name="X", area=world.province, starts_on=today,
                        ends_on=today - timedelta(days=1), age_groups=["elderly"])
    assert {"ends_on", "age_groups"} <= set(refused.value.error_dict)
    assert not Campaign.objects.exists()


def test_campaigns_are_read_where_they_concern_and_edited_only_by_their_area(world, client):
    today = timezone.localdate()
    province = Campaign.objects.create(name="Toàn tỉnh", area=world.province, starts_on=today)
    neighbour = Campaign.objects.create(name="Bum Tở riêng", area=world.communes["neighbour"], starts_on=today)
    client.force_login(world.user(Role.COMMUNE_STATION))
    listing = client.get(reverse("vaccination:campaigns")).content.decode()
    assert "Toàn tỉnh" in listing and "Bum Tở riêng" not in listing
    assert client.get(reverse("vaccination:campaign", args=[province.pk])).status_code == 200
    assert client.get(reverse("vaccination:campaign", args=[neighbour.pk])).status_code == 404
    # The province's campaign is read by a commune, not changed by it.
    assert client.get(reverse("vaccination:campaign_edit", args=[province.pk])).status_code == 403
    assert client.post(reverse("vaccination:campaign_edit", args=[neighbour.pk]),
                       {"name": "HACKED"}).status_code == 404
    assert Campaign.objects.get(pk=neighbour.pk).name == "Bum Tở riêng"
    # A site's staff read the province's campaign; a facility (no vaccination rights) reads none.
    client.force_login(world.user(Role.VACCINATION_SITE))
    assert client.get(reverse("vaccination:campaign", args=[province.pk])).status_code == 200
    client.force_login(world.user(Role.FACILITY))
    assert client.get(reverse("vaccination:campaign", args=[province.pk])).status_code == 404
    assert client.get(reverse("vaccination:campaigns")).status_code == 403


def test_a_health_officer_edits_a_campaign(world, client):
    campaign = Campaign.objects.create(name="Cũ", area=world.province, starts_on=timezone.localdate())
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.post(reverse("vaccination:campaign_edit", args=[campaign.pk]),
                           campaign_form(world, name="Mới", area=world.province.pk))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Mới" and campaign.area == world.province
    event = AuditEvent.objects.get(action="update", object_id=str(campaign.pk), object_type="vaccination.Campaign")
    assert event.changes["name"] == ["Cũ", "Mới"]


OUTSIDE = gettext_lazy("%(n)s sessions of this campaign would fall outside its new area or dates: move them to another "
                       "campaign, or keep the area and dates that hold them.")


def test_a_campaign_is_not_shrunk_away_from_its_sessions(world, client):
    today = timezone.localdate()
    campaign = Campaign.objects.create(name="Tỉnh", area=world.province, starts_on=today)
    session = world.vaccination.sessions["neighbour"]
    Session.objects.filter(pk=session.pk).update(campaign=campaign)
    client.force_login(world.user(Role.HEALTH_OFFICER))
    url = reverse("vaccination:campaign_edit", args=[campaign.pk])
    for change in ({"area": world.communes["home"].pk},
                   {"area": world.province.pk, "starts_on": (today + timedelta(days=1)).strftime("%d/%m/%Y")}):
        response = client.post(url, campaign_form(world, name="Tỉnh", **change))
        assert response.status_code == 200 and response.context["form"].non_field_errors() == [OUTSIDE % {"n": 1}]
    campaign.refresh_from_db()
    assert (campaign.area, campaign.starts_on) == (world.province, today)
    # Once the session has moved to no campaign, the area may shrink.
    Session.objects.filter(pk=session.pk).update(campaign=None)
    assert client.post(url, campaign_form(world, name="Tỉnh", area=world.communes["home"].pk)).status_code == 302


# ---- sites ---------------------------------------------------------------------------------------------

def site_form(world, where="home", **extra) -> dict:
    return {"name": "Điểm tiêm bản Nậm Củm", "kind": Site.Kind.VILLAGE, "commune": world.communes[where].pk,
            "village": "Bản Nậm Củm", "organization": world.org(K.COMMUNE_STATION, where).pk, "is_active": "on",
            **extra}


def test_a_commune_station_creates_a_site(world, client):
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:site_new"), site_form(world))
    site = Site.objects.get(name="Điểm tiêm bản Nậm Củm")
    assert response.status_code == 302 and response.url == reverse("vaccination:site", args=[site.pk])
    assert (site.kind, site.village, site.commune, site.organization) == (
        Site.Kind.VILLAGE, "Bản Nậm Củm", world.communes["home"], world.org(K.COMMUNE_STATION))
    assert AuditEvent.objects.filter(action="create", object_type="vaccination.Site", object_id=str(site.pk)).exists()
    listing = client.get(reverse("vaccination:sites")).content.decode()
    assert "Điểm tiêm bản Nậm Củm" in listing and "SITE home" in listing and "SITE neighbour" not in listing


def test_a_site_needs_its_village_and_a_commune_of_the_user(world, client):
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:site_new"), site_form(world, village=""))
    assert response.status_code == 200 and "village" in response.context["form"].errors
    response = client.post(reverse("vaccination:site_new"), site_form(world, "neighbour"))
    assert response.status_code == 200 and {"commune", "organization"} <= set(response.context["form"].errors)
    assert not Site.objects.filter(name="Điểm tiêm bản Nậm Củm").exists()


def test_another_commune_s_site_is_404_for_get_and_post(world, client):
    site = world.vaccination.sites["home"]
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    for name in ("vaccination:site", "vaccination:session_new"):
        url = reverse(name, args=[site.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {**site_form(world, "neighbour"), "date": dmy(timezone.localdate())}
                           ).status_code == 404
    site.refresh_from_db()
    assert site.name == "SITE home" and site.sessions.count() == 1
    assert AuditEvent.objects.filter(action="denied", object_type="vaccination.Site", object_id=str(site.pk)).exists()


def test_a_site_is_edited_on_its_page(world, client):
    site = world.vaccination.sites["home"]
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:site", args=[site.pk]),
                           {"name": "SITE home renamed", "kind": Site.Kind.FIXED, "commune": site.commune_id,
                            "village": "", "organization": site.organization_id})
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.name == "SITE home renamed" and not site.is_active


# ---- sessions ------------------------------------------------------------------------------------------

def test_a_session_is_planned_from_a_site(world, client):
    site = world.vaccination.sites["home"]
    today = timezone.localdate()
    campaign = Campaign.objects.create(name="Toàn tỉnh", area=world.province, starts_on=today)
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:session_new", args=[site.pk]),
                           {"date": dmy(today + timedelta(days=2)), "campaign": campaign.pk, "team": "Tổ 1"})
    session = Session.objects.get(team="Tổ 1")
    assert response.status_code == 302 and response.url == reverse("vaccination:session", args=[session.pk])
    assert (session.site, session.campaign, session.date) == (site, campaign, today + timedelta(days=2))
    page = client.get(reverse("vaccination:campaign", args=[campaign.pk])).content.decode()
    assert dmy(session.date) in page and "SITE home" in page


def test_a_session_is_refused_in_the_past_or_outside_its_campaign(world, client):
    site = world.vaccination.sites["home"]
    today = timezone.localdate()
    other = Campaign.objects.create(name="Bum Tở riêng", area=world.communes["neighbour"], starts_on=today)
    short = Campaign.objects.create(name="Ngắn", area=world.communes["home"], starts_on=today, ends_on=today)
    client.force_login(world.user(Role.COMMUNE_STATION))
    url = reverse("vaccination:session_new", args=[site.pk])
    assert "date" in client.post(url, {"date": dmy(today - timedelta(days=1))}).context["form"].errors
    assert "campaign" in client.post(url, {"date": dmy(today), "campaign": other.pk}).context["form"].errors
    assert "date" in client.post(url, {"date": dmy(today + timedelta(days=3)), "campaign": short.pk}
                                 ).context["form"].errors
    assert site.sessions.count() == 1


def _vaccinate(world):
    """One dose recorded through the service at the home session: a 6-dose Pfizer vial opened."""
    session = world.vaccination.sessions["home"]
    someone = Person.objects.create(full_name="Lò Thị Hoa", name_folded=fold("Lò Thị Hoa"), sex="F",
                                    birth_year=1990, commune=world.communes["home"])
    services.record_dose(actor=world.user(Role.COMMUNE_STATION), person=someone, session=session,
                         product=Product.objects.get(key="pfizer"), lot=world.vaccination.lots["home"])
    return session


def test_the_session_page_shows_doses_and_vials_and_closing_discards_the_leftovers(world, client):
    session = _vaccinate(world)
    station, lot = world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]
    assert stock.balance(station, lot) == 59
    client.force_login(world.user(Role.COMMUNE_STATION))
    page = client.get(reverse("vaccination:session", args=[session.pk])).content.decode()
    assert "Lò Thị Hoa" in page and "LOT home" in page
    response = client.post(reverse("vaccination:session_close", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.CLOSED
    assert stock.balance(station, lot) == 54  # the 5 doses left in the opened vial are discarded
    assert SessionLot.objects.get(session=session).discarded == 5
    assert Movement.objects.filter(kind=Movement.Kind.WASTED, reason=Movement.Waste.OPEN_VIAL, doses=-5).exists()
    # Closing twice discards nothing more.
    client.post(reverse("vaccination:session_close", args=[session.pk]))
    assert stock.balance(station, lot) == 54


def test_another_commune_cannot_close_or_read_a_session(world, client):
    session = _vaccinate(world)
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    assert client.get(reverse("vaccination:session", args=[session.pk])).status_code == 404
    assert client.post(reverse("vaccination:session_close", args=[session.pk])).status_code == 404
    assert client.get(reverse("vaccination:session_close", args=[session.pk])).status_code == 405
    session.refresh_from_db()
    assert session.status != Session.Status.CLOSED
    assert stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]) == 59


def test_users_without_planning_rights_cannot_create(world, client):
    client.force_login(world.user(Role.MOBILE_STATION))
    assert client.get(reverse("vaccination:campaign_new")).status_code == 403
    assert client.get(reverse("vaccination:site_new")).status_code == 403
    assert client.get(reverse("vaccination:session_new", args=[world.vaccination.sites["home"].pk])
                      ).status_code == 403
    assert client.get(reverse("vaccination:sites")).status_code == 200


# ---- who reads a site's work: vaccination rights, not only the unit that runs it -------------------------

def _facility_site(world):
    """A site run by the home treatment facility (written directly: the service no longer accepts such a unit)
    with a session where the world's person was vaccinated."""
    site = Site.objects.create(name="SITE home facility", commune=world.communes["home"],
                               organization=world.org(K.TREATMENT_FACILITY))
    session = Session.objects.create(site=site, date=timezone.localdate())
    dose = world.vaccination.doses["home"]
    Dose.objects.filter(pk=dose.pk).update(session=session, site=site, organization=site.organization)
    return site, session


def test_a_unit_without_vaccination_rights_cannot_read_the_site_it_runs(world, client):
    site, session = _facility_site(world)
    facility = world.user(Role.FACILITY)
    client.force_login(facility)
    for name, obj in (("vaccination:site", site), ("vaccination:session", session),
                      ("vaccination:invitations", session)):
        response = client.get(reverse(name, args=[obj.pk]))
        assert response.status_code == 403, name
        assert "PERSON home An" not in response.content.decode()
    assert client.get(reverse("vaccination:invitations_export", args=[session.pk, "xlsx"])).status_code == 403
    assert client.post(reverse("vaccination:site", args=[site.pk]), site_form(world, name="HACKED")
                       ).status_code == 403
    assert client.post(reverse("vaccination:session_close", args=[session.pk])).status_code == 403
    site.refresh_from_db()
    session.refresh_from_db()
    assert site.name == "SITE home facility" and session.status != Session.Status.CLOSED
    assert not AuditEvent.objects.filter(action="export", object_id=str(session.pk)).exists()
    # Another commune's facility: the site is not in its reach at all, so 404 comes first (and is audited).
    client.force_login(world.user(Role.FACILITY, "neighbour"))
    for name, obj in (("vaccination:site", site), ("vaccination:session", session),
                      ("vaccination:invitations", session)):
        assert client.get(reverse(name, args=[obj.pk])).status_code == 404, name
    assert client.get(reverse("vaccination:invitations_export", args=[session.pk, "xlsx"])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="vaccination.Site", object_id=str(site.pk)).exists()


def test_the_staff_of_a_vaccination_site_read_its_pages(world, client):
    site = Site.objects.create(name="SITE home staff", commune=world.communes["home"],
                               organization=world.org(K.VACCINATION_SITE))
    session = Session.objects.create(site=site, date=timezone.localdate())
    client.force_login(world.user(Role.VACCINATION_SITE))
    for name, obj in (("vaccination:site", site), ("vaccination:session", session),
                      ("vaccination:invitations", session)):
        assert client.get(reverse(name, args=[obj.pk])).status_code == 200, name
    assert client.get(reverse("vaccination:invitations_export", args=[session.pk, "csv"])).status_code == 200


# ---- which unit may run a site ---------------------------------------------------------------------------

def test_only_a_vaccine_holding_unit_of_the_commune_or_the_province_runs_a_site(world, client):
    from django.core.exceptions import ValidationError

    from epicommand.vaccination.campaign_services import create_site, site_organizations

    officer = world.user(Role.HEALTH_OFFICER)
    home = world.communes["home"]
    offered = set(site_organizations(officer, home))
    assert {world.org(K.COMMUNE_STATION), world.org(K.VACCINATION_SITE), world.vaccination.cdc} <= offered
    assert not offered & {world.org(K.SCHOOL), world.org(K.CHECKPOINT), world.org(K.TREATMENT_FACILITY),
                          world.org(K.MOBILE_STATION), world.org(K.COMMUNE_STATION, "neighbour")}
    # The form offers no school, checkpoint or facility.
    client.force_login(officer)
    choices = client.get(reverse("vaccination:site_new")).context["form"].fields["organization"].queryset
    assert world.org(K.COMMUNE_STATION) in choices and world.vaccination.cdc in choices
    assert world.org(K.SCHOOL) not in choices and world.org(K.CHECKPOINT) not in choices
    # The service refuses them, and another commune's station, even when the province sees them all.
    for unit in (world.org(K.SCHOOL), world.org(K.CHECKPOINT), world.org(K.COMMUNE_STATION, "neighbour")):
        with pytest.raises(ValidationError) as refused:
            create_site(actor=officer, name="X", kind=Site.Kind.FIXED, commune=home, organization=unit)
        assert set(refused.value.error_dict) == {"organization"}, unit
    assert not Site.objects.filter(name="X").exists()
    # The province's CDC and the commune's own station are fine.
    assert create_site(actor=officer, name="CDC site", kind=Site.Kind.FIXED, commune=home,
                       organization=world.vaccination.cdc).organization == world.vaccination.cdc
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("vaccination:site_new"), site_form(world, organization=world.org(K.SCHOOL).pk))
    assert response.status_code == 200 and "organization" in response.context["form"].errors
    assert not Site.objects.filter(name="Điểm tiêm bản Nậm Củm").exists()


def test_a_site_changes_hands_only_when_its_sessions_are_closed(world, client):
    from django.core.exceptions import ValidationError

    from epicommand.vaccination.campaign_services import update_site

    site, station = world.vaccination.sites["home"], world.user(Role.COMMUNE_STATION)
    other = world.org(K.VACCINATION_SITE)
    assert site.sessions.exclude(status=Session.Status.CLOSED).exists()  # today's session is open
    client.force_login(station)
    data = {"name": site.name, "kind": site.kind, "commune": site.commune_id, "village": "",
            "organization": other.pk, "is_active": "on"}
    response = client.post(reverse("vaccination:site", args=[site.pk]), data)
    assert response.status_code == 200
    assert "close them" in str(response.context["form"].errors["organization"]) or \
        "đóng" in str(response.context["form"].errors["organization"])
    site.refresh_from_db()
    assert site.organization == world.org(K.COMMUNE_STATION)
    assert not AuditEvent.objects.filter(action="update", object_type="vaccination.Site").exists()
    # Other changes go through while sessions are open.
    update_site(actor=station, site=site, name="SITE home renamed")
    # Once every session is closed, another unit may take it over.
    services.close_session(actor=station, session=world.vaccination.sessions["home"])
    Session.objects.create(site=site, date=timezone.localdate() + timedelta(days=3))
    with pytest.raises(ValidationError):  # a future planned session counts too
        update_site(actor=station, site=site, organization=other)
    Session.objects.filter(site=site).update(status=Session.Status.CLOSED)
    assert update_site(actor=station, site=site, organization=other).organization == other
    event = AuditEvent.objects.filter(action="update", object_type="vaccination.Site").latest("pk")
    assert event.changes["organization"] == [world.org(K.COMMUNE_STATION).name, other.name]
