"""The cases part of the health book's timeline: each case the viewer may see, its confirmation, admissions
and closing."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from epicommand.core.jurisdiction import visible_to
from epicommand.people.models import Person
from epicommand.people.timeline import TimelineEntry

from .models import Admission, Case


def _url(pk: int) -> str:
    try:
        return reverse("cases:detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def entries(person: Person, user) -> list[TimelineEntry]:
    found: list[TimelineEntry] = []
    cases = list(visible_to(user, Case.objects.filter(person=person)))
    for case in cases:
        url = _url(case.pk)
        found.append(TimelineEntry(case.opened_on, "case", _("COVID-19 case %(code)s confirmed (%(basis)s)") % {
            "code": case.code, "basis": str(case.get_basis_display()).lower()},
            _("Severity: %(severity)s · %(setting)s") % {"severity": case.get_severity_display(),
                                                          "setting": case.get_setting_display()}, url, "virus"))
        if case.closed_on:
            found.append(TimelineEntry(case.closed_on, "case_closed", _("Case %(code)s closed: %(outcome)s") % {
                "code": case.code, "outcome": case.get_outcome_display()}, "", url, "check-circle"))
    by_case = {c.pk: c for c in cases}
    for admission in Admission.objects.filter(case__in=cases).select_related("facility"):
        url = _url(admission.case_id)
        found.append(TimelineEntry(admission.admitted_at, "admission", _("Admitted to %(facility)s") % {
            "facility": admission.facility.name}, str(admission.get_bed_kind_display()), url, "hospital"))
        if admission.discharged_at:
            found.append(TimelineEntry(admission.discharged_at, "discharge", _("Discharged from %(facility)s: "
                                                                              "%(outcome)s") % {
                "facility": admission.facility.name, "outcome": admission.get_outcome_display()},
                by_case[admission.case_id].code, url, "box-arrow-right"))
    return found
