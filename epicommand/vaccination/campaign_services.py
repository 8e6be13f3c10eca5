"""Campaigns, sites and sessions: who may read campaigns, and every write (one transaction each, audited).

Campaigns hold no personal data, but they are not shown to everybody: a campaign is read by the users
holding Cap.VACCINATION_VIEW whose area it concerns, i.e. its area contains theirs (the province's campaign
reaches every commune and site) or lies inside it (the province sees every commune's campaign). A commune's
own campaign is none of the neighbouring commune's business. The jurisdiction module decides it (Campaign
is registered with an `areas` scope in apps.py)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core import audit
from epicommand.core.jurisdiction import (
    assignable_places,
    can,
    get_for_user,
    is_place_scoped,
    place_is_within,
    visible_to,
)
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.policies import PolicyMissing, policy
from epicommand.core.roles import Cap

# Readable names of age and priority groups: one wording across the vaccination screens, the coverage
# screens' (a key a policy adds later shows as itself).
from .forms_coverage import AGE_GROUP_LABELS, PRIORITY_LABELS
from .models import Campaign, Product, Session, Site
from .stock_services import stock_holders

# The two lists of priority groups (policies), in the order the campaign form shows them.
PRIORITY_LISTS = (
    ("vaccination.priority_groups.nq21", gettext_lazy("Resolution 21/NQ-CP (9 groups)")),
    ("vaccination.priority_groups.moh_plan_2021", gettext_lazy("Ministry of Health plan 2021 (11 groups)")),
)


def priority_label(key: str) -> str:
    return str(PRIORITY_LABELS.get(key, key))


def priority_lists(on: date | None = None) -> list[tuple[str, str, list[str]]]:
    """(policy key, title, group keys in order) of each list in force on `on`."""
    on = on or timezone.localdate()
    found = []
    for key, title in PRIORITY_LISTS:
        try:
            found.append((key, str(title), list(policy(key, on))))
        except PolicyMissing:
            continue
    return found


def priority_order(on: date | None = None) -> dict[str, int]:
    """Group key → rank: Resolution 21's order first, then the groups only the earlier plan names."""
    order: dict[str, int] = {}
    for _key, _title, groups in priority_lists(on):
        for group in groups:
            order.setdefault(group, len(order))
    return order


def age_groups(on: date | None = None) -> dict[str, list]:
    try:
        return dict(policy("vaccination.age_groups", on or timezone.localdate()))
    except PolicyMissing:
        return {}


def age_label(key: str, bounds: list | None = None) -> str:
    """"Adults (18+)"; a group the policy adds later shows its key and bounds."""
    if key in AGE_GROUP_LABELS:
        return str(AGE_GROUP_LABELS[key])
    if bounds:
        low, high = bounds
        return f"{key} ({low}+)" if high is None else f"{key} ({low}–{high})"
    return key


# ---- reading campaigns -------------------------------------------------------------------------------

def campaigns_for(user: User) -> QuerySet[Campaign]:
    """The campaigns `user` may read: jurisdiction's area rule (see the module docstring)."""
    qs = Campaign.objects.select_related("area")
    return visible_to(user, qs) if can(user, Cap.VACCINATION_VIEW) else qs.none()


def get_campaign_for_user(user: User, pk: object, *, write: bool = False) -> Campaign:
    """404 for a missing campaign or one outside the user's reach; 403 to change one they may only read."""
    campaign = get_for_user(user, campaigns_for(user), pk)  # without the right to read campaigns: none is theirs
    if write and not may_edit_campaign(user, campaign):
        raise PermissionDenied
    return campaign


def may_edit_campaign(user: User, campaign: Campaign) -> bool:
    return can(user, Cap.VACCINATION_PLAN) and place_is_within(user, campaign.area)


def campaign_areas(user: User) -> QuerySet[Place]:
    """Areas a user may give a campaign: the province or communes inside their own area."""
    if not can(user, Cap.VACCINATION_PLAN) or not is_place_scoped(user):
        return Place.objects.none()
    return assignable_places(user).filter(level__in=[Place.Level.PROVINCE, Place.Level.COMMUNE]).order_by(
        "path")


# ---- campaigns -----------------------------------------------------------------------------------------

CAMPAIGN_FIELDS = ("name", "area", "starts_on", "ends_on", "age_groups", "priority_groups", "note")


def _campaign_problems(actor: User, data: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if not (data.get("name") or "").strip():
        found["name"] = [_("Give the campaign a name.")]
    area = data.get("area")
    if area is None or not place_is_within(actor, area) or area.level not in (Place.Level.PROVINCE,
                                                                               Place.Level.COMMUNE):
        found["area"] = [_("The area must be the province or a commune within your jurisdiction.")]
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if starts is None:
        found["starts_on"] = [_("Give the first day of the campaign.")]
    elif ends is not None and ends < starts:
        found["ends_on"] = [_("The campaign cannot end before it starts.")]
    on = starts or timezone.localdate()
    known_ages = set(age_groups(on))
    if unknown := [g for g in data.get("age_groups") or [] if g not in known_ages]:
        found["age_groups"] = [_("Unknown age groups: %(groups)s.") % {"groups": ", ".join(unknown)}]
    known_priority = set(priority_order(on))
    if unknown := [g for g in data.get("priority_groups") or [] if g not in known_priority]:
        found["priority_groups"] = [_("Unknown priority groups: %(groups)s.") % {"groups": ", ".join(unknown)}]
    return found


def _snapshot(campaign: Campaign) -> dict:
    values = {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS if f != "area"}
    values["area"] = campaign.area.name if campaign.area_id else None
    values["products"] = sorted(campaign.products.values_list("key", flat=True)) if campaign.pk else []
    return values


def create_campaign(*, actor: User, name: str, area: Place, starts_on: date, ends_on: date | None = None,
                    age_groups: list[str] | None = None, priority_groups: list[str] | None = None,
                    products: list[Product] | None = None, note: str = "") -> Campaign:
    if not can(actor, Cap.VACCINATION_PLAN):
        raise PermissionDenied
    data = {"name": name, "area": area, "starts_on": starts_on, "ends_on": ends_on,
            "age_groups": list(age_groups or []), "priority_groups": list(priority_groups or []), "note": note}
    if problems := _campaign_problems(actor, data):
        raise ValidationError(problems)
    with transaction.atomic():
        campaign = Campaign.objects.create(**{**data, "name": name.strip()}, created_by=actor)
        campaign.products.set(products or [])
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=campaign, place=area,
                     changes=audit.diff({}, _snapshot(campaign)))
    return campaign


def update_campaign(*, actor: User, campaign: Campaign, products: list[Product] | None = None, **data) -> Campaign:
    with transaction.atomic():
        campaign = get_campaign_for_user(actor, campaign.pk, write=True)
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        before = _snapshot(campaign)
        merged = {f: data.get(f, getattr(campaign, f)) for f in CAMPAIGN_FIELDS}
        if problems := _campaign_problems(actor, merged):
            raise ValidationError(problems)
        # Its sessions stay inside its area and dates (as create_session keeps them): a campaign is not shrunk
        # away from sessions already planned, whose invitation lists it decides.
        area, starts, ends = merged["area"], merged["starts_on"], merged["ends_on"]
        inside = (Q(site__commune=area) | Q(site__commune__path__startswith=area.path)) & Q(date__gte=starts)
        if ends is not None:
            inside &= Q(date__lte=ends)
        if outside := Session.objects.filter(campaign=campaign).exclude(inside).count():
            raise ValidationError(_("%(n)s sessions of this campaign would fall outside its new area or dates: "
                                    "move them to another campaign, or keep the area and dates that hold them.")
                                  % {"n": outside})
        for field, value in merged.items():
            setattr(campaign, field, value.strip() if field == "name" else value)
        campaign.save()
        if products is not None:
            campaign.products.set(products)
        if changes := audit.diff(before, _snapshot(campaign)):
            audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=campaign, place=campaign.area,
                         changes=changes)
    return campaign


# ---- sites ---------------------------------------------------------------------------------------------

SITE_FIELDS = ("name", "kind", "commune", "village", "organization", "is_active")


def site_organizations(user: User, commune: Place | None = None) -> QuerySet[Organization]:
    """Units that may run a site: the site's doses are drawn from its stock (services.record_dose), so only
    the vaccine-holding kinds the user may keep stock for (stock_services.HOLDER_KINDS: CDC, health centre,
    commune station, vaccination site), standing in the site's commune or at the province. A school, a
    checkpoint or another commune's station never runs one. Without a commune (the form, before one is
    chosen): those standing in any commune or at the province; the service checks the pair again."""
    where = Q(place__level=Place.Level.PROVINCE)
    where |= Q(place=commune) if commune is not None else Q(place__level=Place.Level.COMMUNE)
    return stock_holders(user).filter(where)


def _site_problems(actor: User, data: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if not (data.get("name") or "").strip():
        found["name"] = [_("Give the site a name.")]
    if data.get("kind") not in Site.Kind.values:
        found["kind"] = [_("Choose the kind of site.")]
    commune = data.get("commune")
    if commune is None or commune.level != Place.Level.COMMUNE or not place_is_within(actor, commune):
        found["commune"] = [_("The commune must be within your jurisdiction.")]
    if data.get("kind") == Site.Kind.VILLAGE and not (data.get("village") or "").strip():
        found["village"] = [_("A mobile site at a village needs the village.")]
    organization = data.get("organization")
    # Against the site's commune once it is a valid one (else against any of the user's communes).
    where = None if "commune" in found else commune
    if organization is None or not site_organizations(actor, where).filter(pk=organization.pk).exists():
        found["organization"] = [_("Choose an active vaccine-holding unit (CDC, health centre, commune health "
                                   "station or vaccination site) of the site's commune or of the province.")]
    return found


def _site_snapshot(site: Site) -> dict:
    return {"name": site.name, "kind": site.kind, "commune": site.commune.name if site.commune_id else None,
            "village": site.village, "organization": site.organization.name if site.organization_id else None,
            "is_active": site.is_active}


def create_site(*, actor: User, name: str, kind: str, commune: Place, organization: Organization,
                village: str = "", is_active: bool = True) -> Site:
    if not can(actor, Cap.VACCINATION_PLAN):
        raise PermissionDenied
    data = {"name": name, "kind": kind, "commune": commune, "village": village, "organization": organization,
            "is_active": is_active}
    if problems := _site_problems(actor, data):
        raise ValidationError(problems)
    with transaction.atomic():
        site = Site.objects.create(**{**data, "name": name.strip(), "village": (village or "").strip()})
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=site, place=commune,
                     changes=audit.diff({}, _site_snapshot(site)))
    return site


def update_site(*, actor: User, site: Site, **data) -> Site:
    with transaction.atomic():
        site = get_for_user(actor, Site.objects.select_for_update(), site.pk, write=True)
        before = _site_snapshot(site)
        merged = {f: data.get(f, getattr(site, f)) for f in SITE_FIELDS}
        problems = _site_problems(actor, merged)
        # Doses of a session draw from the stock of the unit running its site at the moment they are recorded,
        # and closing it discards the open vials from that stock: handing the site over mid-session would split
        # one session's vials between two fridges. Sessions are created under this site's row lock, so none
        # can appear between this check and the save.
        new_organization = merged["organization"]
        if (new_organization is not None and new_organization.pk != site.organization_id
                and site.sessions.exclude(status=Session.Status.CLOSED).exists()):
            problems.setdefault("organization", []).append(_(
                "This site has sessions that are not closed: close them before another unit runs the site."))
        if problems:
            raise ValidationError(problems)
        for field, value in merged.items():
            setattr(site, field, value.strip() if field in ("name", "village") else value)
        site.save()
        if changes := audit.diff(before, _site_snapshot(site)):
            audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=site, place=site.commune,
                         changes=changes)
    return site


# ---- sessions ------------------------------------------------------------------------------------------

def session_campaigns(user: User, site: Site) -> QuerySet[Campaign]:
    """Campaigns a session at this site may belong to: readable ones whose area holds the site's commune."""
    return campaigns_for(user).filter(
        Q(area=site.commune_id) | Q(area__path__in=_prefixes(site.commune.path))).order_by("-starts_on", "name")


def _prefixes(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]


def create_session(*, actor: User, site: Site, date: date, campaign: Campaign | None = None,
                   team: str = "") -> Session:
    """Plan a day of vaccination at a site. No cap on people: the invitation list is everyone due."""
    with transaction.atomic():
        site = get_for_user(actor, Site.objects.select_for_update(), site.pk, write=True)
        problems: dict[str, list[str]] = {}
        if not site.is_active:
            problems[""] = [_("This site is not active: make it active before planning a session.")]
        if date is None:
            problems["date"] = [_("Give the date of the session.")]
        elif date < timezone.localdate():
            problems["date"] = [_("A session cannot be planned in the past.")]
        if campaign is not None:
            if not session_campaigns(actor, site).filter(pk=campaign.pk).exists():
                problems["campaign"] = [_("This campaign does not cover the site's commune.")]
            elif date is not None and (date < campaign.starts_on or (campaign.ends_on and date > campaign.ends_on)):
                problems["date"] = [_("The campaign runs from %(start)s to %(end)s.") % {
                    "start": campaign.starts_on.strftime("%d/%m/%Y"),
                    "end": campaign.ends_on.strftime("%d/%m/%Y") if campaign.ends_on else "…"}]
        if problems:
            raise ValidationError({k or "__all__": v for k, v in problems.items()})
        session = Session.objects.create(site=site, date=date, campaign=campaign, team=(team or "").strip()[:255],
                                         created_by=actor)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=session, place=site.commune,
                     changes={"site": [None, site.name], "date": [None, date.strftime("%d/%m/%Y")],
                              "campaign": [None, campaign.name if campaign else None]})
    return session
