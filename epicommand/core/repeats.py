"""Save pressed twice: how every service tells a double submit from a second, real action.

A double tap (or two phones at once) sends the same request twice, often at the same moment. The service locks
the row both requests are about (the unit, the person, the dose, the commune), so the second waits until the
first has committed; it then looks for what was saved on that row a moment ago and answers with it instead of
saving it again."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

# How soon a second identical save counts as the first one pressed twice, unless the action says otherwise.
MOMENT = timedelta(minutes=2)


def saved_moments_ago(about: QuerySet, saved: QuerySet, at: str, *, within: timedelta = MOMENT) -> QuerySet:
    """Lock the row `about` names (inside the caller's transaction), then `saved` narrowed to the rows whose
    `at` time falls within the last `within`: the candidates for the same action saved a moment ago."""
    about.select_for_update().first()
    return saved.filter(**{f"{at}__gte": timezone.now() - within})
