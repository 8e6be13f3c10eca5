"""Home-treatment screens: starting home treatment, entering vital signs, the escalation queue, a worker's
day list, alerts, release, zones and hand-overs, and patients' entry links.

Rows are found through the jurisdiction module (404 for missing and not-yours alike, then 403 for a missing
right); writes go through home_services, monitoring, zones and entry_links."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import assignable_places, can, get_for_user, require, visible_to
from epicommand.core.models import Organization, Place, User
from epicommand.core.roles import Cap, Role
from epicommand.core.text import page_number, whole_number

from . import entry_links, home_queries, home_services, monitoring, zones
from .forms_home import AlertForm, AssignForm, ObservationForm, ReleaseForm, StartForm, ZoneForm
from .models import Alert, Case, HomeCare, Observation, Zone
from .warnings import URGENCY_LABELS, describe

PAGE = 50


def _case(request, pk) -> Case:
    return get_for_user(request.user, Case.objects.select_related("person", "commune", "test", "facility"), pk)


def _home(case: Case, user: User | None = None) -> HomeCare | None:
    """The case's home care as this user may see it. A case is also visible where it was found, but its home
    care belongs to the patient's commune only: to act on it (links, release, hand-over) the user must see it
    (404 otherwise); pages that only show it get None."""
    home = HomeCare.objects.select_related("worker", "commune").filter(case=case).first()
    if home is not None and user is not None and not visible_to(user, HomeCare.objects.filter(pk=home.pk)).exists():
        raise Http404
    return home


def _shown_home(case: Case, user: User) -> HomeCare | None:
    try:
        return _home(case, user)
    except Http404:
        return None


def _case_url(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:  # the case page belongs to the cases screens; without them the entry form stands in
        return reverse("cases:observe", args=[case.pk])


def _saved(request, form, service, done: str, to: str):
    """Run a service with the form's data: its message and the redirect, or None with its errors on the form."""
    try:
        service()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    messages.success(request, done)
    return redirect(to)


# ---- starting home treatment -------------------------------------------------------------------------

def home_start(request, pk):
    case = _case(request, pk)
    require(request.user, Cap.HOME_CARE)
    form = StartForm(request.POST or None, initial={"village": case.person.village, "self_care": True})
    if request.method == "POST" and form.is_valid() and (done := _saved(request, form, lambda: (
            home_services.start_home_care(actor=request.user, case=case, **form.cleaned_data)),
            _("Home treatment started."), _case_url(case))):
        return done
    verdict = home_services.eligibility(case)
    zone = zones.zone_for(case.person.commune_id, form["village"].value() or "")
    return render(request, "cases/home_start.html", {"case": case, "form": form, "verdict": verdict, "zone": zone,
                                                     "latest": home_services.latest_observation(case),
                                                     "home": _shown_home(case, request.user)})


# ---- vital signs ---------------------------------------------------------------------------------------

def observe(request, pk):
    """GET: the entry form with the latest entries; POST: record one (facility staff at the bedside too)."""
    case = _case(request, pk)
    require(request.user, Cap.CASES_MONITOR)
    form = ObservationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = Observation.Source.FACILITY if request.user.role == Role.FACILITY else Observation.Source.WORKER
        try:
            observation = monitoring.record_observation(actor=request.user, case=case, source=source,
                                                        taken_at=form.cleaned_data["taken_at"], **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if not _same_values(observation, form.values()):
                # A double submit is harmless; a correction typed with the time of an earlier entry is not saved,
                # and the worker must not believe it was.
                form.add_error("taken_at", _("An entry at this time is already recorded with other values; it was "
                                             "kept. Enter the correction with its own time."))
                return render(request, "cases/home_observe.html", {
                    "case": case, "form": form, "home": _shown_home(case, request.user), "describe": describe,
                    "recent": list(case.observations.order_by("-taken_at", "-id")[:10])})
            if observation.warnings:
                messages.warning(request, _("Warning signs: %(signs)s. The health worker has been alerted.") % {
                    "signs": ", ".join(describe(c) for c in observation.warnings)})
            else:
                messages.success(request, _("Entry saved."))
            return redirect("cases:observe", pk=case.pk)
    recent = list(case.observations.order_by("-taken_at", "-id")[:10])
    return render(request, "cases/home_observe.html", {"case": case, "form": form, "recent": recent,
                                                       "home": _shown_home(case, request.user),
                                                       "describe": describe})


def _same_values(observation: Observation, values: dict) -> bool:
    return all(sorted(getattr(observation, k) or []) == sorted(v) if k == "symptoms" else getattr(observation, k) == v
               for k, v in values.items())


# ---- lists ---------------------------------------------------------------------------------------------

def _communes(user: User):
    return assignable_places(user).filter(level=Place.Level.COMMUNE).order_by("name")


def escalation(request):
    require(request.user, Cap.CASES_MONITOR)
    communes = list(_communes(request.user))
    commune_id = request.GET.get("commune")
    commune_id = whole_number(commune_id)
    commune_id = commune_id if any(c.pk == commune_id for c in communes) else None
    queue = home_queries.escalation_queue(request.user, commune_id=commune_id)
    number = page_number(request.GET.get("page"))
    # One row more than a page tells whether there is a next one, without counting the whole queue.
    found = home_queries.page_of(queue[(number - 1) * PAGE: number * PAGE + 1])
    return render(request, "cases/home_escalation.html", {
        "rows": _rows(found[:PAGE]), "communes": communes if len(communes) > 1 else [], "commune_id": commune_id,
        "page_number": number, "has_previous": number > 1, "has_next": len(found) > PAGE,
        "querystring": f"commune={commune_id}" if commune_id else ""})


def _rows(homes, *, urgency: bool = True) -> list[dict]:
    """What a patient row shows, read here once: a list of two hundred patients renders without a template
    lookup chain or a URL reversal per row."""
    observe, link = reverse("cases:observe", args=[0]), reverse("cases:entry_link", args=[0])
    alert = reverse("cases:alert_handle", args=[0])
    rows = []
    for home in homes:
        case, person, worker = home.case, home.case.person, home.worker
        rank = getattr(home, "rank", home.urgency) if urgency else 0
        alert_id = getattr(home, "alert_id", None)
        rows.append({
            "pk": home.pk, "name": person.full_name, "code": case.code, "phone": person.phone,
            "place": " · ".join(filter(None, [home.village, home.commune.name])),
            "worker": (worker.full_name or worker.username) if worker else "",
            "last": home.last_entry_at, "oldest": getattr(home, "oldest_alert", None),
            "label": URGENCY_LABELS.get(rank, "") if rank else "", "rank": rank,
            "observe_url": observe.replace("/0/", f"/{case.pk}/"), "link_url": link.replace("/0/", f"/{case.pk}/"),
            "alert_url": alert.replace("/0/", f"/{alert_id}/") if alert_id else ""})
    return rows


def day_list(request):
    """A worker's list for this half-day. Workers see their own patients; the commune station sees the whole
    commune or one worker's; province roles choose a worker."""
    require(request.user, Cap.CASES_MONITOR)
    user = request.user
    workers = visible_to(user, User.objects.filter(role__in=zones.WORKER_ROLES, is_active=True)).order_by("username")
    worker = None
    if user.role == Role.MOBILE_STATION and "worker" not in request.GET:
        worker = user
    elif request.GET.get("worker", "").isdigit() and len(request.GET["worker"]) < 19:  # a bigint
        worker = workers.filter(pk=int(request.GET["worker"])).first()
    lists = None
    if worker is not None or user.role in (Role.MOBILE_STATION, Role.COMMUNE_STATION):
        lists = home_queries.day_list(user, worker=worker)
        lists.alarming, lists.overdue = _rows(lists.alarming), _rows(lists.overdue, urgency=False)
        lists.due = _rows(lists.due, urgency=False)
    return render(request, "cases/home_day_list.html", {
        "lists": lists, "worker": worker, "workers": workers if user.role != Role.MOBILE_STATION else []})


# ---- alerts ----------------------------------------------------------------------------------------------

def alert_handle(request, pk):
    alert = get_for_user(request.user, Alert.objects.select_related("case__person", "home_care", "observation",
                                                                      "worker", "handled_by"), pk,
                         write=request.method == "POST")
    require(request.user, Cap.CASES_MONITOR)
    form = AlertForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (done := _saved(request, form, lambda: (
            monitoring.handle_alert(actor=request.user, alert=alert, **form.cleaned_data)),
            _("Alert updated."), request.POST["next"] if _safe_next(request) else reverse("cases:escalation"))):
        return done
    return render(request, "cases/home_alert.html", {"alert": alert, "form": form,
                                                     "reasons": [describe(c) for c in alert.reasons],
                                                     "urgency_label": URGENCY_LABELS.get(alert.urgency, "")})


def _safe_next(request) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/cases/") and "//" not in target


# ---- release ---------------------------------------------------------------------------------------------

def home_release(request, pk):
    case = _case(request, pk)
    require(request.user, Cap.CASES_MONITOR)
    home = _home(case, request.user)
    if home is None:
        messages.error(request, _("This patient is not treated at home."))
        return redirect("cases:day_list")
    form = ReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (done := _saved(request, form, lambda: (
            home_services.release_home_care(actor=request.user, case=case, **form.cleaned_data)),
            _("Released from home treatment."), reverse("cases:day_list"))):
        return done
    home.case = case
    return render(request, "cases/home_release.html", {"case": case, "home": home, "form": form,
                                                       "check": home_services.release_check(home)})


# ---- zones and hand-overs --------------------------------------------------------------------------------

def _stations(commune_ids):
    return Organization.objects.filter(kind=Organization.Kind.MOBILE_STATION, place_id__in=commune_ids,
                                       is_active=True).order_by("name")


def zones_list(request):
    require(request.user, Cap.CASES_MONITOR)
    user = request.user
    rows = visible_to(user, Zone.objects.select_related("commune", "worker", "station")).order_by(
        "commune__name", "village")
    communes = list(_communes(user))
    form = None
    if can(user, Cap.HOME_CARE) and communes:
        commune = _chosen_commune(request, communes)
        form = ZoneForm(request.POST or None, workers=zones.workers_of(commune), stations=_stations([commune.pk]))
        if request.method == "POST" and form.is_valid() and (done := _saved(request, form, lambda: (
                zones.save_zone(actor=user, commune=commune, **form.cleaned_data)),
                _("Zone saved."), reverse("cases:zones"))):
            return done
        form.commune = commune
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "cases/home_zones.html", {"zones": rows, "form": form, "communes": communes})


def _chosen_commune(request, communes: list[Place]) -> Place:
    wanted = request.POST.get("commune") or request.GET.get("commune") or ""
    found = next((c for c in communes if str(c.pk) == wanted), None)
    return found or communes[0]


def zone_edit(request, pk):
    zone = get_for_user(request.user, Zone.objects.select_related("commune", "worker", "station"), pk,
                        write=request.method == "POST")
    require(request.user, Cap.HOME_CARE)
    form = ZoneForm(request.POST or None, workers=zones.workers_of(zone.commune), stations=_stations([zone.commune_id]),
                    initial={"village": zone.village, "worker": zone.worker_id, "station": zone.station_id})
    if request.method == "POST" and form.is_valid() and (done := _saved(request, form, lambda: (
            zones.save_zone(actor=request.user, commune=zone.commune, zone=zone, **form.cleaned_data)),
            _("Zone saved."), reverse("cases:zones"))):
        return done
    patients = HomeCare.objects.filter(commune=zone.commune, status=HomeCare.Status.ACTIVE, worker=zone.worker).count()
    return render(request, "cases/home_zone_edit.html", {"zone": zone, "form": form, "patients": patients})


def home_assign(request, pk):
    case = _case(request, pk)
    require(request.user, Cap.HOME_CARE)
    home = _home(case, request.user)
    if home is None or home.status != HomeCare.Status.ACTIVE:
        messages.error(request, _("This patient is not treated at home."))
        return redirect("cases:day_list")
    form = AssignForm(request.POST or None, workers=zones.workers_of(home.commune), initial={"worker": home.worker_id})
    if request.method == "POST" and form.is_valid() and (done := _saved(request, form, lambda: (
            zones.assign_patient(actor=request.user, home_care=home, **form.cleaned_data)),
            _("Health worker changed."), reverse("cases:day_list"))):
        return done
    return render(request, "cases/home_assign.html", {"case": case, "home": home, "form": form})


# ---- patients' entry links -------------------------------------------------------------------------------

@never_cache
def entry_link(request, pk):
    """GET: what a link is; POST: make one, show it once (never cached: the page holds the secret), and send it
    by SMS when asked."""
    case = _case(request, pk)
    require(request.user, Cap.CASES_MONITOR)
    home = _home(case, request.user)
    new, url = None, ""
    if request.method == "POST":
        if home is None:
            messages.error(request, _("This patient is not treated at home."))
            return redirect("cases:day_list")
        home.case = case
        try:
            new = entry_links.create_link(actor=request.user, home_care=home)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            url = request.build_absolute_uri(reverse("cases:patient_entry", kwargs={"token": new.token}))
            if request.POST.get("send"):
                entry_links.send_link(actor=request.user, new=new, url=url,
                                      code_url=request.build_absolute_uri(reverse("cases:patient_code")))
                messages.success(request, _("The link and code were sent by SMS."))
    return render(request, "cases/home_entry_link.html", {
        "case": case, "home": home, "new": new, "url": url,
        "code_url": request.build_absolute_uri(reverse("cases:patient_code")),
        "hours": entry_links.link_hours()})

