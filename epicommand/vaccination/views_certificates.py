"""Certificates: issuing one (signed by the province's key), the printable page with its QR code, the public
key, and the public verification page that shows only what checking a certificate needs."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from epicommand.core import audit
from epicommand.core.jurisdiction import get_for_user, require
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.people.models import Person

from . import certificates, services
from .eligibility import PRODUCT_NAMES
from .models import Certificate, Dose

# Short code printed in the certificate → product key (services.SHORT_CODES the other way round).
_PRODUCT_OF_CODE = {code: key for key, code in services.SHORT_CODES.items()}


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _vaccine(code: str) -> str:
    key = _PRODUCT_OF_CODE.get(code, "")
    return PRODUCT_NAMES.get(key, code)


@require_POST
def certificate_issue(request, pk: int):
    # The register's view of the person (not the served area): the certificate belongs to the register, and
    # whoever issues it must be able to open it afterwards (certificates are scoped by the person's commune).
    person = get_for_user(request.user, Person.objects.filter(merged_into__isnull=True).select_related("commune"), pk)
    require(request.user, Cap.DOSES_RECORD)
    try:
        certificate = services.issue_certificate(actor=request.user, person=person)
    except services.DoseRefused as exc:
        messages.error(request, str(exc))
        return redirect("people:detail", pk=person.pk)
    except certificates.CertificateKeyMissing:
        messages.error(request, _("Certificates cannot be signed: the province's signing key is not installed. "
                                  "Tell the system administrator."))
        return redirect("people:detail", pk=person.pk)
    messages.success(request, _("Certificate issued."))
    return redirect("vaccination:certificate", pk=certificate.pk)


def certificate_detail(request, pk: int):
    certificate = get_for_user(request.user, Certificate.objects.select_related("person__commune__parent", "issued_by"),
                               pk)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, obj=certificate,
                 place=certificate.person.commune)
    payload = certificate.payload or {}
    # The lot is not in the QR payload (kept small); the printed page takes it from the doses themselves,
    # undone ones included, since the certificate says what was true when it was signed.
    lots = {(d.given_on.isoformat(), d.number): d.lot_number
            for d in Dose.all_objects.filter(person=certificate.person).only("given_on", "number", "lot_number")}
    doses = [{"day": _day(day), "vaccine": _vaccine(code), "code": code, "number": number,
              "lot": lots.get((day, number), "")} for day, code, number in payload.get("d", [])]
    valid_until = _day(payload.get("exp"))
    return render(request, "vaccination/certificates/certificate.html", {
        "certificate": certificate, "person": certificate.person, "doses": doses,
        "issued": _day(payload.get("iat")) or timezone.localtime(certificate.issued_at).date(),
        "valid_until": valid_until, "expired": bool(valid_until and valid_until < timezone.localdate()),
        "qr": certificates.qr_svg(certificate.token),
        "verify_url": request.build_absolute_uri(reverse("verify", kwargs={"token": certificate.token})),
    })


@login_not_required
@require_GET
def public_key(request):
    """The province's current public key (PEM), to verify certificates offline."""
    try:
        pem = certificates.public_key_pem()
    except certificates.CertificateKeyMissing:
        return HttpResponse(_("No public key is published yet."), status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pem, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="public-key.pem"'
    return response


@login_not_required
@require_GET
def verify(request, token: str):
    """Anyone may check a certificate: the signature and validity, and only the initials, birth year, doses
    and dates the token itself carries. Nothing is read from the database."""
    error = None
    try:
        payload = certificates.verify(token)
    except certificates.InvalidCertificate as exc:
        error, payload = exc, exc.payload or {}  # an expired certificate still says whose it was
    doses = [{"day": _day(day), "code": code, "vaccine": _vaccine(code), "number": number}
             for day, code, number in payload.get("d", [])]
    response = render(request, "vaccination/certificates/verify.html", {
        "valid": error is None, "error": error, "initials": payload.get("n", ""), "birth_year": payload.get("by"),
        "doses": doses, "issued": _day(payload.get("iat")), "valid_until": _day(payload.get("exp")),
        "issuer": payload.get("iss", ""),
    })
    # A certificate check is nobody's business but the checker's: not cached, not indexed, no referrer.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
