from __future__ import annotations

import pytest
from django.urls import reverse

from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Role

from .world import K

pytestmark = pytest.mark.django_db


def test_list_filters_by_kind_place_and_name_without_diacritics(client, world):
    Organization.objects.filter(pk=world.org(K.SCHOOL).pk).update(name="Trường Mầm non Mường Tè",
                                                                  name_folded="truong mam non muong te")
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.get(reverse("organizations:list"), {"q": "mam non"})
    assert [o.name for o in response.context["page"]] == ["Trường Mầm non Mường Tè"]
    response = client.get(reverse("organizations:list"), {"kind": K.CHECKPOINT,
                                                          "place": world.communes["neighbour"].pk})
    assert [o.name for o in response.context["page"]] == ["ORG neighbour-checkpoint"]


def test_commune_list_shows_only_its_commune(client, world, django_assert_max_num_queries):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("organizations:list"))
    names = [o.name for o in response.context["page"]]
    assert names and all(n.startswith("ORG home-") for n in names)
    assert b"ORG neighbour" not in response.content


def test_create_and_edit_are_audited(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.post(reverse("organizations:create"), {
        "name": "  Trường Tiểu học   Mường Tè ", "kind": K.SCHOOL, "place": world.communes["home"].pk,
        "phone": "0213 3881 234", "is_active": "on"})
    assert response.status_code == 302
    org = Organization.objects.get(name="Trường Tiểu học Mường Tè")
    assert org.name_folded == "truong tieu hoc muong te"
    response = client.post(reverse("organizations:edit", args=[org.pk]), {
        "name": org.name, "kind": K.SCHOOL, "place": world.communes["home"].pk, "contact_name": "Lò Văn Ánh",
        "is_active": "on"})
    assert response.status_code == 302
    actions = list(AuditEvent.objects.filter(object_type="core.Organization", object_id=str(org.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update"]


def test_cannot_place_an_organization_outside_the_jurisdiction(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.post(reverse("organizations:create"), {
        "name": "Elsewhere", "kind": K.SCHOOL, "place": world.communes["neighbour"].pk, "is_active": "on"})
    assert response.status_code == 200 and response.context["form"].errors["place"]
    assert not Organization.objects.filter(name="Elsewhere").exists()


def test_tier_only_for_treating_facilities(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.post(reverse("organizations:create"), {
        "name": "Nhà nghỉ", "kind": K.LODGING, "tier": 2, "place": world.communes["home"].pk, "is_active": "on"})
    assert response.status_code == 200 and response.context["form"].errors["tier"]


def test_editing_keeps_a_parent_outside_the_editors_view(client, world):
    from epicommand.core.services.organizations import update_organization

    station = world.org(K.COMMUNE_STATION)
    cdc = Organization.objects.create(name="CDC tỉnh", name_folded="cdc tinh", kind=K.CDC, place=world.province)
    update_organization(actor=world.user(Role.HEALTH_OFFICER), organization=station, parent=cdc)
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("organizations:edit", args=[station.pk]), {
        "name": station.name, "kind": K.COMMUNE_STATION, "place": station.place_id, "parent": cdc.pk,
        "phone": "0213 111", "is_active": "on"})
    assert response.status_code == 302
    station.refresh_from_db()
    assert (station.parent, station.phone) == (cdc, "0213 111")


def test_an_organization_cannot_sit_below_itself(world):
    from django.core.exceptions import ValidationError

    from epicommand.core.services.organizations import update_organization

    officer = world.user(Role.HEALTH_OFFICER)
    a, b = world.org(K.SCHOOL), world.org(K.CHECKPOINT)
    update_organization(actor=officer, organization=b, parent=a)
    with pytest.raises(ValidationError):
        update_organization(actor=officer, organization=a, parent=b)


def test_export_lists_only_the_users_organizations_and_neutralises_formulas(client, world):
    import csv as csvlib

    from epicommand.core.models import AuditEvent

    Organization.objects.filter(pk=world.org(K.SCHOOL).pk).update(address="=cmd|' /C calc'!A0")
    client.force_login(world.user(Role.COMMUNE_STATION))
    body = client.get(reverse("organizations:export", args=["csv"])).content.decode("utf-8-sig")
    rows = list(csvlib.reader(body.splitlines()))
    names = [r[0] for r in rows[1:]]
    assert names and all(n.startswith("ORG home-") for n in names)
    school = next(r for r in rows if r[0] == "ORG home-school")
    assert school[4].startswith("'=")
    assert AuditEvent.objects.filter(action="export", object_type="core.Organization").count() == 1
    assert client.get(reverse("organizations:export", args=["pdf"])).status_code == 404


@pytest.mark.parametrize("kind", [K.CDC, K.HEALTH_DEPARTMENT, K.COMMAND_CENTRE])
def test_provincial_kinds_stand_only_at_the_province(client, world, kind):
    """A CDC receives every serious AEFI alert of its province: a commune may not create one for itself, nor turn
    one of its units into one; the province creates its own."""
    from django.core.exceptions import ValidationError
    from django.utils import translation
    from django.utils.translation import gettext

    from epicommand.core.services.organizations import update_organization

    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.post(reverse("organizations:create"), {
        "name": "Trung tâm giả", "kind": kind, "place": world.communes["home"].pk, "is_active": "on"})
    assert response.status_code == 200 and response.context["form"].errors["kind"]
    with translation.override("vi"):
        expected = gettext("This kind of unit (%(kind)s) answers for the whole province: choose the province as its "
                           "place.") % {"kind": Organization.Kind(kind).label}
    assert expected in response.content.decode()
    assert not Organization.objects.filter(name="Trung tâm giả").exists()
    school = world.org(K.SCHOOL)
    with pytest.raises(ValidationError):
        update_organization(actor=world.user(Role.COMMUNE_STATION), organization=school, kind=kind)
    assert Organization.objects.get(pk=school.pk).kind == K.SCHOOL
    officer = world.user(Role.HEALTH_OFFICER)
    with pytest.raises(ValidationError):
        update_organization(actor=officer, organization=school, kind=kind)  # still placed in a commune
    client.force_login(officer)
    response = client.post(reverse("organizations:create"), {
        "name": "Trung tâm tỉnh", "kind": kind, "place": world.province.pk, "is_active": "on"})
    assert response.status_code == 302
    assert Organization.objects.get(name="Trung tâm tỉnh").place == world.province
