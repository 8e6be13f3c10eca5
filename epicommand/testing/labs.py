"""Which organizations may be named as a laboratory or as the place a sample was taken, for a user.

Laboratories are units that run tests (the CDC, hospitals, health centres, clinics, treatment facilities). A
user may name those of their own jurisdiction and those placed at the province (the provincial CDC runs most
RT-PCR tests, yet no commune sees it in the organizations list): unit names are not personal data, but another
commune's units are not the user's to pick."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import Organization, Place, User
from epicommand.core.text import fold

K = Organization.Kind
LAB_KINDS = (K.CDC, K.PROVINCIAL_HOSPITAL, K.DISTRICT_HOSPITAL, K.HEALTH_CENTRE, K.PRIVATE_CLINIC,
             K.TREATMENT_FACILITY)


def labs_for(user: User) -> QuerySet[Organization]:
    mine = visible_to(user, Organization).values("pk")
    # The province's own units (its CDC, its hospitals), never another province's.
    area = user.jurisdiction_place if user.is_authenticated else None
    province = area.path.split("/", 1)[0] + "/" if area else None
    provincial = Q(place__level=Place.Level.PROVINCE, place__path=province) if province else Q(pk__in=[])
    return (Organization.objects.filter(is_active=True, kind__in=LAB_KINDS)
            .filter(Q(pk__in=mine) | provincial).order_by("name"))


def sampling_units_for(user: User) -> QuerySet[Organization]:
    """Units of the user's jurisdiction that take samples (any active one: stations, checkpoints, facilities)."""
    return visible_to(user, Organization).filter(is_active=True).order_by("name")


def find_lab(labs: list[Organization], text: str) -> Organization | None:
    """A laboratory named by its code or its name (case and diacritics ignored); None when unknown or
    ambiguous."""
    wanted = fold(text or "").strip()
    if not wanted:
        return None
    by_code = [o for o in labs if o.code and fold(o.code) == wanted]
    if len(by_code) == 1:
        return by_code[0]
    by_name = [o for o in labs if o.name_folded == wanted]
    return by_name[0] if len(by_name) == 1 else None
