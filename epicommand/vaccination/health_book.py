"""The vaccination part of the health book's timeline: doses, adverse events, certificates."""

from __future__ import annotations

from datetime import date

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from epicommand.core.jurisdiction import visible_to
from epicommand.people.models import Person
from epicommand.people.timeline import TimelineEntry

from .forms_doses import SYMPTOMS
from .models import Aefi, Certificate, Dose


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:  # screens not mounted (a bare test project): the entry still shows
        return ""


def entries(person: Person, user) -> list[TimelineEntry]:
    found: list[TimelineEntry] = []
    for dose in visible_to(user, Dose.objects.filter(person=person)).select_related("product", "site"):
        detail = _("Lot %(lot)s · %(site)s") % {"lot": dose.lot_number or "—",
                                                "site": dose.site or dose.site_name or "—"}
        if dose.historical:
            detail += " · " + _("imported record")
        if dose.override_reason:
            detail += " · " + _("given under an override: %(reason)s") % {"reason": dose.override_reason}
        found.append(TimelineEntry(dose.given_on, "dose", _("Vaccine %(product)s, dose %(number)s (%(kind)s)") % {
            "product": dose.product.name, "number": dose.number, "kind": dose.get_kind_display()},
            detail, _url("vaccination:dose", dose.pk), "droplet"))
    for aefi in visible_to(user, Aefi.objects.filter(dose__person=person)).select_related("dose__product"):
        found.append(TimelineEntry(aefi.onset, "aefi", _("Adverse event after %(product)s: %(severity)s") % {
            "product": aefi.dose.product.name, "severity": aefi.get_severity_display()},
            ", ".join(str(SYMPTOMS.get(s, s)) for s in aefi.symptoms), _url("vaccination:dose", aefi.dose_id),
            "exclamation-triangle"))
    for certificate in visible_to(user, Certificate.objects.filter(person=person)):
        valid = certificate.payload.get("exp", "")
        valid = date.fromisoformat(valid).strftime("%d/%m/%Y") if valid else ""
        found.append(TimelineEntry(certificate.issued_at, "certificate", _("Vaccination certificate issued"),
                                   _("valid until %(date)s") % {"date": valid} if valid else "",
                                   _url("vaccination:certificate", certificate.pk), "qr-code"))
    return found
