"""Certificates on screen: issuing one after a dose, the printable page with its QR code, the public key, and
the public /verify/<token> page, which needs no login, shows only initials, birth year, doses and validity,
and says "invalid" for a token with one character changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.urls import reverse
from django.utils import timezone

from epicommand.core import repeats
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.vaccination import certificates, services
from epicommand.vaccination.models import Certificate, Dose, Product

pytestmark = pytest.mark.django_db

NAME, CCCD = "Giàng Thị Dế", "012190000777"


@pytest.fixture
def vaccinated(world):
    """A woman of the home commune with a dose recorded today at the home session."""
    person = Person.objects.create(full_name=NAME, name_folded=fold(NAME), sex="F", birth_date=date(1990, 3, 4),
                                   birth_year=1990, cccd=CCCD, commune=world.communes["home"], phone="0912555666")
    services.record_dose(actor=world.user(Role.COMMUNE_STATION), person=person,
                         session=world.vaccination.sessions["home"], product=Product.objects.get(key="pfizer"))
    return person


def _issue(client, person: Person):
    return client.post(reverse("vaccination:certificate_issue", kwargs={"pk": person.pk}))


def test_a_certificate_is_issued_and_its_printable_page_shows_the_qr_code(client, world, key_file, vaccinated):
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = _issue(client, vaccinated)
    certificate = Certificate.objects.get(person=vaccinated)
    assert response.url == reverse("vaccination:certificate", kwargs={"pk": certificate.pk})
    body = client.get(response.url).content.decode()
    assert 'class="certificate-qr"' in body and "<svg" in body and "</svg>" in body
    assert NAME in body and "1990" in body and "LOT home" in body and "Pfizer" in body
    assert timezone.localdate().strftime("%d/%m/%Y") in body
    assert reverse("verify", kwargs={"token": certificate.token}) in body
    assert reverse("vaccination:public_key") in body and "@media print" in body
    assert AuditEvent.objects.filter(action="view", object_type="vaccination.Certificate",
                                     object_id=str(certificate.pk)).exists()


def test_the_dose_page_offers_the_certificate(client, world, key_file, vaccinated):
    client.force_login(world.user(Role.COMMUNE_STATION))
    dose = Dose.objects.get(person=vaccinated)
    body = client.get(reverse("vaccination:dose", kwargs={"pk": dose.pk})).content.decode()
    assert reverse("vaccination:certificate_issue", kwargs={"pk": vaccinated.pk}) in body


def test_nothing_to_certify_without_a_dose(client, world, key_file):
    client.force_login(world.user(Role.COMMUNE_STATION))
    person = Person.objects.create(full_name="Lò Văn Páo", name_folded="lo van pao", sex="M", birth_year=1970,
                                   commune=world.communes["home"])
    response = _issue(client, person)
    assert response.url == reverse("people:detail", kwargs={"pk": person.pk})
    assert not Certificate.objects.filter(person=person).exists()


def test_another_communes_person_and_certificate_are_404(client, world, key_file, vaccinated):
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    assert _issue(client, vaccinated).status_code == 404
    assert not Certificate.objects.filter(person=vaccinated).exists()
    certificate = world.vaccination.certificates["home"]
    assert client.get(reverse("vaccination:certificate", kwargs={"pk": certificate.pk})).status_code == 404
    assert client.get(reverse("vaccination:certificate_issue", kwargs={"pk": vaccinated.pk})).status_code == 405


def test_verify_shows_a_valid_certificate_to_anyone_with_initials_and_no_personal_data(client, world, key_file,
                                                                                      vaccinated):
    certificate = services.issue_certificate(actor=world.user(Role.COMMUNE_STATION), person=vaccinated)
    response = client.get(reverse("verify", kwargs={"token": certificate.token}))  # not logged in
    body = response.content.decode()
    assert response.status_code == 200 and 'data-valid="1"' in body
    assert "G.T.D." in body and "1990" in body and "PF" in body
    assert timezone.localdate().strftime("%d/%m/%Y") in body
    for private in (NAME, "Giàng", CCCD, "0912555666", "04/03/1990", "Mường Tè", "LOT home", "SITE home"):
        assert private not in body, private
    assert response["Cache-Control"] == "no-store" and "noindex" in response["X-Robots-Tag"]


def test_verify_reads_no_personal_data_from_the_database(client, world, key_file, vaccinated,
                                                         django_assert_max_num_queries):
    certificate = services.issue_certificate(actor=world.user(Role.COMMUNE_STATION), person=vaccinated)
    with django_assert_max_num_queries(0):
        assert client.get(reverse("verify", kwargs={"token": certificate.token})).status_code == 200


def test_a_token_with_one_character_changed_is_invalid(client, world, key_file, vaccinated):
    token = services.issue_certificate(actor=world.user(Role.COMMUNE_STATION), person=vaccinated).token
    version, body, signature = token.split(".")
    for changed in (f"{version}.{body[:-3]}{'A' if body[-3] != 'A' else 'B'}{body[-2:]}.{signature}",
                    f"{version}.{body}.{signature[:5]}{'A' if signature[5] != 'A' else 'B'}{signature[6:]}"):
        assert changed != token
        page = client.get(reverse("verify", kwargs={"token": changed})).content.decode()
        assert 'data-valid="0"' in page and 'data-valid="1"' not in page
        assert "1990" not in page  # nothing of an unverified payload is shown


def test_an_expired_certificate_still_says_whose_it_was(client, world, key_file, vaccinated):
    on = timezone.localdate() - timedelta(days=400)
    Dose.objects.filter(person=vaccinated).update(given_on=on)
    certificate = services.issue_certificate(actor=world.user(Role.COMMUNE_STATION), person=vaccinated, on=on)
    page = client.get(reverse("verify", kwargs={"token": certificate.token})).content.decode()
    assert 'data-valid="0"' in page and 'data-code="expired"' in page
    assert "G.T.D." in page and "1990" in page


def test_the_public_key_is_public_plain_text_and_verifies_a_token_alone(client, world, key_file, vaccinated):
    token = services.issue_certificate(actor=world.user(Role.COMMUNE_STATION), person=vaccinated).token
    response = client.get(reverse("vaccination:public_key"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    key = load_pem_public_key(response.content)
    payload = certificates.verify(token, {certificates.kid_of(key): key})
    assert payload["n"] == "G.T.D."


def test_a_vaccination_site_cannot_issue_certificates_of_the_register(client, world, key_file, vaccinated):
    # Certificates are scoped by the person's commune in the register, which a site does not see.
    client.force_login(world.user(Role.VACCINATION_SITE))
    assert _issue(client, vaccinated).status_code == 404
    assert not Certificate.objects.filter(person=vaccinated).exists()


def test_issue_pressed_twice_gives_back_the_same_certificate(client, world, key_file, vaccinated):
    nurse = world.user(Role.COMMUNE_STATION)
    client.force_login(nurse)
    url = reverse("vaccination:certificate_issue", args=[vaccinated.pk])
    first, second = client.post(url), client.post(url)
    assert first.url == second.url and Certificate.objects.filter(person=vaccinated).count() == 1
    # The same certificate asked for again later is a new one.
    Certificate.objects.update(issued_at=timezone.now() - repeats.MOMENT)
    assert client.post(url).url != first.url and Certificate.objects.filter(person=vaccinated).count() == 2
