"""Laboratory result lists through the one import pipeline (spec "lab_results"). Importing this module
registers the spec (testing's AppConfig.ready() imports it).

- The person is found by CCCD when it names one person the importer sees; otherwise by exact folded name +
  birth year + commune when exactly one person of the register has them. Nobody is created: a laboratory's
  list names people the commune must register first, and the row says so. A CCCD outside the importer's
  jurisdiction is answered like an unknown one.
- The laboratory is named by its code or name among the units the importer may name (labs.labs_for).
- Idempotent by (laboratory, laboratory sample code): a row whose sample exists with the same result is
  "unchanged"; a pending sample gets its result ("updated"); a new code is a new test ("created"). A positive
  result already stored is never changed by an import.
- Positivity is kept current and the result listeners are called for the tests that became positive, inside
  the batch's transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core import audit
from epicommand.core.addresses import CommuneResolver
from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.text import fold, nfc
from epicommand.imports import spec as import_spec
from epicommand.imports import values as v
from epicommand.imports.spec import Column, Context, ImportSpec, Outcome, Prepared, RowRejected
from epicommand.people.identity import clean_number
from epicommand.people.models import Person

from . import labs, links, positivity
from .models import Kind, Payer, Reason, Result, Test
from .services import fee_for

COLUMNS = (
    Column("cccd", gettext_lazy("CCCD"), ("so cccd", "cccd", "can cuoc", "so can cuoc", "cccd/cmnd", "so dinh danh",
                                          "ma dinh danh", "id number", "identity number")),
    Column("full_name", gettext_lazy("Full name"), ("ho va ten", "ho ten", "ten", "ho ten nguoi xet nghiem",
                                                    "full name", "name")),
    Column("birth", gettext_lazy("Date or year of birth"), ("ngay sinh", "nam sinh", "ngay thang nam sinh",
                                                            "birth", "date of birth", "year of birth")),
    Column("commune", gettext_lazy("Commune"), ("xa", "xa/phuong", "xa phuong", "phuong", "dia chi", "commune",
                                                "ward")),
    Column("lab", gettext_lazy("Laboratory"), ("phong xet nghiem", "don vi xet nghiem", "co so xet nghiem",
                                               "noi xet nghiem", "lab", "laboratory"), required=True),
    Column("lab_code", gettext_lazy("Laboratory sample code"),
           ("ma mau", "ma so mau", "so mau", "ma xet nghiem", "sample code", "sample id", "lab code"), required=True),
    Column("kind", gettext_lazy("Kind of test"), ("loai xet nghiem", "phuong phap", "ky thuat", "loai test",
                                                  "kind", "test type", "method")),
    Column("sampled_on", gettext_lazy("Date sampled"), ("ngay lay mau", "ngay lay", "ngay thu mau",
                                                         "date sampled", "sampling date"), required=True),
    Column("resulted_on", gettext_lazy("Date of the result"), ("ngay tra ket qua", "ngay co ket qua",
                                                                "ngay ket qua", "result date", "date of result")),
    Column("result", gettext_lazy("Result"), ("ket qua", "ket qua xet nghiem", "result"), required=True),
    Column("ct", gettext_lazy("Ct value"), ("ct", "gia tri ct", "chi so ct", "ct value")),
)

_RESULT_WORDS = {
    Result.POSITIVE: ("duong tinh", "duong", "positive", "pos", "+", "(+)", "duong tinh (+)", "dt"),
    Result.NEGATIVE: ("am tinh", "am", "negative", "neg", "-", "(-)", "am tinh (-)", "at"),
    Result.INVALID: ("khong xac dinh", "khong hop le", "loi", "invalid", "inconclusive", "kxd"),
    Result.PENDING: ("", "cho ket qua", "dang cho", "pending", "chua co"),
}
_KIND_WORDS = (
    (Kind.POOLED_PCR, ("gop", "pool")),
    (Kind.SELF_TEST, ("tu xet nghiem", "tu test", "self")),
    (Kind.ANTIGEN, ("khang nguyen", "test nhanh", "nhanh", "antigen", "rapid", "tnkn", "ag")),
    (Kind.PCR, ("pcr", "rt-pcr", "rtpcr", "realtime", "sinh hoc phan tu")),
)


def parse_result(value: Any) -> str | None:
    folded = " ".join(fold(v.text(value)).split())
    for result, words in _RESULT_WORDS.items():
        if folded in words:
            return result
    return None


def parse_kind(value: Any) -> str | None:
    folded = " ".join(fold(v.text(value)).split())
    if not folded:
        return Kind.PCR  # laboratories send RT-PCR lists unless they say otherwise
    for kind, words in _KIND_WORDS:
        if any(word == folded or word in folded.split() or (len(word) > 3 and word in folded) for word in words):
            return kind
    return None


def _day(value: Any, today: date, column: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        day, _year = v.parse_birth(value, today=today)  # the same date forms as a birth date
        if day is None:
            raise ValueError(_("Give the full date (dd/mm/yyyy)."))
    if day > today:
        raise ValueError(_("The date %(date)s is in the future.") % {"date": day.strftime("%d/%m/%Y")})
    return day


def _begin(ctx: Context) -> None:
    ctx.state["resolver"] = CommuneResolver(settings.PROVINCE_CODE)
    ctx.state["today"] = timezone.localdate()
    ctx.state["labs"] = list(labs.labs_for(ctx.actor))
    ctx.state["seen"] = {}


def _prepare(ctx: Context, row: dict[str, Any], number: int) -> Prepared:
    problems: list[tuple[str, str]] = []
    today = ctx.state["today"]
    data: dict[str, Any] = {}
    for column in ("sampled_on", "resulted_on"):
        if column == "resulted_on" and row.get(column) in (None, ""):
            data[column] = None
            continue
        try:
            data[column] = _day(row.get(column), today, column)
        except ValueError as exc:
            problems.append((column, str(exc)))
    lab_text = v.text(row.get("lab"))
    data["lab"] = labs.find_lab(ctx.state["labs"], lab_text)
    if data["lab"] is None:
        problems.append(("lab", _("Unknown laboratory: %(value)s") % {"value": lab_text or "—"}))
    data["lab_code"] = nfc(v.text(row.get("lab_code")))[:40]
    if not data["lab_code"]:
        problems.append(("lab_code", _("Give the laboratory's sample code.")))
    data["kind"] = parse_kind(row.get("kind"))
    if data["kind"] is None:
        problems.append(("kind", _("Unknown kind of test: %(value)s") % {"value": v.text(row.get("kind"))}))
    elif data["kind"] == Kind.POOLED_PCR:
        # A pool's result is no one's diagnosis: it is entered on the pool, which opens the members' follow-ups.
        problems.append(("kind", _("Pooled samples are recorded as a pool, with their members.")))
    data["result"] = parse_result(row.get("result"))
    if data["result"] is None:
        problems.append(("result", _("Unknown result: %(value)s (positive, negative, invalid or empty)")
                         % {"value": v.text(row.get("result"))}))
    elif data["result"] != Result.PENDING:
        data["resulted_on"] = data.get("resulted_on") or data.get("sampled_on")
        if data.get("resulted_on") and data.get("sampled_on") and data["resulted_on"] < data["sampled_on"]:
            problems.append(("resulted_on", _("The result cannot come before the sample was taken.")))
    data["ct"] = None
    if ct_text := v.text(row.get("ct")).replace(",", "."):
        try:
            data["ct"] = Decimal(ct_text).quantize(Decimal("0.1"))
            if not Decimal("0") < data["ct"] < Decimal("60"):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(("ct", _("Not a Ct value: %(value)s") % {"value": ct_text}))
        if data["kind"] != Kind.PCR or data["result"] == Result.PENDING:
            data["ct"] = None  # only an RT-PCR run gives a cycle threshold
    raw_cccd = row.get("cccd")
    cccd = clean_number(raw_cccd)
    if isinstance(raw_cccd, int | float) and len(cccd) == 11:
        cccd = "0" + cccd  # Excel drops the leading zero of a number typed as a number
    if cccd and (len(cccd) != 12 or not cccd.isdigit()):
        problems.append(("cccd", _("A CCCD has exactly 12 digits.")))
    data["cccd"] = cccd
    data["name_folded"] = fold(nfc(v.text(row.get("full_name"))))
    data["birth_year"] = None
    if row.get("birth") not in (None, ""):
        try:
            _birth, data["birth_year"] = v.parse_birth(row.get("birth"), today=today)
        except ValueError as exc:
            problems.append(("birth", str(exc)))
    data["commune_id"] = None
    if not cccd:
        commune_text = v.text(row.get("commune"))
        commune = ctx.state["resolver"].commune(commune_text).commune if commune_text else ctx.default_commune
        data["commune_id"] = commune.pk if commune else None
        if not (data["name_folded"] and data["birth_year"] and commune):
            problems.append(("cccd", _("Give the CCCD, or the full name, year of birth and commune.")))
    if problems:
        raise RowRejected(problems)
    key = (data["lab"].pk, data["lab_code"])
    if key in ctx.state["seen"]:
        raise RowRejected([("lab_code", _("Same sample as row %(row)s of this file.")
                            % {"row": ctx.state["seen"][key]})])
    ctx.state["seen"][key] = number
    return Prepared(row=number, key=key, data=data)


def _find_people(ctx: Context, batch: list[Prepared]) -> dict[int, Person | str]:
    """Row → the person, or the problem that stops it."""
    visible = visible_to(ctx.actor, Person.objects.filter(merged_into__isnull=True)).select_related("commune")
    cccds = {p.data["cccd"] for p in batch if p.data["cccd"]}
    by_cccd = {p.cccd: p for p in visible.filter(cccd__in=cccds)} if cccds else {}
    names = {p.data["name_folded"] for p in batch if not p.data["cccd"]}
    by_name: dict[tuple, list[Person]] = {}
    if names:
        for person in visible.filter(name_folded__in=names):
            by_name.setdefault((person.name_folded, person.birth_year, person.commune_id), []).append(person)
    found: dict[int, Person | str] = {}
    for prepared in batch:
        d = prepared.data
        if d["cccd"]:
            found[prepared.row] = by_cccd.get(d["cccd"]) or _("Nobody you can see has this CCCD: register the "
                                                              "person first.")
            continue
        candidates = by_name.get((d["name_folded"], d["birth_year"], d["commune_id"]), [])
        if len(candidates) == 1:
            found[prepared.row] = candidates[0]
        elif candidates:
            found[prepared.row] = _("%(count)s people of the register have this name, birth year and commune: give "
                                    "the CCCD.") % {"count": len(candidates)}
        else:
            found[prepared.row] = _("Nobody of the register has this name, birth year and commune: register the "
                                    "person first, or give the CCCD.")
    return found


def _write(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    with transaction.atomic():
        return _write_batch(ctx, batch)


def _write_batch(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    people = _find_people(ctx, batch)
    existing = {(t.lab_id, t.lab_code): t for t in Test.objects.select_for_update(of=("self",)).filter(
        lab_id__in={p.key[0] for p in batch}, lab_code__in={p.key[1] for p in batch})}
    run_id = ctx.import_run.pk if ctx.import_run else None
    outcomes: list[Outcome] = []
    new: list[Test] = []
    updated: list[Test] = []
    positives: list[Test] = []
    moves = positivity.Moves()
    for prepared in batch:
        d = prepared.data
        person = people[prepared.row]
        if isinstance(person, str):
            outcomes.append(Outcome(prepared.row, "rejected", [("cccd", person)]))
            continue
        test = existing.get(prepared.key)
        if test is not None:
            if test.person_id != person.pk:
                outcomes.append(Outcome(prepared.row, "rejected", [("lab_code", _(
                    "This laboratory's sample %(code)s belongs to someone else.") % {"code": d["lab_code"]})]))
                continue
            same = (test.result, test.resulted_on, test.ct_value) == (d["result"], d["resulted_on"], d["ct"])
            if same or d["result"] == Result.PENDING:
                outcomes.append(Outcome(prepared.row, "unchanged"))
                continue
            if test.result == Result.POSITIVE or test.pool_id is not None:
                outcomes.append(Outcome(prepared.row, "rejected", [("result", _(
                    "This sample already has a result that an import does not change.") if test.result ==
                    Result.POSITIVE else _("This sample was tested in a pool: enter the pool's result."))]))
                continue
            outcomes.append(Outcome(prepared.row, "updated"))
            if ctx.dry_run:
                continue
            old_fact, was = positivity.fact_of(test), test.result
            test.result, test.resulted_on, test.ct_value = d["result"], d["resulted_on"], d["ct"]
            moves.move(old_fact, positivity.fact_of(test))
            updated.append(test)
            if test.result == Result.POSITIVE and was != Result.POSITIVE:
                positives.append(test)
            continue
        outcomes.append(Outcome(prepared.row, "created"))
        if ctx.dry_run:
            continue
        pending = d["result"] == Result.PENDING
        own = d["kind"] == Kind.SELF_TEST  # the citizen's own kit: they paid for it, no laboratory fee
        test = Test(person=person, kind=d["kind"], reason=Reason.OTHER, sampled_on=d["sampled_on"],
                    commune_id=person.commune_id, lab=d["lab"], lab_code=d["lab_code"], result=d["result"],
                    resulted_on=None if pending else d["resulted_on"],
                    ct_value=d["ct"],
                    payer=Payer.SELF if own else Payer.STATE, fee=0 if own else fee_for(d["kind"], d["sampled_on"]),
                    self_reported=own, recorded_by=ctx.actor, source_import=run_id, source_row=prepared.row)
        new.append(test)
    if not ctx.dry_run and (new or updated):
        Test.objects.bulk_create(new, batch_size=1000)
        if updated:
            now = timezone.now()
            for test in updated:
                test.updated_at = now  # bulk_update does not touch auto_now fields
            Test.objects.bulk_update(updated, ["result", "resulted_on", "ct_value", "updated_at"], batch_size=1000)
        for test in new:
            moves.move(None, positivity.fact_of(test))
        moves.write()
        positives += [t for t in new if t.result == Result.POSITIVE]
        audit.record(actor=ctx.actor, action=AuditEvent.Action.CREATE, object_type="testing.Test",
                     object_repr=_("%(created)s tests and %(updated)s results from rows %(first)s–%(last)s") % {
                         "created": len(new), "updated": len(updated), "first": batch[0].row,
                         "last": batch[-1].row},
                     changes={"created": len(new), "updated": len(updated), "positives": len(positives)},
                     reason=f"import #{run_id}" if run_id else "import")
        links.new_positives(actor=ctx.actor, tests=positives)
    outcomes.sort(key=lambda o: o.row)
    return outcomes


LAB_RESULTS_SPEC = ImportSpec(
    name="lab_results",
    label=gettext_lazy("Laboratory result lists (testing)"),
    capability=Cap.TESTING_RECORD,
    columns=COLUMNS,
    begin=_begin,
    prepare=_prepare,
    write=_write,
)

import_spec.register(LAB_RESULTS_SPEC)
