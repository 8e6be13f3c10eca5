"""Two imports through the one pipeline: historical doses ("doses") and official target populations
("targets"). Importing this module registers both (vaccination's AppConfig.ready() imports it).

Historical doses (issue 4 point 7):
- The person is linked by CCCD when it names one person; otherwise by exact folded name + birth year +
  commune when exactly one person of the register has them (and no other CCCD); otherwise created through
  the people import (same validation, same bulk write, same audit). Several registered people with that
  name, year and commune are not guessed between: the row is rejected and asks for the CCCD.
  A CCCD registered outside the importer's jurisdiction is rejected without revealing more.
- Each dose is judged by the rules in force on its own day (eligibility.RulesByDay) against the person's
  other doses (those registered and those of the same batch). A dose the rules refuse is written anyway
  with `off_schedule` = the failed codes ("too_late" included): historical facts are flagged, not rejected.
- The dose number written is the file's; without one, the rules' count. The kind is a booster when the
  person's primary series was complete before it.
- Idempotent: a live dose with the same person, day and vaccine exists already → "unchanged"; the same
  dose twice in one file → the second row is rejected as a repeat. After each batch, the coverage status of
  the people touched is refreshed inside the batch's transaction.
- The Outcome of each row carries how its person was found (`person_link`, also counted in the batch's
  audit event): "cccd", "name" or "created"."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core import audit
from epicommand.core.addresses import CommuneResolver
from epicommand.core.jurisdiction import place_is_within, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.text import fold, nfc
from epicommand.imports import spec as import_spec
from epicommand.imports import values as v
from epicommand.imports.people import COLUMNS as PEOPLE_COLUMNS
from epicommand.imports.people import PEOPLE_SPEC
from epicommand.imports.spec import Column, Context, ImportSpec, Outcome, Prepared, RowRejected
from epicommand.people.identity import clean_number
from epicommand.people.models import Person

from . import coverage
from .campaign_services import age_groups as age_groups_in_force
from .eligibility import Candidate, PastDose, RulesByDay
from .models import Dose, DoseKind, Lot, OfficialTarget, Product

# ---- vaccines as people write them ---------------------------------------------------------------------

# The most people an official target of one commune and age group may name: far above any commune.
MAX_TARGET = 10_000_000

_ALIASES = {
    "astrazeneca": ("astrazeneca", "astra", "az", "azd1222", "chadox1", "covishield", "vaxzevria"),
    "pfizer": ("pfizer", "pfizerbiontech", "biontech", "comirnaty", "bnt162b2", "pf", "pfz"),
    "moderna": ("moderna", "spikevax", "mrna1273", "md"),
    "sputnik_v": ("sputnikv", "sputnik", "gamcovidvac"),
    "vero_cell": ("verocell", "vero", "sinopharm", "bbibp", "bibp", "bbibpcorv", "vc"),
    "hayat_vax": ("hayatvax", "hayat"),
    "janssen": ("janssen", "johnsonjohnson", "johnson", "jj", "jnj", "ad26cov2s"),
    "abdala": ("abdala", "cigb66"),
}
_NOT_LETTERS = re.compile(r"[^a-z0-9]")
_PREFIXES = ("vacxin", "vaccine", "vaccin", "vacin", "covid19", "covid")


def vaccine_key(text: str) -> str | None:
    """"Vắc xin AstraZeneca", "AZ", "Pfizer-BioNTech", "Vero Cell (Sinopharm)" → the Product key."""
    squeezed = _NOT_LETTERS.sub("", fold(text or ""))
    for prefix in _PREFIXES:
        if squeezed.startswith(prefix) and len(squeezed) > len(prefix):
            squeezed = squeezed[len(prefix):]
    if not squeezed:
        return None
    for key, aliases in _ALIASES.items():
        if squeezed in aliases or squeezed == key.replace("_", ""):
            return key
    # Longer names with more words ("AstraZeneca (Covishield) lô…"): an alias of 4+ letters inside.
    found = {key for key, aliases in _ALIASES.items() for alias in aliases if len(alias) >= 4 and alias in squeezed}
    return found.pop() if len(found) == 1 else None


def _people_column(key: str) -> Column:
    column = next(c for c in PEOPLE_COLUMNS if c.key == key)
    return Column(column.key, column.label, column.synonyms, required=False)


DOSE_COLUMNS = (
    _people_column("full_name"),
    _people_column("birth"),
    _people_column("sex"),
    _people_column("cccd"),
    _people_column("phone"),
    _people_column("commune"),
    _people_column("village"),
    Column("dose_date", gettext_lazy("Date of the dose"),
           ("ngay tiem", "ngay tiem chung", "ngay tiem mui", "ngay thang tiem", "thoi gian tiem", "date of dose",
            "vaccination date", "dose date", "date given"), required=True),
    Column("vaccine", gettext_lazy("Vaccine"),
           ("vac xin", "ten vac xin", "loai vac xin", "vaccine", "ten vaccine", "loai vaccine", "vacxin",
            "ten vacxin", "loai vacxin", "vaccine name"), required=True),
    Column("lot", gettext_lazy("Lot number"), ("so lo", "lo vac xin", "so lo vac xin", "lo", "lot", "lot number",
                                               "batch", "batch number")),
    Column("dose_number", gettext_lazy("Dose number"),
           ("mui tiem thu", "mui thu", "mui so", "mui", "mui tiem", "lan tiem", "dose number", "dose no", "dose")),
    Column("site", gettext_lazy("Vaccination site"),
           ("co so tiem", "diem tiem", "noi tiem", "co so tiem chung", "don vi tiem", "dia diem tiem", "site",
            "vaccination site", "place of vaccination")),
)


def _dose_begin(ctx: Context) -> None:
    ctx.state["resolver"] = CommuneResolver(settings.PROVINCE_CODE)
    ctx.state["today"] = timezone.localdate()
    ctx.state["rules"] = RulesByDay()
    ctx.state["products"] = {p.key: p for p in Product.objects.all()}
    ctx.state["seen"] = {}
    ctx.state["planned"] = set()  # identities a dry run would create
    people_ctx = Context(actor=ctx.actor, dry_run=ctx.dry_run, default_commune=ctx.default_commune,
                         import_run=ctx.import_run)
    PEOPLE_SPEC.begin(people_ctx)
    ctx.state["people_ctx"] = people_ctx


def _day(value: Any, today: date) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        day, _year = v.parse_birth(value, today=today)  # the same date forms as a birth date
        if day is None:
            raise ValueError(_("Give the full date of the dose (dd/mm/yyyy)."))
    if day > today:
        raise ValueError(_("The date %(date)s is in the future.") % {"date": day.strftime("%d/%m/%Y")})
    return day


def _dose_number(value: Any) -> int | None:
    text = v.text(value)
    if not text:
        return None
    digits = re.findall(r"\d+", text)
    if not digits:
        raise ValueError(_("Not a dose number: %(value)s") % {"value": text})
    number = int(digits[0])
    if not 1 <= number <= 10:
        raise ValueError(_("Not a dose number: %(value)s") % {"value": text})
    return number


def _dose_prepare(ctx: Context, row: dict[str, Any], number: int) -> Prepared:
    problems: list[tuple[str, str]] = []
    today = ctx.state["today"]
    data: dict[str, Any] = {"raw": {k: row.get(k) for k in ("full_name", "birth", "sex", "cccd", "phone",
                                                             "commune", "village")}}
    try:
        data["day"] = _day(row.get("dose_date"), today)
    except ValueError as exc:
        problems.append(("dose_date", str(exc)))
    vaccine = v.text(row.get("vaccine"))
    key = vaccine_key(vaccine)
    if key is None or key not in ctx.state["products"]:
        problems.append(("vaccine", _("Unknown vaccine: %(value)s") % {"value": vaccine or "—"}))
    data["product"] = key
    data["lot"] = nfc(v.text(row.get("lot")))[:40]
    data["site"] = nfc(v.text(row.get("site")))[:150]
    try:
        data["number"] = _dose_number(row.get("dose_number"))
    except ValueError as exc:
        problems.append(("dose_number", str(exc)))
    raw_cccd = row.get("cccd")
    cccd = clean_number(raw_cccd)
    if isinstance(raw_cccd, int | float) and len(cccd) == 11:
        cccd = "0" + cccd  # Excel drops the leading zero of a number typed as a number
    if cccd and (len(cccd) != 12 or not cccd.isdigit()):
        problems.append(("cccd", _("A CCCD has exactly 12 digits.")))
    data["cccd"] = cccd or None
    data["name"] = nfc(v.text(row.get("full_name")))
    data["name_folded"] = fold(data["name"])
    data["birth_date"], data["birth_year"] = None, None
    if row.get("birth") not in (None, ""):
        try:
            data["birth_date"], data["birth_year"] = v.parse_birth(row.get("birth"), today=today)
        except ValueError as exc:
            problems.append(("birth", str(exc)))
    data["commune"] = _commune(ctx, row, problems)
    if not cccd:
        if not data["name"]:
            problems.append(("full_name", _("Give the CCCD or the full name.")))
        if data["birth_year"] is None and not any(k == "birth" for k, _m in problems):
            problems.append(("birth", _("Without a CCCD, the date or year of birth is needed to find the person.")))
    if problems:
        raise RowRejected(problems)
    identity = ("cccd", cccd) if cccd else ("name", data["name_folded"], data["birth_year"], data["commune"].pk)
    data["identity"] = identity
    dose_key = (identity, data["day"], data["product"])
    seen = ctx.state["seen"]
    if dose_key in seen:
        raise RowRejected([("", _("Same dose as row %(row)s of this file.") % {"row": seen[dose_key]})])
    seen[dose_key] = number
    return Prepared(row=number, key=dose_key, data=data)


def _commune(ctx: Context, row: dict, problems: list) -> Any:
    found = None
    if text := v.text(row.get("commune")):
        resolution = ctx.state["resolver"].commune(text)
        found = resolution.commune
        if found is None:
            problems.append(("commune", _("Unknown commune: %(value)s") % {"value": text}))
            return None
    found = found or ctx.default_commune
    if found is None:
        problems.append(("commune", _("No commune: give a Xã/phường column or choose a default commune.")))
    elif not place_is_within(ctx.actor, found):
        problems.append(("commune", _("%(commune)s is outside your jurisdiction.") % {"commune": found.name}))
        return None
    return found


# ---- finding and creating the people -------------------------------------------------------------------

def _not_found() -> tuple[str, str]:
    """(column, problem) of a row whose person is not found: also a CCCD registered outside the importer's
    jurisdiction, which must not be told apart from a person missing from the register."""
    return ("", _("The person could not be found or registered: check the identity columns."))


_PERSON_FIELDS = ("pk", "cccd", "name_folded", "birth_date", "birth_year", "commune_id", "merged_into_id")


def _match(ctx: Context, batch: list[Prepared]) -> tuple[dict[tuple, dict], dict[tuple, tuple[str, str]]]:
    """Identity → the registered person (values), and identity → (column, problem) for those refused."""
    found: dict[tuple, dict] = {}
    refused: dict[tuple, tuple[str, str]] = {}
    visible = visible_to(ctx.actor, Person)
    cccds = {p.data["cccd"] for p in batch if p.data["cccd"]}
    by_cccd = {r["cccd"]: r for r in Person.objects.filter(cccd__in=cccds).values(*_PERSON_FIELDS)} if cccds else {}
    kept_ids = {r["merged_into_id"] for r in by_cccd.values() if r["merged_into_id"]}
    kept = {r["pk"]: r for r in Person.objects.filter(pk__in=kept_ids).values(*_PERSON_FIELDS)} if kept_ids else {}
    names = {(p.data["name_folded"], p.data["commune"].pk) for p in batch if p.data["name_folded"]}
    by_name: dict[tuple, list[dict]] = {}
    if names:
        rows = visible.filter(merged_into__isnull=True, name_folded__in={n for n, _c in names},
                              commune_id__in={c for _n, c in names}).values(*_PERSON_FIELDS)
        for r in rows:
            by_name.setdefault((r["name_folded"], r["birth_year"], r["commune_id"]), []).append(r)
    visible_ids = set(visible.filter(pk__in=[r["pk"] for r in [*by_cccd.values(), *kept.values()]])
                      .values_list("pk", flat=True)) if by_cccd else set()
    for prepared in batch:
        d = prepared.data
        identity = d["identity"]
        if identity in found or identity in refused:
            continue
        if d["cccd"] and d["cccd"] in by_cccd:
            person = by_cccd[d["cccd"]]
            person = kept.get(person["merged_into_id"], person)  # merged away: the kept entry carries on
            if person["pk"] not in visible_ids:
                # Word for word what a person nobody can find gets: saying more would tell the importer that
                # this CCCD is registered somewhere else in the province.
                refused[identity] = _not_found()
            else:
                found[identity] = {**person, "link": "cccd"}
            continue
        if not d["name_folded"] or d["birth_year"] is None:
            continue
        candidates = [r for r in by_name.get((d["name_folded"], d["birth_year"], d["commune"].pk), [])
                      if not (d["cccd"] and r["cccd"])]  # someone with another CCCD is someone else
        if len(candidates) == 1:
            found[identity] = {**candidates[0], "link": "name"}
        elif len(candidates) > 1:
            refused[identity] = ("full_name", _(
                "%(count)s people of the register have this name, birth year and commune: give the CCCD.")
                % {"count": len(candidates)})
    return found, refused


def _create_people(ctx: Context, batch: list[Prepared], found: dict, refused: dict) -> dict[tuple, list]:
    """Register the people no row could be linked to, through the people import. Returns identity →
    problems for those it refused."""
    people_ctx: Context = ctx.state["people_ctx"]
    todo: dict[tuple, Prepared] = {}
    problems: dict[tuple, list] = {}
    for prepared in batch:
        identity = prepared.data["identity"]
        if identity in found or identity in refused or identity in todo or identity in problems:
            continue
        if identity in ctx.state["planned"]:  # a dry run already counted it as new
            continue
        raw = dict(prepared.data["raw"])
        raw["commune"] = prepared.data["commune"].code  # resolved already: the code is unambiguous
        cccd = prepared.data["cccd"]
        if v.text(raw.get("sex")) == "" and cccd:
            raw["sex"] = "Nam" if int(cccd[3]) % 2 == 0 else "Nữ"  # CCCD digit 4: even men, odd women
        raw["cccd"] = cccd or ""
        try:
            todo[identity] = PEOPLE_SPEC.prepare(people_ctx, raw, prepared.row)
        except RowRejected as exc:
            problems[identity] = exc.problems
    if todo:
        outcomes = PEOPLE_SPEC.write(people_ctx, list(todo.values()))
        by_row = {o.row: o for o in outcomes}
        for identity, prepared_person in todo.items():
            outcome = by_row.get(prepared_person.row)
            if outcome is not None and outcome.result == "rejected":
                problems[identity] = outcome.problems
            elif ctx.dry_run:
                ctx.state["planned"].add(identity)
    return problems


# ---- writing the doses ---------------------------------------------------------------------------------

def _dose_write(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    with transaction.atomic():
        return _write_doses(ctx, batch)


def _one_identity_per_person(batch: list[Prepared]) -> dict[tuple, int]:
    """A row without a CCCD naming a person (folded name, birth year, commune) whom a row of this batch names with
    a CCCD is that person: it takes the CCCD's identity, so the person is registered once and both rows find them.
    Several CCCDs under one name are namesakes, never guessed between: returns those names with their count."""
    by_name: dict[tuple, set[tuple]] = {}
    for prepared in batch:
        d = prepared.data
        if d["identity"][0] == "cccd" and d["name"] and d["birth_year"] is not None:
            by_name.setdefault(("name", d["name_folded"], d["birth_year"], d["commune"].pk), set()).add(d["identity"])
    for prepared in batch:
        if len(named := by_name.get(prepared.data["identity"], ())) == 1:
            prepared.data["identity"] = next(iter(named))
    return {name: len(named) for name, named in by_name.items() if len(named) > 1}


def _write_doses(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    ambiguous = _one_identity_per_person(batch)
    found, refused = _match(ctx, batch)
    for name, count in ambiguous.items():
        # Refused before anyone is registered for it: which of the namesakes had this dose is not for us to guess.
        found.pop(name, None)
        refused[name] = ("full_name", _("%(count)s people of this file have this name, birth year and commune: "
                                        "give the CCCD.") % {"count": count})
    creation_problems = _create_people(ctx, batch, found, refused)
    created_identities = set()
    if not ctx.dry_run:
        # The people just registered are found like any other now.
        again, _refused = _match(ctx, [p for p in batch if p.data["identity"] not in found
                                       and p.data["identity"] not in refused
                                       and p.data["identity"] not in creation_problems])
        for identity, person in again.items():
            found[identity] = {**person, "link": "created"}
            created_identities.add(identity)
    products = ctx.state["products"]
    person_ids = {p["pk"] for p in found.values()}
    history: dict[int, list[PastDose]] = {}
    existing: set[tuple] = set()
    for person_id, day, product, kind in Dose.objects.filter(person_id__in=person_ids).values_list(
            "person_id", "given_on", "product__key", "kind"):
        history.setdefault(person_id, []).append(PastDose(day, product, kind))
        existing.add((person_id, day, product))
    births = {r["pk"]: (r["birth_date"], r["birth_year"]) for r in found.values()}
    # This batch's doses count as history for each other (rows of one person come together).
    pending: dict[Any, list[tuple[Prepared, PastDose]]] = {}
    in_batch: dict[tuple, int] = {}  # (person, day, vaccine) → the first row giving it
    outcomes: list[Outcome] = []
    for prepared in batch:
        d = prepared.data
        identity = d["identity"]
        if identity in refused:
            outcomes.append(Outcome(prepared.row, "rejected", [refused[identity]]))
            continue
        if identity in creation_problems:
            outcomes.append(Outcome(prepared.row, "rejected", list(creation_problems[identity])))
            continue
        person = found.get(identity)
        if person is None and not ctx.dry_run:
            # Registered under another key by the people import (never expected): refuse rather than lose it.
            outcomes.append(Outcome(prepared.row, "rejected", [_not_found()]))
            continue
        owner = person["pk"] if person else identity
        if person and (person["pk"], d["day"], d["product"]) in existing:
            outcomes.append(Outcome(prepared.row, "unchanged", [("person_link", person["link"])]))
            continue
        # The same person's same dose under two identities (CCCD on one row, name and birth on another): the
        # rows prepare() could not match until both led to the one person.
        if (first_row := in_batch.setdefault((owner, d["day"], d["product"]), prepared.row)) != prepared.row:
            outcomes.append(Outcome(prepared.row, "rejected", [
                ("", _("Same dose as row %(row)s of this file.") % {"row": first_row})]))
            continue
        pending.setdefault(owner, []).append((prepared, PastDose(d["day"], d["product"], "")))
    rules = ctx.state["rules"]
    new_doses: list[Dose] = []
    links: Counter = Counter()
    now_run = ctx.import_run.pk if ctx.import_run else None
    for owner, items in pending.items():
        person_id = owner if isinstance(owner, int) else None
        if person_id is not None:
            birth_date, birth_year = births[person_id]
        else:
            first = items[0][0].data
            birth_date, birth_year = first["birth_date"], first["birth_year"]
        past = list(history.get(person_id, [])) if person_id is not None else []
        for index, (prepared, _dose) in enumerate(items):
            d = prepared.data
            others = past + [other for j, (_p, other) in enumerate(items) if j != index]
            verdict = rules[d["day"]].check(Candidate(birth_date=birth_date, birth_year=birth_year,
                                                      doses=tuple(others)), d["product"])
            flags = list(verdict.codes) + [c for c in verdict.warning_codes if c == "too_late"]
            link = found[d["identity"]]["link"] if d["identity"] in found else "created"
            links[link] += 1
            outcomes.append(Outcome(prepared.row, "created", [("person_link", link)]))
            if person_id is None:
                continue  # a dry run: the person would be created first
            new_doses.append(Dose(
                person_id=person_id, product=products[d["product"]], lot_number=d["lot"], given_on=d["day"],
                number=d["number"] or verdict.dose_number,
                kind=DoseKind.BOOSTER if verdict.kind == "booster" else DoseKind.PRIMARY, site_name=d["site"],
                historical=True, off_schedule=flags, source_import=now_run, source_row=prepared.row))
    if not ctx.dry_run and new_doses:
        lots = {(lot.product_id, lot.number): lot for lot in Lot.objects.filter(
            number__in={dose.lot_number for dose in new_doses if dose.lot_number})}
        for dose in new_doses:
            dose.lot = lots.get((dose.product.pk, dose.lot_number))
        Dose.objects.bulk_create(new_doses, batch_size=1000)
        coverage.refresh_people({dose.person_id for dose in new_doses})
        audit.record(actor=ctx.actor, action=AuditEvent.Action.CREATE, object_type="vaccination.Dose",
                     object_repr=_("%(count)s historical doses from rows %(first)s–%(last)s") % {
                         "count": len(new_doses), "first": batch[0].row, "last": batch[-1].row},
                     changes={"person_link": dict(links),
                              "off_schedule": sum(1 for dose in new_doses if dose.off_schedule)},
                     reason=f"import #{now_run}" if now_run else "import")
    outcomes.sort(key=lambda o: o.row)
    return outcomes


DOSES_SPEC = ImportSpec(
    name="doses",
    label=gettext_lazy("Historical vaccination doses"),
    # New people may be registered on the way: the register's import right (every holder also records doses).
    capability=Cap.PEOPLE_IMPORT,
    columns=DOSE_COLUMNS,
    begin=_dose_begin,
    prepare=_dose_prepare,
    write=_dose_write,
)


# ---- official target populations -----------------------------------------------------------------------

TARGET_COLUMNS = (
    _people_column("commune"),
    Column("age_group", gettext_lazy("Age group"), ("nhom tuoi", "do tuoi", "lua tuoi", "age group", "ages",
                                                    "age"), required=True),
    Column("people", gettext_lazy("Target population"),
           ("so doi tuong", "dan so", "so nguoi", "dan so muc tieu", "so doi tuong can tiem", "doi tuong",
            "target population", "target", "people", "population"), required=True),
    Column("source", gettext_lazy("Source"), ("nguon", "nguon so lieu", "can cu", "source")),
)
_GROUP_WORDS = {"adult": ("nguoi lon", "nguoi truong thanh", "adult", "adults", "tren 18", "18 tro len"),
                "teen": ("vi thanh nien", "thieu nien", "teen", "teens", "teenager", "teenagers"),
                "child": ("tre em", "children", "child", "kids")}


def age_group_key(text: str, groups: dict[str, list]) -> str | None:
    """"adult", "Người lớn", "18+", "≥18 tuổi", "12-17", "12 đến 17 tuổi", "5–11" → the policy key."""
    folded = " ".join(fold(text or "").split())
    if folded in groups:
        return folded
    numbers = [int(n) for n in re.findall(r"\d+", folded)]
    if numbers:
        for key, (low, high) in groups.items():
            if numbers[0] == low and (len(numbers) == 1 or numbers[1] == high):
                return key
        return None
    for key, words in _GROUP_WORDS.items():
        if key in groups and any(word == folded or folded.startswith(word) for word in words):
            return key
    return None


def _targets_begin(ctx: Context) -> None:
    ctx.state["resolver"] = CommuneResolver(settings.PROVINCE_CODE)
    ctx.state["groups"] = age_groups_in_force()
    ctx.state["seen"] = {}


def _targets_prepare(ctx: Context, row: dict[str, Any], number: int) -> Prepared:
    problems: list[tuple[str, str]] = []
    commune = _commune(ctx, row, problems)
    written = v.text(row.get("age_group"))
    group = age_group_key(written, ctx.state["groups"])
    if group is None:
        problems.append(("age_group", _("Unknown age group: %(value)s (use %(groups)s)") % {
            "value": written or "—", "groups": ", ".join(ctx.state["groups"])}))
    try:
        people = v.parse_count(row.get("people"), high=MAX_TARGET)
    except ValueError as exc:
        problems.append(("people", str(exc)))
    if problems:
        raise RowRejected(problems)
    key = (commune.pk, group)
    if key in ctx.state["seen"]:
        raise RowRejected([("", _("Same commune and age group as row %(row)s of this file.")
                            % {"row": ctx.state["seen"][key]})])
    ctx.state["seen"][key] = number
    return Prepared(row=number, key=key, data={"commune": commune, "age_group": group, "people": people,
                                               "source": nfc(v.text(row.get("source")))[:200]})


def _targets_write(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    with transaction.atomic():
        current = {(t.commune_id, t.age_group): t for t in OfficialTarget.objects.filter(
            commune_id__in={p.key[0] for p in batch})}
        for prepared in batch:
            d = prepared.data
            row = current.get(prepared.key)
            source = d["source"] or (row.source if row else "")
            if row is not None and (row.people, row.source) == (d["people"], source):
                outcomes.append(Outcome(prepared.row, "unchanged"))
                continue
            outcomes.append(Outcome(prepared.row, "updated" if row else "created"))
            if ctx.dry_run:
                continue
            before = {"people": row.people, "source": row.source} if row else {}
            run_id = ctx.import_run.pk if ctx.import_run else None
            row, _created = OfficialTarget.objects.update_or_create(
                commune=d["commune"], age_group=d["age_group"],
                defaults={"people": d["people"], "source": source, "source_import": run_id})
            audit.record(actor=ctx.actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE,
                         obj=row, place=d["commune"], changes=audit.diff(before, {"people": d["people"],
                                                                                  "source": source}),
                         reason=f"import #{run_id}" if run_id else "import")
    return outcomes


TARGETS_SPEC = ImportSpec(
    name="targets",
    label=gettext_lazy("Official target populations (vaccination)"),
    capability=Cap.COVERAGE_REMIND,  # the province's figures, kept by those who follow coverage
    columns=TARGET_COLUMNS,
    begin=_targets_begin,
    prepare=_targets_prepare,
    write=_targets_write,
)

import_spec.register(DOSES_SPEC)
import_spec.register(TARGETS_SPEC)
