"""Screens of reconciliation: data quality per commune, the review queue of proposed matches,
duplicates and merges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core.jurisdiction import can, get_for_user, require, visible_to
from epicommand.core.roles import Cap
from epicommand.core.services.jobs import start_job
from epicommand.core.tasks import run_job
from epicommand.core.views.common import paginate

from . import reconciliation, services
from .models import Decision, DuplicateCandidate, Merge, Person, Reconciliation, ReferenceCandidate


def quality(request):
    require(request.user, Cap.PEOPLE_VIEW)
    people = visible_to(request.user, Person.objects.filter(merged_into__isnull=True))
    rows = reconciliation.quality_by_commune(people)
    totals = {s.value: sum(r[s.value] for r in rows) for s in Reconciliation}
    totals["total"] = sum(r["total"] for r in rows)
    return render(request, "people/quality.html", {
        "rows": rows, "totals": totals, "statuses": Reconciliation.choices,
        "can_reconcile": can(request.user, Cap.PEOPLE_RECONCILE),
        "pending": visible_to(request.user, ReferenceCandidate.objects.filter(status=Decision.PENDING)).count(),
        "duplicates": visible_to(request.user, DuplicateCandidate.objects.filter(status=Decision.PENDING)).count(),
    })


@require_POST
def run_reconciliation(request):
    require(request.user, Cap.PEOPLE_RECONCILE)
    job = start_job(actor=request.user, kind="people.reconcile", title=_("Reconcile with the population database"),
                    task=run_job)
    return redirect("jobs:detail", pk=job.pk)


def review(request):
    require(request.user, Cap.PEOPLE_RECONCILE)
    qs = visible_to(request.user, ReferenceCandidate.objects.filter(status=Decision.PENDING)
                    .select_related("person__commune", "reference__commune")).order_by("person_id", "-probability")
    return render(request, "people/review.html", {"page": paginate(request, qs, 25)})


@require_POST
def decide(request, pk: int):
    # Looked up first: another area's proposal is 404 whatever the caller's role.
    candidate = get_for_user(request.user, ReferenceCandidate.objects.select_related("person"), pk)
    require(request.user, Cap.PEOPLE_RECONCILE)
    try:
        if request.POST.get("decision") == "accept":
            person = reconciliation.accept_candidate(actor=request.user, candidate=candidate)
            messages.success(request, _("%(name)s now carries the population database identity.")
                             % {"name": person.full_name})
        else:
            reconciliation.reject_candidate(actor=request.user, candidate=candidate)
            messages.info(request, _("Proposal rejected."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("people:review")


def duplicates(request):
    require(request.user, Cap.PEOPLE_RECONCILE)
    visible = visible_to(request.user, Person).values("pk")
    qs = visible_to(request.user, DuplicateCandidate.objects.filter(status=Decision.PENDING, second__in=visible)
                    .select_related("first__commune", "second__commune"))
    merges = visible_to(request.user, Merge.objects.filter(undone_at__isnull=True)
                        .select_related("kept", "merged", "merged_by"))[:20]
    return render(request, "people/duplicates.html", {"page": paginate(request, qs, 25), "merges": merges})


def merge(request, pk: int):
    pair = get_for_user(request.user, DuplicateCandidate.objects.select_related("first", "second"), pk)
    require(request.user, Cap.PEOPLE_RECONCILE)
    first = get_for_user(request.user, Person, pair.first_id)
    second = get_for_user(request.user, Person, pair.second_id)
    if request.method == "POST":
        try:
            if request.POST.get("decision") == "distinct":
                reconciliation.mark_distinct(actor=request.user, pair=pair)
                messages.info(request, _("Marked as two different people."))
            else:
                kept, merged = (first, second) if request.POST.get("keep") == str(first.pk) else (second, first)
                reconciliation.merge(actor=request.user, kept=kept, merged=merged, candidate=pair)
                messages.success(request, _("%(merged)s was merged into %(kept)s.")
                                 % {"merged": merged.full_name, "kept": kept.full_name})
                return redirect("people:detail", pk=kept.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("people:duplicates")
    for person in (first, second):
        services.record_view(actor=request.user, person=person)
    return render(request, "people/merge.html", {"pair": pair, "people": [first, second]})


@require_POST
def undo_merge(request, pk: int):
    record = get_for_user(request.user, Merge, pk)
    require(request.user, Cap.PEOPLE_RECONCILE)
    try:
        reconciliation.undo_merge(actor=request.user, merge_record=record)
        messages.success(request, _("The merge was undone."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("people:duplicates")


def job_body(job) -> dict:
    from epicommand.core.services import jobs

    def progress(phase: str, done: int, total: int) -> None:
        jobs.progress(job.pk, done=done, total=total, message=phase)

    summary = reconciliation.reconcile(progress=progress)
    return {**{str(k): v for k, v in summary.counts.items()}, "candidates": summary.candidates,
            "duplicates": summary.duplicates}
