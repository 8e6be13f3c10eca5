"""Recording doses at a session, on a phone at a busy site: today's sessions, finding the person, the dose
form (screening, vaccine, lot, eligibility, override) saved in one POST, the dose page with undo and AEFI.

Writes go through services.py; who may see what through the jurisdiction module (people through
`served_to`, so a vaccination site finds the people of the commune it stands in)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import (
    can,
    get_for_user,
    get_one_for_user,
    get_served_for_user,
    require,
    served_to,
    visible_to,
)
from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Cap
from epicommand.people import services as people_services
from epicommand.people.models import Person
from epicommand.people.search import search

from . import services, stock
from .eligibility import Verdict
from .forms_doses import SYMPTOMS, AefiForm, DoseForm, QuickPersonForm, answer_field
from .models import Aefi, Dose, Lot, Product, Screening, Session, Stock
from .screening import CHECKLIST, FEVER_FROM, suggested_outcome

SEARCH_LIMIT = 20


def _in_stock(holders: list[Organization], on) -> dict[int, list[tuple[Product, list[tuple[Lot, int]]]]]:
    """Holder id → the vaccines it can give on `on` (by name), each with its usable lots, earliest expiry first:
    the same lots as services.lots_available, read for every holder in one query."""
    found: dict[int, dict[Product, list[tuple[Lot, int]]]] = {holder.pk: {} for holder in holders}
    rows = (Stock.objects.filter(holder__in=[holder.pk for holder in holders], lot__expiry__gte=on, doses__gt=0,
                                 lot__product__is_active=True)
            .select_related("lot__product").order_by("lot__expiry", "lot__number", "id"))
    for row in rows:
        found[row.holder_id].setdefault(row.lot.product, []).append((row.lot, row.doses))
    return {holder_id: sorted(products.items(), key=lambda item: item[0].name)
            for holder_id, products in found.items()}


def _session(request, pk) -> Session:
    return get_for_user(request.user, Session.objects.select_related("site__organization", "site__commune",
                                                                     "campaign"), pk)


def _recording_problem(session: Session, today) -> str:
    """Why doses cannot be recorded in this session now ("" when they can); the service says it too."""
    if session.status == Session.Status.CLOSED:
        return _("This session is closed.")
    if session.date != today:
        return (_("This session is on %(date)s: doses are recorded on the day they are given.")
                % {"date": session.date.strftime("%d/%m/%Y")})
    return ""


# ---- today's sessions and finding the person ------------------------------------------------------------

def record(request):
    """The "Vaccinate" start page: the sessions the user may record in today, with the vaccines in stock."""
    require(request.user, Cap.DOSES_RECORD)
    today = timezone.localdate()
    sessions = (visible_to(request.user, Session.objects.filter(date=today))
                .exclude(status=Session.Status.CLOSED)
                .select_related("site__organization", "site__commune", "campaign").order_by("site__name", "id"))
    sessions = list(sessions)
    in_stock = _in_stock(list({s.site.organization_id: s.site.organization for s in sessions}.values()), today)
    rows = [(session, in_stock[session.site.organization_id]) for session in sessions]
    return render(request, "vaccination/doses/record.html", {"rows": rows, "today": today})


def session_record(request, pk: int):
    """A session's recording screen: search the person (HTMX partial), or register them on the spot."""
    session = _session(request, pk)
    require(request.user, Cap.DOSES_RECORD)
    today = timezone.localdate()
    query = request.GET.get("q", "").strip()[:100]
    people, counts = [], {}
    if query:
        found = served_to(request.user, Person.objects.filter(merged_into__isnull=True))
        people = list(search(found, query).select_related("commune")[:SEARCH_LIMIT])
        counts = dict(Dose.objects.filter(person__in=[p.pk for p in people]).values_list("person")
                      .annotate(n=Count("id")).values_list("person", "n"))
    for person in people:
        person.live_doses = counts.get(person.pk, 0)
    context = {"session": session, "query": query, "people": people, "limit": SEARCH_LIMIT,
               "problem": _recording_problem(session, today)}
    if request.headers.get("HX-Request"):
        return render(request, "vaccination/doses/_search_results.html", context)
    recent = (visible_to(request.user, Dose.objects.filter(session=session))
              .select_related("person", "product").order_by("-recorded_at", "-id")[:10])
    return render(request, "vaccination/doses/session_record.html", {
        **context, "recent": recent, "can_register": can(request.user, Cap.PEOPLE_MANAGE)})


def session_person_new(request, pk: int):
    """Register someone who is not in the register yet, in the session's commune, then go on to the dose."""
    session = _session(request, pk)
    require(request.user, Cap.PEOPLE_MANAGE)
    commune = session.site.commune
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None:
        data["commune"] = str(commune.pk)  # the session's commune, whatever was posted
    form = QuickPersonForm(data, user=request.user, initial={"commune": commune.pk})
    form.fields["commune"].disabled = True
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data.get(f) for f in people_services.FIELDS if f in form.cleaned_data}
        values["commune"] = commune
        try:
            person = people_services.create_person(actor=request.user, **values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was added to the register.") % {"name": person.full_name})
            return redirect("vaccination:dose_new", session_pk=session.pk, person_pk=person.pk)
    return render(request, "vaccination/doses/person_new.html", {"session": session, "form": form})


# ---- the dose form --------------------------------------------------------------------------------------

def dose_new(request, session_pk: int, person_pk: int):
    """Screening, vaccine, lot and eligibility for one person; one POST saves it all."""
    posting = request.method == "POST"
    if posting:
        # Saving (the benchmarked request): each row read by one statement built once, the user's rules checked
        # on it; a page to show reads them through the ORM.
        session = get_one_for_user(request.user, Session, session_pk, related=("site", "site__organization"))
        person = get_one_for_user(request.user, Person, person_pk, related=("commune",), served=True,
                                  where=lambda found: found.merged_into_id is None)
    else:
        session = _session(request, session_pk)
        person = get_served_for_user(request.user, Person.objects.filter(merged_into__isnull=True)
                                     .select_related("commune"), person_pk)
    require(request.user, Cap.DOSES_RECORD)
    today = timezone.localdate()
    if not posting:
        return _dose_page(request, session, person, today, DoseForm(initial={"outcome": Screening.Outcome.PROCEED}))
    form = DoseForm(request.POST)
    if not form.is_valid():
        return _dose_page(request, session, person, today, form)
    data = form.cleaned_data
    product = lot = None
    if data["product"]:
        # Kept lean (this POST is benchmarked): one query reads the vaccine with its lots in stock at the site;
        # the vaccine alone is read only when the site holds none of it.
        available = services.lots_in_stock(session.site.organization, data["product"], today, lot_id=data["lot"])
        product = (available[0][0].product if available
                   else Product.objects.filter(key=data["product"], is_active=True).first())
        if product is None:
            form.add_error("product", _("This vaccine is not in use."))
            return _dose_page(request, session, person, today, form)
        if data["outcome"] == Screening.Outcome.PROCEED:
            if data["lot"]:
                lot = next((found for found, _n in available if found.pk == data["lot"]), None)
                if lot is None:
                    form.add_error("lot", _("This lot is not in stock at the site, or it has expired."))
                    return _dose_page(request, session, person, today, form)
            elif available:
                lot = available[0][0]  # the lot the service would draw: the earliest expiry in stock
    try:
        recorded = services.record_dose(
            actor=request.user, person=person, session=session, product=product, lot=lot, answers=form.answers(),
            temperature=data["temperature"], outcome=data["outcome"], screening_note=data["screening_note"],
            override_reason=data["override_reason"], on=today)
    except services.Ineligible as exc:
        # A second tap on Save reaches here (the first dose makes the second "too early"): say what it is.
        if done := _already_recorded(request, session, person, product, today):
            return done
        reasons = "; ".join(reason.rstrip(".") for reason in exc.verdict.reasons)
        form.add_error("override_reason", _("Not eligible: %(reasons)s. To vaccinate anyway, write the reason for "
                                            "the override.") % {"reasons": reasons})
        return _dose_page(request, session, person, today, form, refused=exc.verdict)
    except IntegrityError:
        # Two saves racing past the checks: the database's one-dose-per-person-day-vaccine rule stops the second.
        if done := _already_recorded(request, session, person, product, today):
            return done
        raise
    except (services.DoseRefused, stock.OutOfStock) as exc:
        form.add_error(None, str(exc))
        return _dose_page(request, session, person, today, form)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _dose_page(request, session, person, today, form)
    if recorded.dose is None:
        messages.info(request, _("Screening recorded for %(name)s: %(outcome)s. No dose was given.")
                      % {"name": person.full_name, "outcome": recorded.screening.get_outcome_display()})
        return redirect("vaccination:session_record", pk=session.pk)
    dose = recorded.dose
    messages.success(request, _("Dose %(number)s of %(product)s recorded for %(name)s (lot %(lot)s).") % {
        "number": dose.number, "product": product.name, "name": person.full_name, "lot": dose.lot_number})
    return redirect("vaccination:dose", pk=dose.pk)


def _already_recorded(request, session: Session, person: Person, product: Product | None, today):
    """A redirect to the dose already recorded today for this person and vaccine, or None."""
    if product is None:
        return None
    dose = Dose.objects.filter(person=person, given_on=today, product=product).only("pk").first()
    if dose is None:
        return None
    messages.warning(request, _("This dose was already recorded (Save pressed twice?): nothing more was saved."))
    if visible_to(request.user, Dose.objects.filter(pk=dose.pk)).exists():
        return redirect("vaccination:dose", pk=dose.pk)
    return redirect("vaccination:session_record", pk=session.pk)


def _dose_page(request, session: Session, person: Person, today, form: DoseForm, *, refused: Verdict | None = None):
    in_stock = _in_stock([session.site.organization], today)[session.site.organization_id]
    # The person's earlier doses are needed to screen them, whoever gave them: shown as date, vaccine and number.
    earlier = list(Dose.objects.filter(person=person).select_related("product").order_by("given_on", "id"))
    chosen = form.data.get("product") if form.is_bound else ""
    keys = [product.key for product, _lots in in_stock]
    if chosen not in keys:
        previous = earlier[-1].product.key if earlier else ""
        chosen = previous if previous in keys else (keys[0] if keys else "")
    options = []
    for product, lots in in_stock:
        verdict = refused if refused and product.key == chosen else services.judge(person, product, today)
        options.append({"product": product, "lots": lots, "verdict": verdict, "chosen": product.key == chosen})
    chosen_lot = form.data.get("lot", "") if form.is_bound else ""
    answers = {item.key: bool(form.data.get(answer_field(item.key))) for item in CHECKLIST} if form.is_bound else {}
    try:
        temperature = form.fields["temperature"].clean(form.data.get("temperature")) if form.is_bound else None
    except ValidationError:
        temperature = None
    suggestion = suggested_outcome(answers, temperature)
    outcome = form.data.get("outcome") if form.is_bound else suggestion
    checklist = [{"item": item, "field": form[answer_field(item.key)], "checked": answers.get(item.key, False)}
                 for item in CHECKLIST]
    chosen_option = next((o for o in options if o["chosen"]), None)
    return render(request, "vaccination/doses/dose_form.html", {
        "session": session, "person": person, "form": form, "earlier": earlier, "options": options,
        "chosen_lot": str(chosen_lot), "checklist": checklist, "suggestion": suggestion, "outcome": outcome,
        "outcomes": Screening.Outcome.choices, "problem": _recording_problem(session, today),
        "override_needed": bool(chosen_option and not chosen_option["verdict"].eligible),
        "outcome_labels": {value: str(label) for value, label in Screening.Outcome.choices},
        "fever_from": str(FEVER_FROM), "today": today,
    })


# ---- the dose page, undo and AEFI -----------------------------------------------------------------------

def dose_detail(request, pk: int):
    # Undone doses stay readable (marked undone): the audit trail points at them.
    dose = get_for_user(request.user, Dose.all_objects.select_related(
        "person__commune", "product", "lot", "site", "session", "vaccinator", "screening", "undone_by"), pk)
    # Seeing the dose's unit is not enough: the page shows the screening answers (health data), for the roles that
    # work with vaccination only. Checked after the lookup, so that another area's dose still answers 404.
    if not (can(request.user, Cap.VACCINATION_VIEW) or can(request.user, Cap.DOSES_RECORD)):
        raise PermissionDenied
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, obj=dose, place=dose.person.commune)
    can_record = can(request.user, Cap.DOSES_RECORD)
    screening = dose.screening
    # The questions answered "yes" are what a reader needs; the rest is said in one line.
    yes_answers = [item.question for item in CHECKLIST if screening and screening.answers.get(item.key)]
    aefis = [(aefi, [str(SYMPTOMS.get(s, s)) for s in aefi.symptoms])
             for aefi in visible_to(request.user, Aefi.objects.filter(dose=dose)).select_related("reported_by")]
    return render(request, "vaccination/doses/dose.html", {
        "dose": dose, "person": dose.person, "screening": screening, "yes_answers": yes_answers, "aefis": aefis,
        "may_undo": services.may_undo(request.user, dose), "undo_minutes": services.undo_minutes(dose.given_on),
        "can_report": can_record and dose.undone_at is None,
        # The certificate is the register's document: issued by those who see the person in the register.
        "can_certify": can_record and visible_to(request.user, Person.objects.filter(pk=dose.person_id)).exists(),
    })


@require_POST
def dose_undo(request, pk: int):
    # Undone doses too (the default manager hides them; their page shows them undone): Undo pressed twice is
    # answered on that page, not with a missing one.
    dose = get_for_user(request.user, Dose.all_objects.select_related("person__commune", "lot", "organization",
                                                                      "session"), pk, write=True)
    if dose.undone_at is None:
        try:
            services.undo_dose(actor=request.user, dose=dose)
        except services.DoseRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The dose was undone; its vaccine is back in stock."))
    else:
        messages.info(request, _("This dose was already undone: nothing more was changed."))
    return redirect("vaccination:dose", pk=dose.pk)


def aefi_new(request, pk: int):
    dose = get_for_user(request.user, Dose.objects.select_related("person__commune", "product", "site"), pk,
                        write=True)
    form = AefiForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            aefi = services.report_aefi(actor=request.user, dose=dose, symptoms=data["symptoms"], onset=data["onset"],
                                        severity=data["severity"], outcome=data["outcome"],
                                        description=data["description"].strip())
        except services.AlreadyReported as exc:
            # A second tap on Save: the first report stands (and its alert went once); show it on the dose page.
            messages.warning(request, str(exc))
            return redirect("vaccination:dose", pk=dose.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if aefi.severity == Aefi.Severity.SERIOUS:
                messages.warning(request, _("Serious adverse event reported: the provincial CDC has been alerted."))
            else:
                messages.success(request, _("Adverse event reported."))
            return redirect("vaccination:dose", pk=dose.pk)
    return render(request, "vaccination/doses/aefi_form.html", {"dose": dose, "person": dose.person, "form": form})
