"""Reconciliation with the National Population Database (Công văn 1495/BYT-CNTT), and duplicates.

Each person is classified: verified (the CCCD is in the extract and name and birth agree after
normalisation), mismatch (which fields differ), not found, malformed number, no number. For people
without a usable number, record linkage proposes extract rows with a match probability; an officer
accepts (the person takes the reference identity) or rejects each. Duplicates inside the register are
found the same way and merged by an officer; a merge moves every linked record and can be undone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can, get_for_user
from epicommand.core.models import AuditEvent, User
from epicommand.core.roles import Cap

from . import links
from .identity import is_well_formed_cccd
from .linkage import LinkRecord, dedupe, link
from .models import Decision, DuplicateCandidate, Merge, Person, Reconciliation, ReferenceCandidate, ReferenceRecord
from .vulnerability import Rules

CHUNK = 5000
Progress = Callable[[str, int, int], None]  # (phase, done, total)


def _chunks(qs, fields: list[str]) -> Iterator[list[tuple]]:
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _birth_agrees(date_a, year_a, date_b, year_b) -> bool:
    if date_a and date_b:
        return date_a == date_b
    return year_a is not None and year_a == year_b


def classify(cccd, name_folded, birth_date, birth_year, sex, reference: dict) -> tuple[str, dict]:
    """(status, detail) for one person's values against the extract (cccd → reference values)."""
    if not cccd:
        return Reconciliation.NO_NUMBER, {}
    if not is_well_formed_cccd(cccd):
        return Reconciliation.MALFORMED, {}
    ref = reference.get(cccd)
    if ref is None:
        return Reconciliation.NOT_FOUND, {}
    ref_name, ref_date, ref_year, ref_sex = ref
    fields = []
    if ref_name != name_folded:
        fields.append("name")
    if not _birth_agrees(birth_date, birth_year, ref_date, ref_year):
        fields.append("birth")
    if ref_sex and sex and ref_sex != sex:
        fields.append("sex")
    if fields:
        return Reconciliation.MISMATCH, {"fields": fields}
    return Reconciliation.VERIFIED, {}


def classify_all(*, progress: Progress | None = None) -> Counter:
    """Classify every person of the register against the loaded extract, in bulk."""
    reference = {cccd: (name, day, year, sex) for cccd, name, day, year, sex in
                 ReferenceRecord.objects.values_list("cccd", "name_folded", "birth_date", "birth_year", "sex")
                 .iterator(chunk_size=20000)}
    people = Person.objects.filter(merged_into__isnull=True)
    total, done, counts = people.count(), 0, Counter()
    for rows in _chunks(people, ["cccd", "name_folded", "birth_date", "birth_year", "sex", "reconciliation",
                                 "reconciliation_detail"]):
        changed: list[Person] = []
        for pk, cccd, name, day, year, sex, old_status, old_detail in rows:
            status, detail = classify(cccd, name, day, year, sex, reference)
            counts[status] += 1
            if (status, detail) != (old_status, old_detail):
                changed.append(Person(pk=pk, reconciliation=status, reconciliation_detail=detail))
        with transaction.atomic():
            Person.objects.bulk_update(changed, ["reconciliation", "reconciliation_detail"], batch_size=1000)
        done += len(rows)
        if progress:
            progress("classify", done, total)
    return counts


def _record(pk, name, day, year, sex, cccd, commune_code) -> LinkRecord:
    return LinkRecord(id=str(pk), full_name=name, birth_date=day, birth_year=year, sex=sex or None, cccd=cccd,
                      commune_code=commune_code)


def propose_candidates(*, threshold: float = 0.9, progress: Progress | None = None) -> int:
    """Linkage candidates for people without a usable number (no number, not found, malformed)."""
    needing = Person.objects.filter(merged_into__isnull=True, reconciliation__in=[
        Reconciliation.NO_NUMBER, Reconciliation.NOT_FOUND, Reconciliation.MALFORMED])
    fields = ["full_name", "birth_date", "birth_year", "sex", "cccd", "commune__code"]
    register = [_record(*row) for row in needing.values_list("pk", *fields).iterator(chunk_size=20000)]
    taken = set(Person.objects.filter(cccd__isnull=False).values_list("cccd", flat=True))
    reference = [_record(*row) for row in ReferenceRecord.objects.exclude(cccd__in=taken)
                 .values_list("pk", *fields).iterator(chunk_size=20000)] if register else []
    if progress:
        progress("link", 0, len(register))
    matches = link(register, reference, threshold=threshold) if register and reference else []
    with transaction.atomic():
        ReferenceCandidate.objects.filter(status=Decision.PENDING, person__in=needing).delete()
        decided = set(ReferenceCandidate.objects.exclude(status=Decision.PENDING)
                      .values_list("person_id", "reference_id"))
        ReferenceCandidate.objects.bulk_create(
            [ReferenceCandidate(person_id=int(m.left_id), reference_id=int(m.right_id), probability=m.probability)
             for m in matches if (int(m.left_id), int(m.right_id)) not in decided],
            batch_size=2000,
        )
    if progress:
        progress("link", len(register), len(register))
    return len(matches)


def find_duplicates(*, threshold: float = 0.95, progress: Progress | None = None) -> int:
    fields = ["full_name", "birth_date", "birth_year", "sex", "cccd", "commune__code"]
    records = [_record(*row) for row in Person.objects.filter(merged_into__isnull=True)
               .values_list("pk", *fields).iterator(chunk_size=20000)]
    pairs = dedupe(records, threshold=threshold)
    with transaction.atomic():
        DuplicateCandidate.objects.filter(status=Decision.PENDING).delete()
        decided = set(DuplicateCandidate.objects.exclude(status=Decision.PENDING).values_list("first_id", "second_id"))
        new = []
        for m in pairs:
            first, second = sorted((int(m.left_id), int(m.right_id)))
            if (first, second) not in decided:
                new.append(DuplicateCandidate(first_id=first, second_id=second, probability=m.probability))
        DuplicateCandidate.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    if progress:
        progress("duplicates", len(records), len(records))
    return len(pairs)


@dataclass
class Summary:
    counts: Counter
    candidates: int
    duplicates: int


def reconcile(*, threshold: float = 0.9, duplicates: bool = True, progress: Progress | None = None) -> Summary:
    counts = classify_all(progress=progress)
    candidates = propose_candidates(threshold=threshold, progress=progress)
    found = find_duplicates(progress=progress) if duplicates else 0
    return Summary(counts, candidates, found)


# ---- decisions --------------------------------------------------------------------------------

def _decide(actor: User, candidate, status: str) -> None:
    candidate.status, candidate.decided_by, candidate.decided_at = status, actor, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])


@transaction.atomic
def accept_candidate(*, actor: User, candidate: ReferenceCandidate) -> Person:
    """The person takes the reference identity: CCCD, name, birth and sex of the extract."""
    if not can(actor, Cap.PEOPLE_RECONCILE):
        raise PermissionDenied
    candidate = ReferenceCandidate.objects.select_for_update().select_related("reference").get(pk=candidate.pk)
    person = get_for_user(actor, Person.objects.select_for_update(), candidate.person_id, write=True)
    if candidate.status != Decision.PENDING:
        raise ValidationError(_("This proposal was already decided."))
    ref = candidate.reference
    if Person.objects.filter(cccd=ref.cccd).exclude(pk=person.pk).exists():
        raise ValidationError(_("Another person of the register already has this CCCD: merge them instead."))
    before = {"cccd": person.cccd, "full_name": person.full_name, "birth_date": person.birth_date,
              "birth_year": person.birth_year, "sex": person.sex, "reconciliation": person.reconciliation}
    person.cccd, person.full_name, person.name_folded = ref.cccd, ref.full_name, ref.name_folded
    if ref.birth_date or ref.birth_year != person.birth_year:
        # The extract's date wins; a year-only extract row keeps a full date the register already has.
        person.birth_date, person.birth_year = ref.birth_date, ref.birth_year or person.birth_year
    person.sex = ref.sex or person.sex
    person.vulnerable = Rules(timezone.localdate()).is_vulnerable(person)
    person.reconciliation, person.reconciliation_detail = Reconciliation.VERIFIED, {"accepted": candidate.pk}
    person.save()
    _decide(actor, candidate, Decision.ACCEPTED)
    for other in ReferenceCandidate.objects.filter(person=person, status=Decision.PENDING):
        _decide(actor, other, Decision.REJECTED)
    after = {k: getattr(person, k) for k in before}
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=person, changes=audit.diff(before, after),
                 reason=_("population database match accepted (p = %(p).2f)") % {"p": candidate.probability})
    return person


@transaction.atomic
def reject_candidate(*, actor: User, candidate: ReferenceCandidate) -> None:
    if not can(actor, Cap.PEOPLE_RECONCILE):
        raise PermissionDenied
    get_for_user(actor, Person, candidate.person_id, write=True)
    candidate = ReferenceCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != Decision.PENDING:
        raise ValidationError(_("This proposal was already decided."))
    _decide(actor, candidate, Decision.REJECTED)
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=candidate.person,
                 changes={"candidate": [candidate.reference_id, "rejected"]})


@transaction.atomic
def mark_distinct(*, actor: User, pair: DuplicateCandidate) -> None:
    """An officer says the two entries are two different people."""
    if not can(actor, Cap.PEOPLE_RECONCILE):
        raise PermissionDenied
    pair = DuplicateCandidate.objects.select_for_update().get(pk=pair.pk)
    get_for_user(actor, Person, pair.first_id, write=True)
    get_for_user(actor, Person, pair.second_id, write=True)
    if pair.status != Decision.PENDING:
        raise ValidationError(_("This proposal was already decided."))
    _decide(actor, pair, Decision.REJECTED)
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=pair.first,
                 changes={"distinct_from": [None, pair.second_id]}, reason=_("not duplicates"))


@transaction.atomic
def merge(*, actor: User, kept: Person, merged: Person, candidate: DuplicateCandidate | None = None) -> Merge:
    """Join `merged` into `kept`: every record pointing at `merged` moves to `kept`; `merged` leaves
    the lists but stays, so the merge can be undone."""
    if not can(actor, Cap.PEOPLE_RECONCILE):
        raise PermissionDenied
    kept = get_for_user(actor, Person.objects.select_for_update(), kept.pk, write=True)
    merged = get_for_user(actor, Person.objects.select_for_update(), merged.pk, write=True)
    if kept.pk == merged.pk or kept.merged_into_id or merged.merged_into_id:
        raise ValidationError(_("These two cannot be merged."))
    links.check_merge(kept, merged)
    moved = []
    for model, field in links.links():
        pks = list(model._default_manager.filter(**{field: merged}).values_list("pk", flat=True))
        if pks:
            model._default_manager.filter(pk__in=pks).update(**{field: kept})
            moved.append([model._meta.label, field, pks])
    if merged.cccd and not kept.cccd:
        # The number belongs to the one person; the kept entry takes it (undo gives it back).
        Person.objects.filter(pk=merged.pk).update(cccd=None)
        Person.objects.filter(pk=kept.pk).update(cccd=merged.cccd)
        moved.append(["cccd", merged.cccd])
    # Proposals about the merged entry are moot: the kept one carries on.
    for proposal in ReferenceCandidate.objects.filter(person=merged, status=Decision.PENDING):
        _decide(actor, proposal, Decision.REJECTED)
    record = Merge.objects.create(kept=kept, merged=merged, moved=moved, merged_by=actor)
    Person.objects.filter(pk=merged.pk).update(merged_into=kept)
    if candidate is not None:
        _decide(actor, candidate, Decision.ACCEPTED)
    links.people_changed([kept.pk, merged.pk])
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=merged,
                 changes={"merged_into": [None, kept.pk], "moved": moved}, reason=_("duplicate merged"))
    return record


@transaction.atomic
def undo_merge(*, actor: User, merge_record: Merge) -> None:
    if not can(actor, Cap.PEOPLE_RECONCILE):
        raise PermissionDenied
    record = Merge.objects.select_for_update().get(pk=merge_record.pk)
    get_for_user(actor, Person, record.kept_id, write=True)
    if record.undone_at:
        raise ValidationError(_("This merge was already undone."))
    get_for_user(actor, Person, record.merged_id, write=True)
    for entry in record.moved:
        if entry[0] == "cccd":
            Person.objects.filter(pk=record.kept_id).update(cccd=None)
            Person.objects.filter(pk=record.merged_id).update(cccd=entry[1])
            continue
        label, field, pks = entry
        apps.get_model(label)._default_manager.filter(pk__in=pks).update(**{field: record.merged_id})
    Person.objects.filter(pk=record.merged_id).update(merged_into=None)
    links.people_changed([record.kept_id, record.merged_id])
    record.undone_by, record.undone_at = actor, timezone.now()
    record.save(update_fields=["undone_by", "undone_at"])
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=record.merged,
                 changes={"merged_into": [record.kept_id, None]}, reason=_("merge undone"))


def quality_by_commune(people) -> list[dict]:
    """Counts of each reconciliation class per commune, for the data-quality page."""
    rows: dict[int, dict] = {}
    for row in people.values("commune_id", "commune__name", "reconciliation").annotate(n=Count("pk")):
        entry = rows.setdefault(row["commune_id"], {"commune": row["commune__name"], "total": 0,
                                                    **{s.value: 0 for s in Reconciliation}})
        entry[row["reconciliation"]] = row["n"]
        entry["total"] += row["n"]
    return sorted(rows.values(), key=lambda r: r["commune"])
