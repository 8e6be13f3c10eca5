"""Who may act on a patient in a bed, over HTTP: the treating hospital (and the officers of its area) grade,
refer, discharge and close; a commune that sees its resident does not; nobody admits into a facility that is
not theirs or changes its beds; only the sending side cancels a referral; views of a referral are audited;
a referral sent twice is one referral."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from epicommand.cases import admissions, referrals, services
from epicommand.cases.models import Admission, Beds, Case, Referral
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role

from .browsing import vi
from .cases_fixtures import person, tower

pytestmark = pytest.mark.django_db


def _in_provincial_bed(world, t) -> Case:
    case, _ = services.open_case(actor=None, person=person(world, "Giàng Thị Mỷ"), opened_on=timezone.localdate())
    admissions.admit(actor=t.provincial_staff, case=case, facility=t.provincial, bed_kind="icu")
    return case


def test_a_commune_does_not_act_on_its_resident_in_another_hospitals_bed(client, world):
    t = tower(world)
    case = _in_provincial_bed(world, t)
    client.force_login(world.user(Role.COMMUNE_STATION))
    page = client.get(reverse("cases:detail", kwargs={"pk": case.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="treated-elsewhere"' in body
    assert 'data-testid="discharge"' not in body and 'data-testid="close"' not in body
    for name, payload in (("cases:discharge", {"outcome": "recovered"}), ("cases:close", {"outcome": "died"}),
                          ("cases:severity", {"severity": "mild"}),
                          ("cases:refer", {"to_facility": t.district.pk, "bed_kind": "oxygen", "reason": "x"})):
        assert client.post(reverse(name, kwargs={"pk": case.pk}), payload).status_code == 403, name
    case.refresh_from_db()
    assert case.is_open and case.severity_confirmed_at is None and not case.referrals.exists()
    assert Beds.objects.get(facility=t.provincial, kind="icu").occupied == 1
    # The hospital that holds the bed discharges.
    client.force_login(t.provincial_staff)
    response = client.post(reverse("cases:discharge", kwargs={"pk": case.pk}), {"outcome": "recovered"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.outcome == "recovered" and Beds.objects.get(facility=t.provincial, kind="icu").occupied == 0


def test_nobody_admits_into_or_edits_the_beds_of_a_facility_not_theirs(client, world):
    t = tower(world)
    case, _ = services.open_case(actor=None, person=person(world, "Lò Văn Sáng"), opened_on=timezone.localdate())
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.post(reverse("cases:place", kwargs={"pk": case.pk}),
                           {"facility": t.provincial.pk, "bed_kind": "oxygen"})
    assert response.status_code == 200 and not Admission.objects.filter(case=case).exists()
    assert Beds.objects.get(facility=t.provincial, kind="oxygen").occupied == 0
    # Commune against commune: the neighbour's station neither sees the home commune's patient nor its beds.
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    assert client.get(reverse("cases:place", kwargs={"pk": case.pk})).status_code == 404
    home_facility = world.org("treatment_facility")
    before = Beds.objects.get(facility=home_facility, kind="regular").total
    assert client.post(reverse("cases:beds_edit", kwargs={"pk": home_facility.pk}),
                       {"regular": 99, "oxygen": 0, "icu": 0, "ventilator": 0}).status_code == 404
    assert Beds.objects.get(facility=home_facility, kind="regular").total == before
    assert home_facility.name not in client.get(reverse("cases:beds")).content.decode()
    # Facility against facility.
    client.force_login(t.district_staff)
    assert client.post(reverse("cases:beds_edit", kwargs={"pk": t.provincial.pk}),
                       {"icu": 0}).status_code == 404
    assert Beds.objects.get(facility=t.provincial, kind="icu").total == 2


def test_only_the_sending_side_cancels_and_the_referral_page_is_audited(client, world):
    t = tower(world)
    case, _ = services.open_case(actor=None, person=person(world, "Vàng A Chứ"), opened_on=timezone.localdate())
    referral = referrals.request(actor=world.user(Role.COMMUNE_STATION), case=case, to_facility=t.district,
                                 bed_kind="oxygen", reason="SpO2 93%")
    referrals.decide(actor=t.district_staff, referral=referral, accept=True)
    client.force_login(t.district_staff)
    page = client.get(reverse("cases:referral", kwargs={"pk": referral.pk}))
    assert page.status_code == 200 and 'data-testid="cancel"' not in page.content.decode()
    assert AuditEvent.objects.filter(action="view", object_type="cases.Referral", object_id=str(referral.pk),
                                     actor=t.district_staff).count() == 1
    cancel = reverse("cases:referral_cancel", kwargs={"pk": referral.pk})
    assert client.post(cancel, {"reason": "đầy"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == "accepted" and Beds.objects.get(facility=t.district, kind="oxygen").occupied == 1
    client.force_login(world.user(Role.COMMUNE_STATION))
    assert 'data-testid="cancel"' in client.get(reverse("cases:referral", kwargs={"pk": referral.pk})).content.decode()
    assert client.post(cancel, {"reason": "gia đình xin ở nhà"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "cancelled" and Beds.objects.get(facility=t.district, kind="oxygen").occupied == 0


def test_a_referral_sent_twice_is_one_referral_and_a_decline_needs_a_reason(client, world):
    t = tower(world)
    case, _ = services.open_case(actor=None, person=person(world, "Lý Thị Mai"), opened_on=timezone.localdate())
    client.force_login(world.user(Role.COMMUNE_STATION))
    payload = {"to_facility": t.district.pk, "bed_kind": "oxygen", "reason": "thở nhanh"}
    first = client.post(reverse("cases:refer", kwargs={"pk": case.pk}), payload)
    second = client.post(reverse("cases:refer", kwargs={"pk": case.pk}), payload)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert Referral.objects.filter(case=case).count() == 1
    referral = Referral.objects.get(case=case)
    client.force_login(t.district_staff)
    response = client.post(reverse("cases:referral_decide", kwargs={"pk": referral.pk}), {"decision": "decline"},
                           follow=True)
    assert vi("Give the reason for declining.") in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == "requested"
    # Accepting twice (a double tap) holds one bed.
    for _ in range(2):
        client.post(reverse("cases:referral_decide", kwargs={"pk": referral.pk}), {"decision": "accept"})
    assert Beds.objects.get(facility=t.district, kind="oxygen").occupied == 1


def test_the_sender_never_decides_their_own_request_even_standing_where_the_facility_stands(client, world):
    t = tower(world)  # the district hospital stands in the home commune: its station answers for it
    case, _ = services.open_case(actor=None, person=person(world, "Sùng Thị Dua"), opened_on=timezone.localdate())
    officer = world.user(Role.COMMUNE_STATION)
    referral = referrals.request(actor=officer, case=case, to_facility=t.district, bed_kind="oxygen",
                                 reason="SpO2 93%")
    client.force_login(officer)
    page = client.get(reverse("cases:referral", kwargs={"pk": referral.pk})).content.decode()
    assert 'data-testid="decide-form"' not in page
    decide = reverse("cases:referral_decide", kwargs={"pk": referral.pk})
    assert client.post(decide, {"decision": "accept"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == "requested" and Beds.objects.get(facility=t.district, kind="oxygen").occupied == 0
    client.force_login(t.district_staff)
    assert client.post(decide, {"decision": "accept"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted" and Beds.objects.get(facility=t.district, kind="oxygen").occupied == 1


def test_the_case_page_puts_one_action_first(client, world):
    t = tower(world)
    case, _ = services.open_case(actor=None, person=person(world, "Hờ A Páo"), opened_on=timezone.localdate())
    client.force_login(world.user(Role.COMMUNE_STATION))

    def primary() -> list[str]:
        body = client.get(reverse("cases:detail", kwargs={"pk": case.pk})).content.decode()
        actions = body.split('data-testid="case-actions"')[1].split("</div>")[0]
        return [chunk.split('data-testid="')[1].split('"')[0] for chunk in actions.split("<a ")[1:]
                if "btn-primary" in chunk.split(">")[0]]

    assert primary() == ["confirm-severity"]  # an ungraded patient is graded first
    services.confirm_severity(actor=world.user(Role.COMMUNE_STATION), case=case, severity="moderate")
    assert primary() == ["place"]  # then placed
    admissions.admit(actor=t.district_staff, case=case, facility=t.district, bed_kind="regular")
    assert primary() == []  # in a bed: nothing presses


def test_a_second_tap_on_admit_or_close_leads_to_the_case_and_changes_nothing(client, world):
    t = tower(world)
    case, _ = services.open_case(actor=None, person=person(world, "Lù Văn Hảo"), opened_on=timezone.localdate())
    client.force_login(world.user(Role.COMMUNE_STATION))
    place = reverse("cases:place", kwargs={"pk": case.pk})
    payload = {"facility": t.district.pk, "bed_kind": "regular"}
    first, second = client.post(place, payload), client.post(place, payload)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert Admission.objects.filter(case=case).count() == 1
    assert Beds.objects.get(facility=t.district, kind="regular").occupied == 1
    close = reverse("cases:close", kwargs={"pk": case.pk})
    today = timezone.localdate().isoformat()
    first = client.post(close, {"outcome": "recovered", "closed_on": today})
    second = client.post(close, {"outcome": "died", "closed_on": today})
    assert first.status_code == second.status_code == 302 and first.url == second.url
    case.refresh_from_db()
    assert case.outcome == "recovered" and Beds.objects.get(facility=t.district, kind="regular").occupied == 0
    assert case.events.filter(kind="closed").count() == 1
