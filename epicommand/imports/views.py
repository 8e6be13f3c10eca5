from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core import audit
from epicommand.core.jurisdiction import get_for_user, require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.text import whole_number
from epicommand.core.views.common import paginate

from . import services
from . import values as v
from .forms import MappingForm, UploadForm
from .legacy_encodings import fix_many
from .models import ImportRun
from .readers import UnreadableFile
from .spec import get_spec


def import_list(request):
    require(request.user, Cap.PEOPLE_IMPORT)
    runs = visible_to(request.user, ImportRun.objects.select_related("job", "created_by"))
    return render(request, "imports/list.html", {"page": paginate(request, runs)})


def import_new(request):
    require(request.user, Cap.PEOPLE_IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            run = services.create_run(actor=request.user, spec_name=d["spec"], file=d["file"],
                                      original_name=d["file"].name, mode=d["mode"],
                                      default_commune=d["default_commune"])
        except UnreadableFile as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("imports:mapping", pk=run.pk)
    return render(request, "imports/new.html", {"form": form})


def import_mapping(request, pk: int):
    run = get_for_user(request.user, ImportRun, pk, write=True)
    if run.job_id and not run.dry_run:
        return redirect("imports:detail", pk=run.pk)
    try:
        head = services.head_rows(run)
    except UnreadableFile as exc:
        messages.error(request, str(exc))
        return redirect("imports:list")
    header_row = whole_number(request.POST.get("header_row"), default=run.header_row or 0)
    header_row = min(header_row, max(len(head) - 1, 0))
    header = head[header_row] if head else []
    form = MappingForm(request.POST or None, spec=get_spec(run.spec), header=header, mapping=run.mapping,
                       header_row=header_row, rows_available=min(len(head), 30))
    if request.method == "POST" and "refresh" not in request.POST and form.is_valid():
        try:
            services.set_mapping(actor=request.user, run=run, header_row=form.cleaned_data["header_row"],
                                 mapping=form.mapping())
            services.start(actor=request.user, run=run, dry_run="dry_run" in request.POST)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("imports:detail", pk=run.pk)
    # Shown as the import will read them: legacy TCVN3/VNI decoded, whole numbers without ",0".
    samples = [[v.text(cell) for cell in fix_many(list(row))]
               for row in head[header_row + 1:header_row + 1 + services.PREVIEW_ROWS]]
    columns = [(field, [row[i] if i < len(row) else "" for row in samples]) for i, field in
               enumerate(form[f"col_{i}"] for i in range(len(header)))]
    return render(request, "imports/mapping.html", {
        "run": run, "form": form, "columns": columns, "unsure": services.unsure_columns(run, head),
        "detected": run.header_row is not None,
    })


def import_detail(request, pk: int):
    run = get_for_user(request.user, ImportRun.objects.select_related("job", "default_commune"), pk, write=True)
    template = "imports/_status.html" if request.headers.get("HX-Request") else "imports/detail.html"
    return render(request, template, {"run": run, "job": run.job})


@require_POST
def import_confirm(request, pk: int):
    """After a clean dry run: import the same file for real, with the same columns."""
    run = get_for_user(request.user, ImportRun, pk, write=True)
    try:
        services.start(actor=request.user, run=run, dry_run=False)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("imports:detail", pk=run.pk)


def import_errors(request, pk: int):
    run = get_for_user(request.user, ImportRun, pk, write=True)
    if not run.error_report:
        raise Http404
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, obj=run, place=run.place,
                 reason=_("error report"))
    name = f"{Path(run.original_name).stem}-loi.xlsx"
    return FileResponse(run.error_report.open("rb"), as_attachment=True, filename=name)
