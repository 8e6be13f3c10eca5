"""What vaccination asks of the register's merges and changes (people.links): two entries holding the same
dose are not merged blindly, and coverage follows people whose doses moved or whose commune, age or priority
group changed."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import coverage
from .models import Dose


def no_shared_dose(kept, merged) -> None:
    """The same dose recorded on both entries (a likely case for duplicates) must be undone on one of them
    first: moving it would leave the person with two copies of one injection."""
    theirs = set(Dose.objects.filter(person=merged).values_list("given_on", "product_id"))
    shared = (Dose.objects.filter(person=kept).select_related("product").order_by("given_on")
              .filter(given_on__in={day for day, _product in theirs}))
    for dose in shared:
        if (dose.given_on, dose.product_id) in theirs:
            raise ValidationError(_("Both entries hold the %(product)s dose of %(date)s: the same injection would "
                                    "count twice. Have the copy removed from one entry before merging.")
                                  % {"product": dose.product.name, "date": dose.given_on.strftime("%d/%m/%Y")})


def refresh_coverage(person_ids: list[int]) -> None:
    coverage.refresh_people(person_ids)
