"""Starting and running imports. Views, the shell command and later the API use these."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from epicommand.core import audit, planner
from epicommand.core.jurisdiction import can, get_for_user, place_is_within
from epicommand.core.models import AuditEvent, Job, Place, User
from epicommand.core.services import jobs
from epicommand.core.spreadsheets import write_xlsx

from . import headers, pipeline
from .models import ImportRun
from .readers import UnreadableFile, open_table
from .spec import Context, get_spec

PREVIEW_ROWS = 8


def _check(actor: User, spec_name: str, default_commune: Place | None) -> None:
    spec = get_spec(spec_name)
    if not can(actor, spec.capability):
        raise PermissionDenied
    if default_commune is not None and not place_is_within(actor, default_commune):
        raise ValidationError({"default_commune": _("The commune is outside your jurisdiction.")})


@transaction.atomic
def create_run(*, actor: User, spec_name: str, file, original_name: str, mode: str = ImportRun.Mode.SKIP_INVALID,
               default_commune: Place | None = None) -> ImportRun:
    """Store the uploaded file and guess its header row and columns. Raises UnreadableFile."""
    _check(actor, spec_name, default_commune)
    digest = hashlib.sha256()
    for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    run = ImportRun(spec=spec_name, original_name=Path(original_name).name[:255], mode=mode,
                    default_commune=default_commune, created_by=actor, sha256=digest.hexdigest(),
                    place=actor.place if actor.place_id else None,
                    organization=actor.organization if actor.organization_id else None)
    run.file.save(Path(original_name).name, File(file), save=False)
    run.size = run.file.size
    head = head_rows(run)
    mapping = headers.detect(get_spec(spec_name), head)
    if mapping is not None:
        run.header_row = mapping.header_row
        run.mapping = {str(col): key for col, key in mapping.columns.items()}
    run.save()
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=run, place=run.place,
                 changes={"file": [None, run.original_name]})
    return run


def head_rows(run: ImportRun, count: int = headers.SCAN_ROWS + PREVIEW_ROWS) -> list[list]:
    """The first rows, for header detection and the preview. Raises UnreadableFile."""
    table = open_table(Path(run.file.path), run.original_name)
    return [list(row) for row in itertools.islice(table.rows, count)]


def unsure_columns(run: ImportRun, head: list[list]) -> set[int]:
    """Columns whose mapping came from a partial header match: the user should confirm them."""
    spec = get_spec(run.spec)
    if run.header_row is None or run.header_row >= len(head):
        return set()
    row = head[run.header_row]
    return {int(col) for col, key in run.mapping.items()
            if int(col) < len(row) and headers.match_column(spec, row[int(col)]) != (key, True)}


@transaction.atomic
def set_mapping(*, actor: User, run: ImportRun, header_row: int, mapping: dict[int, str]) -> ImportRun:
    run = get_for_user(actor, ImportRun.objects.select_for_update(), run.pk, write=True)
    if run.job_id and not run.dry_run:
        raise ValidationError(_("This file was already imported."))
    spec = get_spec(run.spec)
    keys = [k for k in mapping.values() if k]
    if len(keys) != len(set(keys)):
        raise ValidationError(_("Each field can be taken from one column only."))
    missing = [str(c.label) for c in spec.columns if c.required and c.key not in keys]
    if missing:
        raise ValidationError(_("These required fields have no column: %(fields)s.") % {"fields": ", ".join(missing)})
    run.header_row = header_row
    run.mapping = {str(col): key for col, key in mapping.items() if key}
    run.save(update_fields=["header_row", "mapping"])
    return run


def start(*, actor: User, run: ImportRun, dry_run: bool) -> Job:
    from epicommand.core.tasks import run_job

    with transaction.atomic():
        run = get_for_user(actor, ImportRun.objects.select_for_update(), run.pk, write=True)
        if run.job_id and (not run.dry_run or not run.job.is_finished):
            raise ValidationError(_("This file is already being imported or was imported."))
        if run.header_row is None or not run.mapping:
            raise ValidationError(_("Confirm the columns first."))
        title = (_("Dry run: %(file)s") if dry_run else _("Import: %(file)s")) % {"file": run.original_name}
        job = jobs.start_job(actor=actor, kind="import", title=title, task=run_job, params={"import_run": run.pk})
        ImportRun.objects.filter(pk=run.pk).update(job=job, dry_run=dry_run, created=0, updated=0, unchanged=0,
                                                   rejected=0, total_rows=0, errors_preview=[])
    return job


def execute(run: ImportRun, *, progress: pipeline.Progress | None = None, actor: User | None = None) -> pipeline.Result:
    """Run an import to the end (the job body, and the shell command), writing the error report. The
    rows are written as `actor`, whoever started this run (the uploader by default)."""
    spec = get_spec(run.spec)
    path = Path(run.file.path)
    mapping = {int(col): key for col, key in run.mapping.items()}
    ctx = Context(actor=actor or run.created_by, dry_run=run.dry_run, default_commune=run.default_commune,
                  import_run=run)
    problems: list[list] = []

    def sink(problem: pipeline.Problem) -> None:
        problems.append([problem.row, problem.column, problem.value, problem.reason])

    result = pipeline.Result()
    try:
        if run.mode == ImportRun.Mode.ALL_OR_NOTHING and not run.dry_run:
            result, written = pipeline.run_all_or_nothing(
                spec, lambda: open_table(path, run.original_name), run.header_row, mapping, ctx,
                progress=progress, problems_sink=sink)
            if not written:  # all or nothing: nothing was written, whatever the check counted
                result.created = result.updated = result.unchanged = 0
        else:
            pipeline.run(spec, open_table(path, run.original_name), run.header_row, mapping, ctx,
                         progress=progress, problems_sink=sink, result=result)
    finally:
        _save_outcome(run, result, problems)
    if not run.dry_run:
        planner.refresh_after_bulk_load(result.created + result.updated)
    return result


def _save_outcome(run: ImportRun, result: pipeline.Result, problems: list[list]) -> None:
    run.total_rows, run.created, run.updated = result.total, result.created, result.updated
    run.unchanged, run.rejected = result.unchanged, result.rejected
    run.errors_preview = [p.__dict__ for p in result.problems]
    if problems:
        report = Path(run.file.path).with_name(f"errors-{run.pk}.xlsx")
        write_xlsx(report, [_("Row"), _("Column"), _("Value"), _("Reason")], problems, title=_("Errors"))
        run.error_report.name = str(report.relative_to(Path(run.file.storage.location)))
    run.save(update_fields=["total_rows", "created", "updated", "unchanged", "rejected", "errors_preview",
                            "error_report"])


def job_body(job: Job) -> dict:
    run = ImportRun.objects.select_related("created_by", "default_commune").get(pk=job.params["import_run"])

    def progress(done: int, total: int | None) -> None:
        jobs.progress(job.pk, done=done, total=total or 0, message=_("%(done)s rows read") % {"done": done})

    # Reasons in the error report speak the language of whoever started the import.
    starter = job.created_by or run.created_by
    language = (starter.language if starter else "") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            result = execute(run, progress=progress, actor=starter)
    except UnreadableFile as exc:
        raise RuntimeError(str(exc)) from None
    return {"rows": result.total, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "rejected": result.rejected}
