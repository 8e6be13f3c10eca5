"""What cases ask of the register's merges (people.links): two entries that each hold an open case are not
merged blindly, since the person would end with two open cases (the figures would count them twice and the
one-open-case rule would break). One of the cases must be closed first (as a duplicate, outcome chosen by a
clinician), then the entries may be merged."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Case


def no_two_open_cases(kept, merged) -> None:
    kept_case = Case.objects.filter(person=kept, closed_on__isnull=True).first()
    merged_case = Case.objects.filter(person=merged, closed_on__isnull=True).first()
    if kept_case and merged_case:
        raise ValidationError(_("Both entries hold an open COVID-19 case (%(first)s and %(second)s): close one of "
                                "them before merging, or the person would be counted twice.")
                              % {"first": kept_case.code, "second": merged_case.code})
