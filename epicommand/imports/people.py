"""Importing people through the shared pipeline: the columns communes use, how a row becomes a
person, and how a batch is written (idempotently: the same file twice changes nothing).

A row is the same person as one already registered when it has the same CCCD, or, without a CCCD,
the same folded name, birth year, sex and commune."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core import audit
from epicommand.core.addresses import CommuneResolver
from epicommand.core.jurisdiction import place_is_within
from epicommand.core.models import AuditEvent, Place
from epicommand.core.roles import Cap
from epicommand.core.text import fold, nfc
from epicommand.people.ethnicities import find_ethnicity
from epicommand.people.identity import clean_number
from epicommand.people.models import Person
from epicommand.people.services import problems as person_problems
from epicommand.people.vulnerability import Rules

from . import values as v
from .bulk import insert_rows
from .spec import Column, Context, ImportSpec, Outcome, Prepared, RowRejected

COLUMNS = (
    Column(
        "full_name",
        gettext_lazy("Full name"),
        (
            "ho va ten",
            "ho ten",
            "ho va ten day du",
            "ten",
            "full name",
            "name",
            "ho ten doi tuong",
            "ho va ten nguoi dan",
        ),
        required=True,
    ),
    Column(
        "birth",
        gettext_lazy("Date or year of birth"),
        (
            "ngay sinh",
            "nam sinh",
            "ngay thang nam sinh",
            "sinh ngay",
            "ngay sinh nam sinh",
            "date of birth",
            "dob",
            "birth date",
            "year of birth",
            "ns",
        ),
        required=True,
    ),
    Column("sex", gettext_lazy("Sex"), ("gioi tinh", "gioi", "gt", "sex", "gender", "nam nu"), required=True),
    Column(
        "cccd",
        gettext_lazy("CCCD"),
        (
            "so cccd",
            "cccd",
            "so dinh danh ca nhan",
            "so dinh danh",
            "ma dinh danh",
            "can cuoc cong dan",
            "so can cuoc",
            "so can cuoc cong dan",
            "cccd cmnd",
            "so cccd cmnd",
            "id number",
            "national id",
            "personal id",
        ),
    ),
    Column("cmnd", gettext_lazy("CMND"), ("so cmnd", "cmnd", "chung minh nhan dan", "so chung minh nhan dan")),
    Column("passport", gettext_lazy("Passport"), ("ho chieu", "so ho chieu", "passport")),
    Column(
        "insurance_number",
        gettext_lazy("Health-insurance number"),
        ("so the bhyt", "bhyt", "ma the bhyt", "so bhyt", "the bhyt", "health insurance", "insurance number"),
    ),
    Column(
        "phone",
        gettext_lazy("Phone"),
        ("sdt", "so dien thoai", "dien thoai", "phone", "so dt", "dtdd", "dien thoai lien he", "phone number"),
    ),
    Column("ethnicity", gettext_lazy("Ethnicity"), ("dan toc", "ethnicity", "ethnic group")),
    Column("nationality", gettext_lazy("Nationality"), ("quoc tich", "nationality")),
    Column(
        "village",
        gettext_lazy("Village"),
        ("thon ban", "thon", "ban", "to dan pho", "thon xom", "village", "thon ban to", "thon ban tdp", "thon to"),
    ),
    Column(
        "commune",
        gettext_lazy("Commune / ward"),
        ("xa phuong", "xa", "phuong", "xa phuong thi tran", "commune", "ward", "commune ward", "xa phuong dac khu"),
    ),
    Column(
        "address",
        gettext_lazy("Address"),
        (
            "dia chi",
            "noi o hien tai",
            "address",
            "dia chi thuong tru",
            "noi thuong tru",
            "cho o hien nay",
            "noi o",
            "dia chi cu tru",
        ),
    ),
    Column("occupation", gettext_lazy("Occupation"), ("nghe nghiep", "occupation", "cong viec")),
    Column("priority_group", gettext_lazy("Priority group"), ("nhom uu tien", "doi tuong uu tien", "priority group")),
    Column("pregnant", gettext_lazy("Pregnant"), ("mang thai", "co thai", "pregnant", "dang mang thai")),
)

# Columns written for a new person, in this order (bulk insert).
INSERT_FIELDS = [
    "full_name",
    "name_folded",
    "birth_date",
    "birth_year",
    "sex",
    "cccd",
    "cmnd",
    "passport",
    "insurance_number",
    "ethnicity",
    "nationality",
    "commune",
    "village",
    "address",
    "phone",
    "occupation",
    "priority_group",
    "chronic_conditions",
    "pregnant",
    "disability",
    "vulnerable",
    "reconciliation",
    "reconciliation_detail",
    "created_at",
    "updated_at",
    "created_by",
    "source_import",
    "source_row",
]
# Fields an import may change on an existing person (only those the file gives a value for).
UPDATABLE = (
    "full_name",
    "birth_date",
    "birth_year",
    "sex",
    "cmnd",
    "passport",
    "insurance_number",
    "ethnicity",
    "nationality",
    "village",
    "address",
    "phone",
    "occupation",
    "priority_group",
    "pregnant",
)
_YES = {"x", "co", "yes", "1", "true", "mang thai", "co thai"}


def begin(ctx: Context) -> None:
    ctx.state["resolver"] = CommuneResolver(settings.PROVINCE_CODE)
    ctx.state["rules"] = Rules(timezone.localdate())
    ctx.state["today"] = timezone.localdate()
    ctx.state["seen"] = {}


def prepare(ctx: Context, row: dict[str, Any], number: int) -> Prepared:
    problems: list[tuple[str, str]] = []
    today = ctx.state["today"]
    data: dict[str, Any] = {}

    data["full_name"] = nfc(v.text(row.get("full_name")))
    try:
        data["birth_date"], data["birth_year"] = v.parse_birth(row.get("birth"), today=today)
    except ValueError as exc:
        problems.append(("birth", str(exc)))
    try:
        data["sex"] = v.parse_sex(row.get("sex"))
    except ValueError as exc:
        problems.append(("sex", str(exc)))
    raw_cccd = row.get("cccd")
    cccd = clean_number(raw_cccd)
    if isinstance(raw_cccd, int | float) and len(cccd) == 11:
        cccd = "0" + cccd  # Excel drops the leading zero of a number typed as a number
    data["cccd"] = cccd or None
    for field in ("cmnd", "passport", "insurance_number"):
        if field in row:
            data[field] = clean_number(row.get(field))
    if "phone" in row:
        try:
            data["phone"] = v.parse_phone(row.get("phone"))
        except ValueError as exc:
            problems.append(("phone", str(exc)))
    if ethnicity := v.text(row.get("ethnicity")):
        code = find_ethnicity(ethnicity)
        if code is None:
            problems.append(("ethnicity", _("Unknown ethnic group: %(value)s") % {"value": ethnicity}))
        data["ethnicity"] = code or ""
    for field in ("nationality", "occupation", "priority_group", "village", "address"):
        if field in row:
            data[field] = nfc(v.text(row.get(field)))
    if "pregnant" in row:
        data["pregnant"] = fold(v.text(row.get("pregnant"))) in _YES
    if nationality := data.get("nationality"):
        data["nationality"] = "VN" if fold(nationality) in {"viet nam", "vn", "vietnam"} else nationality[:2].upper()

    data["commune"] = _commune(ctx, row, data, problems)
    # Text longer than its column: PostgreSQL would refuse the whole batch, SQLite would keep it all.
    for field in _TEXT_FIELDS:
        if len(data.get(field) or "") > (limit := Person._meta.get_field(field).max_length):
            problems.append((field, _("Longer than %(n)s characters.") % {"n": limit}))
    person = _Values(**data)
    for field, messages in person_problems(person, today).items():
        if field == "birth_year" and any(f == "birth" for f, _m in problems):
            continue
        problems.extend((_column_of(field), m) for m in messages)
    if problems:
        raise RowRejected(problems)
    data["name_folded"] = fold(data["full_name"])
    data["vulnerable"] = ctx.state["rules"].is_vulnerable(person)
    key = ("cccd", cccd) if cccd else name_key(data["name_folded"], data.get("birth_date"), data["birth_year"],
                                                data["sex"], data["commune"].pk, data.get("village", ""))
    seen = ctx.state["seen"]
    if key in seen:
        raise RowRejected([("", _("Same person as row %(row)s of this file.") % {"row": seen[key]})])
    seen[key] = number
    return Prepared(row=number, key=key, data=data)


_TEXT_FIELDS = ("full_name", "village", "address", "occupation", "priority_group")


class _Values(SimpleNamespace):
    """A row's values seen as a person by the register's rules, without building a model instance
    per row (the rules read attributes only)."""

    full_name = ""
    birth_date = birth_year = cccd = expected_delivery = None
    sex = cmnd = passport = insurance_number = ""
    pregnant = False
    chronic_conditions: tuple = ()
    age_on = Person.age_on


def _column_of(field: str) -> str:
    return {"birth_year": "birth", "birth_date": "birth", "expected_delivery": "pregnant"}.get(field, field)


def _commune(ctx: Context, row: dict, data: dict, problems: list) -> Any:
    resolver: CommuneResolver = ctx.state["resolver"]
    found = None
    if commune_text := v.text(row.get("commune")):
        resolution = resolver.commune(commune_text)
        found = resolution.commune
        if found is None:
            message = (
                _("The commune name %(value)s fits several communes: add the district or the code.")
                if resolution.ambiguous
                else _("Unknown commune: %(value)s")
            )
            problems.append(("commune", message % {"value": commune_text}))
            return None
    elif address := data.get("address"):
        resolution = resolver.address(address)
        found = resolution.commune
        if found is None and resolution.ambiguous:
            problems.append(("address", _("The address fits several communes: add the commune or the district.")))
            return None
        if resolution.village and not data.get("village"):
            data["village"] = nfc(resolution.village)
    if found is None:
        found = ctx.default_commune
    if found is None:
        problems.append(("commune", _("No commune: give a Xã/phường column or choose a default commune.")))
    elif not place_is_within(ctx.actor, found):
        problems.append(("commune", _("%(commune)s is outside your jurisdiction.") % {"commune": found.name}))
        return None
    return found


_COMPARED = ("pk", "cccd", "name_folded", "birth_year", "sex", "commune_id", "merged_into_id", *UPDATABLE)


def name_key(name_folded: str, birth_date, birth_year, sex: str, commune_id: int, village: str) -> tuple:
    """Who a row is when it has no CCCD. Namesakes are common (two "Lò Thị Mai" born in 1990 in one
    commune), so the key takes the full date when known and the village, not just the year."""
    return ("name", name_folded, birth_date or birth_year, sex, commune_id, fold(village or ""))


def _existing(batch: list[Prepared]) -> dict[Any, dict]:
    """The registered people this batch names, as plain values (instances only for those that change)."""
    by_cccd = [p.key[1] for p in batch if p.key[0] == "cccd"]
    by_name = [p.key for p in batch if p.key[0] == "name"]
    found: dict[Any, dict] = {}
    if by_cccd:
        for row in Person.objects.filter(cccd__in=by_cccd).values(*_COMPARED):
            found[("cccd", row["cccd"])] = row
    if by_name:
        rows = Person.objects.filter(
            cccd__isnull=True,
            name_folded__in={k[1] for k in by_name},
            commune_id__in={k[4] for k in by_name},
            merged_into__isnull=True,
        ).values(*_COMPARED)
        for row in rows:
            key = name_key(row["name_folded"], row["birth_date"], row["birth_year"], row["sex"], row["commune_id"],
                           row["village"])
            found.setdefault(key, row)
    return found


def write(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    """Create the new people, update those whose given values changed, leave the rest untouched."""
    existing = _existing(batch)
    outcomes: list[Outcome] = []
    new_rows: list[tuple] = []
    updates: dict[int, dict] = {}
    now = timezone.now()
    actor = ctx.actor
    run_id = ctx.import_run.pk if ctx.import_run else None
    jurisdiction = ctx.state.setdefault("within", {})
    for prepared in batch:
        current = existing.get(prepared.key)
        data = prepared.data
        if current is None:
            new_rows.append(_insert_tuple(data, now, actor, run_id, prepared.row))
            outcomes.append(Outcome(prepared.row, "created"))
            continue
        if current["merged_into_id"]:
            # A duplicate an officer already merged: the kept entry carries on, this one is left as is.
            outcomes.append(Outcome(prepared.row, "unchanged"))
            continue
        commune_id = current["commune_id"]
        if commune_id not in jurisdiction:
            jurisdiction[commune_id] = place_is_within(actor, Place.objects.get(pk=commune_id))
        if not jurisdiction[commune_id]:
            outcomes.append(Outcome(prepared.row, "rejected", [(
                "cccd", _("This CCCD belongs to a person registered outside your jurisdiction."))]))
            continue
        changes = {f: data[f] for f in UPDATABLE if f in data and data[f] not in ("", None) and current[f] != data[f]}
        if "birth_year" in changes and not data.get("birth_date") and current["birth_date"]:
            changes["birth_date"] = None  # a new year only: the old full date contradicts it
        if data["commune"].pk != commune_id:
            changes["commune"] = data["commune"]
        if changes:
            updates[current["pk"]] = changes
            outcomes.append(Outcome(prepared.row, "updated"))
        else:
            outcomes.append(Outcome(prepared.row, "unchanged"))
    if not ctx.dry_run:
        with transaction.atomic():
            insert_rows(Person, INSERT_FIELDS, new_rows)
            for person in Person.objects.filter(pk__in=updates):
                changes = updates[person.pk]
                before = {f: getattr(person, f) for f in changes}
                for field, value in changes.items():
                    setattr(person, field, value)
                person.name_folded = fold(person.full_name)
                person.vulnerable = ctx.state["rules"].is_vulnerable(person)
                person.save(update_fields=[*changes, "name_folded", "vulnerable", "updated_at"])
                audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=person,
                             changes=audit.diff(before, changes), reason=_import_reason(ctx))
            if new_rows:
                audit.record(actor=actor, action=AuditEvent.Action.CREATE, object_type="people.Person",
                             object_repr=_("%(count)s people from rows %(first)s–%(last)s") % {
                                 "count": len(new_rows), "first": batch[0].row, "last": batch[-1].row},
                             reason=_import_reason(ctx))
    return outcomes


def _import_reason(ctx: Context) -> str:
    return f"import #{ctx.import_run.pk}" if ctx.import_run else "import"


def _insert_tuple(data: dict, now, actor, run_id, row: int) -> tuple:
    return (
        data["full_name"],
        data["name_folded"],
        data.get("birth_date"),
        data["birth_year"],
        data["sex"],
        data.get("cccd"),
        data.get("cmnd", ""),
        data.get("passport", ""),
        data.get("insurance_number", ""),
        data.get("ethnicity", ""),
        data.get("nationality") or "VN",
        data["commune"].pk,
        data.get("village", ""),
        data.get("address", ""),
        data.get("phone", ""),
        data.get("occupation", ""),
        data.get("priority_group", ""),
        "[]",
        bool(data.get("pregnant")),
        "",
        data["vulnerable"],
        "unchecked",
        "{}",
        now,
        now,
        actor.pk if actor else None,
        run_id,
        row,
    )


PEOPLE_SPEC = ImportSpec(
    name="people",
    label=gettext_lazy("People (population register)"),
    capability=Cap.PEOPLE_IMPORT,
    columns=COLUMNS,
    begin=begin,
    prepare=prepare,
    write=write,
)
