from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..jurisdiction import can, require
from ..models import Place
from ..places import PlaceMatch, search_places
from ..roles import Cap
from ..services.jobs import start_job
from ..tasks import run_job


def place_list(request):
    require(request.user, Cap.PLACES_VIEW)
    q = request.GET.get("q", "").strip()
    if q:
        matches = search_places(q)
    else:
        province = Place.objects.filter(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE,
                                        code=settings.PROVINCE_CODE).first()
        communes = Place.objects.filter(parent=province).select_related("parent") if province else []
        matches = [PlaceMatch(p) for p in communes]
    template = "places/_results.html" if request.headers.get("HX-Request") else "places/list.html"
    return render(request, template, {"q": q, "matches": matches, "can_reload": can(request.user, Cap.AUDIT_VIEW)})


@require_POST
def place_reload(request):
    # Reloading reference data is a command-centre decision.
    require(request.user, Cap.AUDIT_VIEW)
    job = start_job(actor=request.user, kind="places.reload", title=_("Reload administrative units"),
                    task=run_job, params={"province": settings.PROVINCE_CODE})
    messages.info(request, _("The administrative units are being reloaded in the background."))
    return redirect("jobs:detail", pk=job.pk)
