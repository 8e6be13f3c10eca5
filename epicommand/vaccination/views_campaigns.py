"""Screens for campaigns, sites, sessions and a session's invitation list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import can, get_for_user, require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.spreadsheets import download

from . import campaign_services as cs
from . import invitations as inv
from .forms_campaigns import CampaignForm, SessionForm, SiteForm
from .models import Dose, Session, SessionLot, Site
from .services import DoseRefused, close_session

PAGE = 50


def _sessions(user, qs):
    """Sessions the user sees, with the doses they see recorded at each."""
    return (visible_to(user, qs).select_related("site", "campaign")
            .annotate(dose_count=Count("doses", filter=Q(doses__undone_at__isnull=True), distinct=True)))


# ---- campaigns -----------------------------------------------------------------------------------------

def campaign_list(request):
    require(request.user, Cap.VACCINATION_VIEW)
    campaigns = cs.campaigns_for(request.user).prefetch_related("products").order_by("-starts_on", "name")
    page = Paginator(campaigns, PAGE).get_page(request.GET.get("page"))
    page.querystring = ""
    visible = visible_to(request.user, Session.objects.filter(campaign__in=[c.pk for c in page]))
    counts = {row["campaign"]: row["n"] for row in visible.values("campaign").annotate(n=Count("id"))}
    for campaign in page:
        campaign.session_count = counts.get(campaign.pk, 0)
        campaign.age_labels = [cs.age_label(g) for g in campaign.age_groups]
    return render(request, "vaccination/campaigns/list.html", {
        "page": page, "can_plan": can(request.user, Cap.VACCINATION_PLAN) and cs.campaign_areas(request.user).exists()})


def campaign_new(request):
    require(request.user, Cap.VACCINATION_PLAN)
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = cs.create_campaign(actor=request.user, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign %(name)s created.") % {"name": campaign.name})
            return redirect("vaccination:campaign", pk=campaign.pk)
    return render(request, "vaccination/campaigns/campaign_form.html", {"form": form, "title": _("New campaign")})


def campaign_detail(request, pk: int):
    campaign = cs.get_campaign_for_user(request.user, pk)
    sessions = list(_sessions(request.user, Session.objects.filter(campaign=campaign)).order_by("-date",
                                                                                                  "site__name"))
    totals = {"sessions": len(sessions), "doses": sum(s.dose_count for s in sessions),
              "closed": sum(1 for s in sessions if s.status == Session.Status.CLOSED),
              "sites": len({s.site_id for s in sessions})}
    return render(request, "vaccination/campaigns/campaign_detail.html", {
        "campaign": campaign, "sessions": sessions, "totals": totals,
        "age_labels": [cs.age_label(g) for g in campaign.age_groups],
        "priority_labels": [cs.priority_label(g) for g in campaign.priority_groups],
        "products": campaign.products.all(), "can_edit": cs.may_edit_campaign(request.user, campaign)})


def campaign_edit(request, pk: int):
    campaign = cs.get_campaign_for_user(request.user, pk, write=True)
    form = CampaignForm(request.POST or None, user=request.user, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            cs.update_campaign(actor=request.user, campaign=campaign, **form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("vaccination:campaign", pk=campaign.pk)
    return render(request, "vaccination/campaigns/campaign_form.html", {
        "form": form, "title": campaign.name, "campaign": campaign})


# ---- sites ---------------------------------------------------------------------------------------------

def site_list(request):
    require(request.user, Cap.VACCINATION_VIEW)
    sites = (visible_to(request.user, Site.objects.select_related("commune", "organization"))
             .annotate(session_count=Count("sessions")).order_by("-is_active", "commune__name", "name"))
    page = Paginator(sites, PAGE).get_page(request.GET.get("page"))
    page.querystring = ""
    return render(request, "vaccination/campaigns/site_list.html", {
        "page": page, "can_plan": can(request.user, Cap.VACCINATION_PLAN)})


def site_new(request):
    require(request.user, Cap.VACCINATION_PLAN)
    form = SiteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            site = cs.create_site(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Site %(name)s created.") % {"name": site.name})
            return redirect("vaccination:site", pk=site.pk)
    return render(request, "vaccination/campaigns/site_form.html", {"form": form, "title": _("New site")})


def site_detail(request, pk: int):
    """The site, its sessions, and (for planners) its edit form: a POST saves the changes."""
    site = get_for_user(request.user, Site.objects.select_related("commune", "organization"), pk,
                        write=request.method == "POST")
    # Seeing the site (its unit runs it) is not the right to read vaccination work: a facility running a
    # site without vaccination rights is refused, after another area's site has already answered 404.
    require(request.user, Cap.VACCINATION_VIEW)
    may_edit = can(request.user, Cap.VACCINATION_PLAN)
    form = SiteForm(request.POST or None, user=request.user, site=site) if may_edit else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            cs.update_site(actor=request.user, site=site, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("vaccination:site", pk=site.pk)
    sessions = _sessions(request.user, Session.objects.filter(site=site)).order_by("-date")
    page = Paginator(sessions, PAGE).get_page(request.GET.get("page"))
    page.querystring = ""
    return render(request, "vaccination/campaigns/site_detail.html", {
        "site": site, "form": form, "page": page, "can_plan": may_edit,
        "editing": request.method == "POST"})


def session_new(request, pk: int):
    site = get_for_user(request.user, Site.objects.select_related("commune"), pk, write=True)
    form = SessionForm(request.POST or None, user=request.user, site=site)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = cs.create_session(actor=request.user, site=site, date=d["date"], campaign=d.get("campaign"),
                                        team=d.get("team", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Session planned."))
            return redirect("vaccination:session", pk=session.pk)
    return render(request, "vaccination/campaigns/session_form.html", {"form": form, "site": site})


# ---- sessions ------------------------------------------------------------------------------------------

def _session(request, pk: int) -> Session:
    """The session (404 outside the user's reach), then 403 without vaccination rights: the unit running a
    site sees its sessions, but only vaccination staff read who was vaccinated or invited there."""
    session = get_for_user(request.user, Session.objects.select_related("site__commune", "site__organization",
                                                                         "campaign"), pk)
    require(request.user, Cap.VACCINATION_VIEW)
    return session


def session_detail(request, pk: int):
    session = _session(request, pk)
    doses = (visible_to(request.user, Dose.objects.filter(session=session))
             .select_related("person", "product", "lot").order_by("-recorded_at"))
    lots = SessionLot.objects.filter(session=session).select_related("lot__product").order_by("lot__number")
    counts = lots.aggregate(vials=Sum("vials_opened"), given=Sum("doses_given"), discarded=Sum("discarded"))
    page = Paginator(doses, PAGE).get_page(request.GET.get("page"))
    page.querystring = ""
    may_close = (session.status != Session.Status.CLOSED
                 and (can(request.user, Cap.VACCINATION_PLAN) or can(request.user, Cap.DOSES_RECORD)))
    return render(request, "vaccination/campaigns/session_detail.html", {
        "session": session, "page": page, "lots": lots, "counts": counts, "may_close": may_close,
        "campaign_visible": session.campaign_id and cs.campaigns_for(request.user).filter(
            pk=session.campaign_id).exists()})


@require_POST
def session_close_view(request, pk: int):
    # Read access is enough to reach the session: the service lets planners and vaccinators close it
    # (a site's vaccinator closes the day), and refuses everyone else with 403.
    session = _session(request, pk)
    try:
        movements = close_session(actor=request.user, session=session)
    except DoseRefused as exc:
        messages.error(request, str(exc))
    else:
        wasted = -sum(m.doses for m in movements)
        messages.success(request, _("Session closed; %(n)s doses left in opened vials were discarded.")
                         % {"n": wasted})
    return redirect("vaccination:session", pk=session.pk)


# ---- invitation list -----------------------------------------------------------------------------------

def invitation_list(request, pk: int):
    session = _session(request, pk)
    everyone = inv.invitees(request.user, session)
    printing = request.GET.get("all") == "1"
    if printing:
        rows = inv.people_of(request.user, everyone)
        page = None
    else:
        page = Paginator(everyone, PAGE).get_page(request.GET.get("page"))
        page.querystring = ""
        rows = inv.people_of(request.user, list(page.object_list))
    start = page.start_index() if page else 1
    return render(request, "vaccination/campaigns/invitations.html", {
        "session": session, "page": page, "printing": printing, "total": len(everyone),
        "rows": [(start + n, invitee, person, cs.priority_label(person.priority_group)
                  if person.priority_group else "", invitee.overdue_days(session.date))
                 for n, (invitee, person) in enumerate(rows)]})


def invitation_export(request, pk: int, fmt: str):
    if fmt not in ("xlsx", "csv"):
        raise Http404
    session = _session(request, pk)
    everyone = inv.invitees(request.user, session)
    headers = [_("No."), _("Full name"), _("Date of birth"), _("Sex"), _("CCCD"), _("Phone"), _("Village"),
               _("Priority group"), _("Doses received"), _("Last dose"), _("Due since"), _("Note"), _("Signature")]

    def rows():
        number = 0
        for start in range(0, len(everyone), 2000):
            for invitee, person in inv.people_of(request.user, everyone[start:start + 2000]):
                number += 1
                status = getattr(person, "vaccination_status", None) if invitee.vaccinated else None
                yield [number, person.full_name, person.birth_label, person.get_sex_display(), person.cccd or "",
                       person.phone, person.village, cs.priority_label(person.priority_group)
                       if person.priority_group else "", status.doses if status else 0,
                       status.last_on.strftime("%d/%m/%Y") if status and status.last_on else "",
                       invitee.due.strftime("%d/%m/%Y") if invitee.due else "",
                       "" if invitee.vaccinated else _("Never vaccinated"), ""]

    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, obj=session, place=session.site.commune,
                 object_repr=_("invitation list of %(session)s (%(format)s)") % {"session": session, "format": fmt},
                 changes={"people": len(everyone)})
    return download(fmt, f"moi-tiem-{session.date:%Y%m%d}-{session.pk}", headers, rows(),
                    title=_("Invitation list"))
