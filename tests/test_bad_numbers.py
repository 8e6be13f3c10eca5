"""Numbers typed by hand or edited into an address: digits int() refuses ("²"), and numbers beyond what any column
holds. Each gets a page or a clear message, never a server error, and nothing stored changes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from epicommand.core.roles import Role
from epicommand.core.text import MAX_PAGE, page_number, whole_number
from epicommand.vaccination.models import AllocationPlan, Dose, Movement, Stock

from .world import K

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"  # beyond a 64-bit integer


def test_whole_numbers_take_ascii_digits_within_range_only():
    assert whole_number("12") == 12 and whole_number(" 7 ") == 7 and whole_number(3) == 3
    assert whole_number("²") is None and whole_number("١٢") is None and whole_number("-1") is None
    assert whole_number(HUGE) is None and whole_number("12", high=10) is None and whole_number("", default=4) == 4
    assert page_number("3") == 3 and page_number("0") == 1 and page_number("²") == 1 and page_number(None) == 1
    assert page_number("999999999") == MAX_PAGE


def test_pages_beyond_reach_or_odd_digits_show_a_page(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    ledger = reverse("vaccination:ledger", args=[world.org(K.COMMUNE_STATION, "home").pk])
    due = reverse("vaccination:due", kwargs={"pk": world.communes["home"].pk})
    for url in (ledger, due):
        for page in ("²", HUGE, "0"):
            assert client.get(url, {"page": page}).status_code == 200


def test_quantities_beyond_any_delivery_are_form_errors(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    station = world.org(K.COMMUNE_STATION, "home")
    row = Stock.objects.get(holder=station, lot=world.vaccination.lots["home"])
    movements = Movement.objects.count()
    response = client.post(reverse("vaccination:waste"), {"stock": row.pk, "doses": HUGE, "reason": "breakage"})
    assert response.status_code == 200 and response.context["form"].errors["doses"]
    response = client.post(reverse("vaccination:receive"), {
        "holder": station.pk, "product": row.lot.product_id, "number": "BIG-1", "expiry": "01/01/2099",
        "quantity": "4294967356", "unit": "doses", "source": "covax"})
    assert response.status_code == 200 and response.context["form"].errors["quantity"]
    assert Movement.objects.count() == movements and Stock.objects.get(pk=row.pk).doses == 60


def test_a_dose_naming_a_lot_or_session_beyond_any_key(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    session, person = world.vaccination.sessions["home"], world.people["home"]
    data = {"product": "pfizer", "outcome": "proceed", "lot": HUGE}
    url = reverse("vaccination:dose_new", kwargs={"session_pk": session.pk, "person_pk": person.pk})
    doses = Dose.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200 and response.context["form"].errors["lot"]
    assert client.post(f"/vaccination/sessions/{HUGE}/people/{person.pk}/", data).status_code == 404
    assert Dose.objects.count() == doses


def test_an_allocation_line_in_odd_digits_is_refused_with_a_message(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    plan = world.vaccination.plan
    line = plan.lines.first()
    before = line.doses
    response = client.post(reverse("vaccination:allocation", args=[plan.pk]),
                           {f"line-{line.pk}": "²", "action": "save"}, follow=True)
    assert response.status_code == 200
    assert gettext("Enter whole numbers of doses, up to %(n)s.").split("%")[0] in response.content.decode()
    line.refresh_from_db()
    assert line.doses == before and AllocationPlan.objects.get(pk=plan.pk).status == plan.status


def test_the_command_figures_take_only_their_periods(client, world):
    client.force_login(world.user(Role.COMMAND))
    for days in ("²", HUGE, "7"):
        assert client.get(reverse("dashboard:command"), {"days": days}).status_code == 200
