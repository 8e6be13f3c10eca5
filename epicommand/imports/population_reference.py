"""Loading an extract of the National Population Database (CCCD, name, date of birth, sex, address)
through the shared pipeline, into the reference table the register is reconciled against. A row is
keyed by its CCCD: loading the same extract twice changes nothing, a newer extract updates rows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core.addresses import CommuneResolver
from epicommand.core.roles import Cap
from epicommand.core.text import fold, nfc
from epicommand.people.identity import clean_number, is_well_formed_cccd
from epicommand.people.models import ReferenceRecord

from . import values as v
from .bulk import insert_rows
from .people import COLUMNS as PEOPLE_COLUMNS
from .spec import Context, ImportSpec, Outcome, Prepared, RowRejected

COLUMNS = tuple(c for c in PEOPLE_COLUMNS if c.key in {"full_name", "birth", "sex", "cccd", "commune", "address"})
FIELDS = ["cccd", "full_name", "name_folded", "birth_date", "birth_year", "sex", "address", "commune", "loaded_at"]
COMPARED = ("full_name", "birth_date", "birth_year", "sex", "address", "commune_id")


def begin(ctx: Context) -> None:
    ctx.state.update(resolver=CommuneResolver(settings.PROVINCE_CODE), today=timezone.localdate(), seen={})


def prepare(ctx: Context, row: dict[str, Any], number: int) -> Prepared:
    problems: list[tuple[str, str]] = []
    raw = row.get("cccd")
    cccd = clean_number(raw)
    if isinstance(raw, int | float) and len(cccd) == 11:
        cccd = "0" + cccd
    if not is_well_formed_cccd(cccd):
        problems.append(("cccd", _("A CCCD has exactly 12 digits and starts with a province code.")))
    name = nfc(v.text(row.get("full_name")))
    if not name:
        problems.append(("full_name", _("The full name is required.")))
    day = year = sex = None
    try:
        day, year = v.parse_birth(row.get("birth"), today=ctx.state["today"])
    except ValueError as exc:
        problems.append(("birth", str(exc)))
    if v.text(row.get("sex")):
        try:
            sex = v.parse_sex(row.get("sex"))
        except ValueError as exc:
            problems.append(("sex", str(exc)))
    if problems:
        raise RowRejected(problems)
    address = nfc(v.text(row.get("address")))
    resolver: CommuneResolver = ctx.state["resolver"]
    commune_text = v.text(row.get("commune"))
    commune = (resolver.commune(commune_text) if commune_text else resolver.address(address)).commune
    seen = ctx.state["seen"]
    if cccd in seen:
        raise RowRejected([("cccd", _("Same CCCD as row %(row)s of this file.") % {"row": seen[cccd]})])
    seen[cccd] = number
    return Prepared(number, cccd, {"cccd": cccd, "full_name": name, "name_folded": fold(name), "birth_date": day,
                                   "birth_year": year, "sex": sex or "", "address": address,
                                   "commune_id": commune.pk if commune else None})


def write(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    existing = {r.cccd: r for r in ReferenceRecord.objects.filter(cccd__in=[p.key for p in batch])}
    now = timezone.now()
    new, changed, outcomes = [], [], []
    for p in batch:
        record = existing.get(p.key)
        if record is None:
            d = p.data
            new.append((d["cccd"], d["full_name"], d["name_folded"], d["birth_date"], d["birth_year"], d["sex"],
                        d["address"], d["commune_id"], now))
            outcomes.append(Outcome(p.row, "created"))
        elif any(getattr(record, f) != p.data[f] for f in COMPARED):
            for field, value in p.data.items():
                setattr(record, field, value)
            changed.append(record)
            outcomes.append(Outcome(p.row, "updated"))
        else:
            outcomes.append(Outcome(p.row, "unchanged"))
    if not ctx.dry_run:
        with transaction.atomic():
            insert_rows(ReferenceRecord, FIELDS, new)
            ReferenceRecord.objects.bulk_update(changed, [f for f in FIELDS if f not in ("cccd", "loaded_at")] +
                                                ["commune"], batch_size=1000)
    return outcomes


REFERENCE_SPEC = ImportSpec(
    name="population_reference", label=gettext_lazy("National Population Database extract"),
    capability=Cap.PEOPLE_RECONCILE, columns=COLUMNS, begin=begin, prepare=prepare, write=write,
)
