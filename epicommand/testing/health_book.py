"""The testing part of the health book's timeline: each test the viewer may see, self-tests marked as such."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from epicommand.core.jurisdiction import visible_to
from epicommand.people.models import Person
from epicommand.people.timeline import TimelineEntry

from .models import Result, Test


def _url(pk: int) -> str:
    try:
        return reverse("testing:detail", kwargs={"pk": pk})
    except NoReverseMatch:  # screens not mounted: the entry still shows
        return ""


def entries(person: Person, user) -> list[TimelineEntry]:
    found: list[TimelineEntry] = []
    tests = visible_to(user, Test.objects.filter(person=person)).select_related("lab", "pool")
    for test in tests:
        title = _("%(kind)s: %(result)s") % {"kind": test.get_kind_display(), "result": test.get_result_display()}
        parts = [test.get_reason_display()]
        if test.self_reported:
            parts.append(_("reported by the citizen, not a laboratory result"))
        if test.lab:
            parts.append(test.lab.name)
        if test.pool:
            parts.append(_("pool %(code)s") % {"code": test.pool.code})
        if test.resulted_on:
            parts.append(_("result on %(date)s") % {"date": test.resulted_on.strftime("%d/%m/%Y")})
        icon = "clipboard2-pulse" if test.result != Result.POSITIVE else "clipboard2-x"
        found.append(TimelineEntry(test.sampled_on, "test", title, " · ".join(parts), _url(test.pk), icon))
    return found
