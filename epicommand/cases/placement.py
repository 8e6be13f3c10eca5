"""Where a case should be treated: the tier its severity and risk call for (`cases.tier_by_severity`), the
bed kind it needs, then the nearest active facility of that tier with a free bed of that kind.

Bed kinds by severity (decided here; the directives name the tiers, not the beds): asymptomatic and mild
need a regular bed; moderate a regular bed, an oxygen bed when no regular one is free; severe an oxygen
bed, an ICU bed when no oxygen bed is free; critical an ICU bed, a ventilator bed when no ICU bed is free.
The kind comes before the distance: a scarce ICU bed is offered to a severe patient only when no oxygen
bed is free anywhere in the tier.

Distance: straight line (haversine) between the commune where the person lives now and the place of the
facility (its commune, or the province's centre for provincial units). Facilities whose place has no
coordinates come last. When the tier has no free bed of any suitable kind, higher tiers are searched (a
higher tier treats what a lower one does), and the reason says so.

Facility names and free-bed counts are not personal data: the recommendation searches every active
treating facility of the province, whoever asks, since a commune must be able to refer to the provincial
hospital it cannot otherwise see."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import F
from django.utils.translation import gettext as _

from epicommand.core.models import Organization, Place
from epicommand.core.policies import policy

from . import risk
from .models import BedKind, Beds, Case, Severity

BED_KINDS: dict[str, list[str]] = {
    Severity.ASYMPTOMATIC: [BedKind.REGULAR],
    Severity.MILD: [BedKind.REGULAR],
    Severity.MODERATE: [BedKind.REGULAR, BedKind.OXYGEN],
    Severity.SEVERE: [BedKind.OXYGEN, BedKind.ICU],
    Severity.CRITICAL: [BedKind.ICU, BedKind.VENTILATOR],
}


def tier_for(severity: str, *, comorbidity: bool, on: date) -> int:
    tiers = policy("cases.tier_by_severity", on)
    if severity == Severity.MILD and comorbidity and "mild_with_comorbidity" in tiers:
        return int(tiers["mild_with_comorbidity"])
    return int(tiers[severity])


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass
class Option:
    facility: Organization
    kind: str
    free: int
    distance_km: float | None

    @property
    def kind_label(self) -> str:
        return str(BedKind(self.kind).label)


@dataclass
class Recommendation:
    severity: str
    tier: int
    kinds: list[str]
    reasons: list[str] = field(default_factory=list)
    best: Option | None = None
    options: list[Option] = field(default_factory=list)  # every facility with a free suitable bed, best first


def _coordinates(place: Place | None) -> tuple[float, float] | None:
    if place is None or place.latitude is None or place.longitude is None:
        return None
    return (place.latitude, place.longitude)


def facilities(*, tier: int | None = None):
    """Active treating facilities of the province (tier given: of that tier)."""
    qs = Organization.objects.filter(is_active=True, kind__in=Organization.TREATING_KINDS, tier__isnull=False,
                                     place__path__startswith=f"{settings.PROVINCE_CODE}/")
    return qs.filter(tier=tier) if tier else qs


def free_beds(*, tier: int, kinds: list[str]) -> list[Beds]:
    return list(Beds.objects.filter(facility__in=facilities(tier=tier), kind__in=kinds, occupied__lt=F("total"))
                .select_related("facility__place"))


def working_severity(case: Case, suggested: str = "") -> tuple[str, bool]:
    """The severity placement works from: the clinician's once confirmed, before that the suggestion from
    the vital signs (else the case's default). Second value: whether it is confirmed."""
    if case.severity_confirmed_at is not None:
        return case.severity, True
    return (suggested or case.severity_suggested or case.severity), False


def recommend(case: Case, *, on: date | None = None, severity: str | None = None) -> Recommendation:
    on = on or case.opened_on
    confirmed = True
    if severity is None:
        severity, confirmed = working_severity(case)
    found = risk.factors(case.person, on)
    comorbid = risk.has_comorbidity(found)
    tier = tier_for(severity, comorbidity=comorbid, on=on)
    kinds = BED_KINDS[severity]
    label = Severity(severity).label
    reasons = [_("Severity %(severity)s: tier %(tier)s") % {"severity": label, "tier": tier}]
    if severity == Severity.MILD and comorbid:
        reasons[0] = _("Mild with risk factors (%(factors)s): tier %(tier)s") % {
            "factors": ", ".join(f.label for f in found if f.raises_tier), "tier": tier}
    reasons.append(_("Bed needed: %(kinds)s") % {"kinds": _(" or ").join(str(BedKind(k).label) for k in kinds)})
    if not confirmed:
        reasons.append(_("Severity not yet confirmed by a clinician: the suggestion is used."))
    rec = Recommendation(severity=severity, tier=tier, kinds=kinds, reasons=reasons)
    origin = _coordinates(case.person.commune)
    for search_tier in range(tier, 4):
        rows = free_beds(tier=search_tier, kinds=kinds)
        options = []
        for row in rows:
            target = _coordinates(row.facility.place)
            distance = haversine_km(origin, target) if origin and target else None
            options.append(Option(row.facility, row.kind, row.free, distance))
        if options:
            options.sort(key=lambda o: (kinds.index(o.kind), o.distance_km is None, o.distance_km or 0,
                                        o.facility.name))
            rec.options = options
            rec.best = options[0]
            if search_tier != tier:
                rec.reasons.append(_("No free bed of that kind in tier %(tier)s: tier %(found)s searched") % {
                    "tier": tier, "found": search_tier})
            best = rec.best
            if best.kind != kinds[0]:
                rec.reasons.append(_("No %(wanted)s free: %(kind)s offered") % {
                    "wanted": BedKind(kinds[0]).label, "kind": BedKind(best.kind).label})
            if best.distance_km is not None:
                rec.reasons.append(_("Nearest: %(facility)s, %(km)s km, %(free)s free") % {
                    "facility": best.facility.name, "km": f"{best.distance_km:.0f}", "free": best.free})
            else:
                rec.reasons.append(_("%(facility)s: %(free)s free (distance unknown)") % {
                    "facility": best.facility.name, "free": best.free})
            return rec
    rec.reasons.append(_("No facility of tier %(tier)s or above has a free bed of that kind.") % {"tier": tier})
    return rec
