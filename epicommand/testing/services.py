"""Recording samples and tests, entering results, pooled samples and their follow-ups. Each function is one
transaction with its audit events; the positivity table is kept current inside it (positivity.Moves) and the
result listeners (links.new_positives) are called inside it with the tests that have just become positive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.policies import PolicyMissing, policy
from epicommand.core.repeats import saved_moments_ago
from epicommand.core.roles import Cap
from epicommand.people.models import Person

from . import links, positivity
from .models import Kind, Payer, Pool, Reason, Result, Test

ENTERED = (Result.POSITIVE, Result.NEGATIVE, Result.INVALID)
# A second "Save" of the same new test within this time is a double submit, not a second sample.
DOUBLE_SUBMIT = timedelta(minutes=5)


class AlreadyRecorded(Exception):
    """The same test was recorded a moment ago (Save pressed twice): nothing more was saved."""

    def __init__(self, test: Test):
        super().__init__(_("This test was already recorded (Save pressed twice?): nothing more was saved."))
        self.test = test


def fee_for(kind: str, on: date) -> int:
    """The fee of a test of this kind under testing.fees in force on the day sampled (0 without a policy)."""
    try:
        fees = policy("testing.fees", on) or {}
    except PolicyMissing:
        return 0
    return int(fees.get(kind, 0) or 0)


def pool_max_size(on: date) -> int:
    try:
        return int(policy("testing.pool_max_size", on))
    except PolicyMissing:
        return 10


def _require(actor: User | None) -> None:
    if actor is not None and not can(actor, Cap.TESTING_RECORD):
        raise PermissionDenied


def _check_result(result: str, resulted_on: date | None, sampled_on: date, ct_value: Decimal | None) -> None:
    errors: dict[str, str] = {}
    if result not in ENTERED:
        errors["result"] = _("Choose the result: positive, negative or invalid.")
    if resulted_on is None:
        errors["resulted_on"] = _("Give the date of the result.")
    elif resulted_on < sampled_on:
        errors["resulted_on"] = _("The result cannot come before the sample was taken (%(date)s).") % {
            "date": sampled_on.strftime("%d/%m/%Y")}
    elif resulted_on > timezone.localdate():
        errors["resulted_on"] = _("The date %(date)s is in the future.") % {"date": resulted_on.strftime("%d/%m/%Y")}
    if ct_value is not None and not (Decimal("0") < ct_value < Decimal("60")):
        errors["ct_value"] = _("A Ct value lies between 0 and 60.")
    if errors:
        raise ValidationError(errors)


def _snapshot(test: Test) -> dict:
    return {"result": test.result, "resulted_on": test.resulted_on, "ct_value": test.ct_value}


# ---- recording a sample ------------------------------------------------------------------------------------

def record_test(*, actor: User | None, person: Person, kind: str, sampled_on: date, reason: str = Reason.OTHER,
                sampled_at: Organization | None = None, lab: Organization | None = None, lab_code: str = "",
                payer: str = Payer.STATE, fee: int | None = None, self_reported: bool = False,
                result: str = Result.PENDING, resulted_on: date | None = None, ct_value: Decimal | None = None,
                follows: Test | None = None) -> Test:
    """Record a sample (and its result when known at once: a rapid test, a citizen's self-test). The fee is the
    one of testing.fees in force on the day sampled unless given. A self-test is always marked as reported by
    the citizen. Raises ValidationError (bad input) or AlreadyRecorded (a double submit)."""
    _require(actor)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose the kind of test.")})
    if kind == Kind.POOLED_PCR:
        raise ValidationError({"kind": _("Pooled samples are recorded as a pool, with their members.")})
    if reason not in Reason.values:
        raise ValidationError({"reason": _("Choose the reason for the test.")})
    if payer not in Payer.values:
        raise ValidationError({"payer": _("Choose who pays.")})
    if sampled_on > timezone.localdate():
        raise ValidationError({"sampled_on": _("The date %(date)s is in the future.")
                               % {"date": sampled_on.strftime("%d/%m/%Y")}})
    if kind == Kind.SELF_TEST:
        # The citizen's own kit, whoever types it in: reported by them, bought by them, no fee.
        self_reported, payer, fee = True, Payer.SELF, 0
    if result != Result.PENDING:
        _check_result(result, resulted_on, sampled_on, ct_value)
    if kind != Kind.PCR or result == Result.PENDING:
        ct_value = None  # only an RT-PCR run gives a cycle threshold
    lab_code = (lab_code or "").strip()[:40]
    if lab_code and lab is None:
        raise ValidationError({"lab": _("A laboratory sample code needs its laboratory.")})
    fee = fee_for(kind, sampled_on) if fee is None else fee
    if fee < 0:
        raise ValidationError({"fee": _("The fee cannot be negative.")})
    with transaction.atomic():
        # Lock the person: two saves of the same sample at once (a double tap, two phones) queue here, and the
        # second finds the first instead of recording the sample twice.
        same = saved_moments_ago(
            Person.objects.filter(pk=person.pk),
            Test.objects.filter(person=person, kind=kind, sampled_on=sampled_on, sampled_at=sampled_at, lab=lab,
                                lab_code=lab_code, recorded_by=actor, pool__isnull=True, follows__isnull=True),
            "created_at", within=DOUBLE_SUBMIT).first()
        if same is not None and actor is not None:
            raise AlreadyRecorded(same)
        if lab_code and Test.objects.filter(lab=lab, lab_code=lab_code).exists():
            raise ValidationError({"lab_code": _("This laboratory already has a sample with code %(code)s.")
                                   % {"code": lab_code}})
        try:
            with transaction.atomic():  # the laboratory's code may be taken by another save meanwhile
                test = Test.objects.create(
                    person=person, kind=kind, reason=reason, sampled_on=sampled_on, commune_id=person.commune_id,
                    sampled_at=sampled_at, lab=lab, lab_code=lab_code, payer=payer, fee=fee,
                    self_reported=self_reported, result=result,
                    resulted_on=resulted_on if result != Result.PENDING else None, ct_value=ct_value,
                    follows=follows, recorded_by=actor)
        except IntegrityError:
            raise ValidationError({"lab_code": _("This laboratory already has a sample with code %(code)s.")
                                   % {"code": lab_code}}) from None
        positivity.moved(None, positivity.fact_of(test))
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=test, place=person.commune,
                     changes={"kind": [None, kind], "reason": [None, reason], "result": [None, result],
                              "fee": [None, fee], "payer": [None, payer]})
        if result == Result.POSITIVE:
            links.new_positives(actor=actor, tests=[test])
    return test


def record_self_test(*, actor: User | None, person: Person, sampled_on: date, result: str,
                     reason: str = Reason.SYMPTOMS) -> Test:
    """A citizen's own rapid test, as they report it: shown as such, never a laboratory result."""
    return record_test(actor=actor, person=person, kind=Kind.SELF_TEST, sampled_on=sampled_on, reason=reason,
                       payer=Payer.SELF, fee=0, self_reported=True, result=result, resulted_on=sampled_on)


# ---- results -----------------------------------------------------------------------------------------------

def enter_result(*, actor: User | None, test: Test, result: str, resulted_on: date | None,
                 ct_value: Decimal | None = None) -> bool:
    """Enter (or correct) a test's result. Returns False when nothing changed (the same result submitted
    twice). A pool member's result comes from its pool; a positive result is final, since a case may have been
    opened from it."""
    _require(actor)
    with transaction.atomic():
        # Lock the row: two people entering the same result at once must not both count it.
        test = Test.objects.select_for_update(of=("self",)).select_related("commune", "pool").get(pk=test.pk)
        if test.pool_id is not None:
            raise ValidationError(_("This sample was tested in pool %(code)s: enter the pool's result.")
                                  % {"code": test.pool.code})
        _check_result(result, resulted_on, test.sampled_on, ct_value)
        if test.kind not in (Kind.PCR, Kind.POOLED_PCR):
            ct_value = None  # only a PCR run gives a cycle threshold
        if (test.result, test.resulted_on, test.ct_value) == (result, resulted_on, ct_value):
            return False
        if test.result == Result.POSITIVE:  # its date and Ct too: the case was judged on them
            raise ValidationError(_("A positive result cannot be changed here: a case may have been opened from "
                                    "it. Ask the provincial officers to correct it."))
        before, was = _snapshot(test), test.result
        old_fact = positivity.fact_of(test)
        test.result, test.resulted_on, test.ct_value = result, resulted_on, ct_value
        test.save(update_fields=["result", "resulted_on", "ct_value", "updated_at"])
        positivity.moved(old_fact, positivity.fact_of(test))
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=test, place=test.commune,
                     changes=audit.diff(before, _snapshot(test)))
        if result == Result.POSITIVE and was != Result.POSITIVE:
            links.new_positives(actor=actor, tests=[test])
    return True


# ---- pools -------------------------------------------------------------------------------------------------

def create_pool(*, actor: User | None, code: str, sampled_on: date, commune: Place, members: Sequence[Person],
                sampled_at: Organization | None = None, lab: Organization | None = None,
                reason: str = Reason.SCREENING, payer: str = Payer.STATE) -> Pool:
    """A pooled sample of several people: one pooled test per member, at most testing.pool_max_size."""
    _require(actor)
    code = (code or "").strip()[:40]
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = _("Give the pool's code.")
    people = list({p.pk: p for p in members}.values())
    limit = pool_max_size(sampled_on)
    if len(people) < 2:
        errors["members"] = _("A pool holds at least two people.")
    elif len(people) > limit:
        errors["members"] = _("A pool holds at most %(limit)s people (policy in force on %(date)s); this one has "
                              "%(count)s.") % {"limit": limit, "date": sampled_on.strftime("%d/%m/%Y"),
                                               "count": len(people)}
    if sampled_on > timezone.localdate():
        errors["sampled_on"] = _("The date %(date)s is in the future.") % {"date": sampled_on.strftime("%d/%m/%Y")}
    if reason not in Reason.values:
        errors["reason"] = _("Choose the reason for the test.")
    if errors:
        raise ValidationError(errors)
    fee = fee_for(Kind.POOLED_PCR, sampled_on)
    try:
        with transaction.atomic():
            pool = Pool.objects.create(code=code, sampled_on=sampled_on, commune=commune, sampled_at=sampled_at,
                                       lab=lab, created_by=actor)
            Test.objects.bulk_create([
                Test(person=p, kind=Kind.POOLED_PCR, reason=reason, sampled_on=sampled_on, commune_id=p.commune_id,
                     sampled_at=sampled_at, lab=lab, payer=payer, fee=fee, pool=pool, recorded_by=actor)
                for p in people])
            audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=pool, place=commune,
                         changes={"members": [None, len(people)], "code": [None, code]})
    except IntegrityError:
        raise ValidationError({"code": _("Pool %(code)s already exists in this commune.") % {"code": code}}) from None
    return pool


def enter_pool_result(*, actor: User | None, pool: Pool, result: str, resulted_on: date | None) -> list[Test]:
    """Enter a pool's result. Negative: every member is negative. Positive: every member is "pool positive"
    and gets ONE individual RT-PCR follow-up test (idempotent: entering it again opens none). Returns the
    follow-up tests opened by this call. A pool's result, once entered, is not changed here."""
    _require(actor)
    with transaction.atomic():
        pool = Pool.objects.select_for_update(of=("self",)).select_related("commune").get(pk=pool.pk)
        _check_result(result, resulted_on, pool.sampled_on, None)
        # An invalid run may be run again; a negative or positive pool is final, its date included. The same
        # result entered again (a second officer, a double tap) goes on, so that it opens no follow-up twice.
        final = pool.result in (Result.NEGATIVE, Result.POSITIVE)
        if final and (pool.result, pool.resulted_on) != (result, resulted_on):
            raise ValidationError(_("This pool's result was already entered (%(result)s, %(date)s).")
                                  % {"result": pool.get_result_display(),
                                     "date": pool.resulted_on.strftime("%d/%m/%Y")})
        member_result = Result.POOL_POSITIVE if result == Result.POSITIVE else result
        changed = pool.result != result or pool.resulted_on != resulted_on
        if changed:
            before = {"result": pool.result, "resulted_on": pool.resulted_on}
            pool.result, pool.resulted_on = result, resulted_on
            pool.save(update_fields=["result", "resulted_on"])
            audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=pool, place=pool.commune,
                         changes=audit.diff(before, {"result": result, "resulted_on": resulted_on}))
        members = list(Test.objects.select_for_update(of=("self",)).filter(pool=pool).select_related("person")
                       .order_by("id"))
        moves = positivity.Moves()
        for member in members:
            if (member.result, member.resulted_on) == (member_result, resulted_on):
                continue
            old_fact = positivity.fact_of(member)
            member.result, member.resulted_on = member_result, resulted_on
            moves.move(old_fact, positivity.fact_of(member))
            member.save(update_fields=["result", "resulted_on", "updated_at"])
        moves.write()
        opened: list[Test] = []
        if result == Result.POSITIVE:
            opened = _open_follow_ups(actor, pool, members, resulted_on)
    return opened


def _open_follow_ups(actor: User | None, pool: Pool, members: list[Test], on: date) -> list[Test]:
    """One individual RT-PCR test per member of a positive pool that has none yet (the database allows one)."""
    have = set(Test.objects.filter(follows__in=[m.pk for m in members]).values_list("follows_id", flat=True))
    fee = fee_for(Kind.PCR, on)
    opened = [Test(person=m.person, kind=Kind.PCR, reason=Reason.FOLLOW_UP, sampled_on=on,
                   commune_id=m.person.commune_id, sampled_at=pool.sampled_at, lab=pool.lab, payer=m.payer, fee=fee,
                   follows=m, recorded_by=actor) for m in members if m.pk not in have]
    if opened:
        Test.objects.bulk_create(opened)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, object_type="testing.Test",
                     object_repr=_("%(count)s follow-up tests of pool %(code)s") % {"count": len(opened),
                                                                                   "code": pool.code},
                     place=pool.commune, changes={"pool": [None, pool.pk], "follow_ups": [None, len(opened)]})
    return opened
