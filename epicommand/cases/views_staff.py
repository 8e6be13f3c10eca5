"""The key-staff screen: mark and remove an organization's key staff, the share of them infected per
organization (counts only: who is infected is health data), and the alerts raised to the command centre."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import get_for_user, is_place_scoped, require, visible_to
from epicommand.core.models import Organization
from epicommand.core.roles import Cap
from epicommand.core.text import whole_number

from . import key_staff as service
from .forms_staff import KeyStaffForm
from .models import KeyStaff, KeyStaffAlert

ALERTS_SHOWN = 50


def _selected(request, organizations):
    if (pk := whole_number(request.GET.get("org"))) is not None:
        return organizations.filter(pk=pk).first()
    return organizations.first() if organizations.count() == 1 else None


def key_staff(request):
    require(request.user, Cap.KEY_STAFF_MANAGE)
    user = request.user
    organizations = service.organizations_for(user)
    selected = _selected(request, organizations)
    form = KeyStaffForm(request.POST or None, organizations=organizations,
                        initial={"organization": selected} if selected else None)
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data["organization"]
        try:
            row = service.mark_key_staff(actor=user, organization=organization, cccd=form.cleaned_data["cccd"],
                                         position=form.cleaned_data["position"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Marked as key staff of %(org)s.") % {"org": organization.name})
            return redirect(f"{reverse('cases:key_staff')}?org={row.organization_id}")
    # Infected counts are the area officers' (commune, province): they see the cases themselves. A unit's own
    # account sees its key staff but no count and no alert, or marking a neighbour and watching the count would
    # tell whether that neighbour is ill.
    sees_counts = is_place_scoped(user)
    visible = visible_to(user, KeyStaff)
    summary_ids = sorted(set(visible.values_list("organization_id", flat=True)))
    counts = service.figures(summary_ids)
    open_alerts = set(visible_to(user, KeyStaffAlert.objects.filter(closed_at__isnull=True))
                      .values_list("organization_id", flat=True)) if sees_counts else set()
    names = dict(visible_to(user, Organization.objects.filter(pk__in=summary_ids)).values_list("pk", "name"))
    summary = sorted(({"id": pk, "name": names.get(pk, ""), "figures": counts[pk], "alert": pk in open_alerts}
                      for pk in summary_ids if pk in counts), key=lambda r: (not r["alert"], r["name"]))
    members = []
    if selected is not None:
        rows = list(visible.filter(organization=selected).select_related("person").order_by("position", "id"))
        named = service.names_shown_to(user, [r.person_id for r in rows])
        members = [{"row": r, "name": r.person.full_name if r.person_id in named else "",
                    "number": service.masked_cccd(r.person.cccd)} for r in rows]
    alerts = (visible_to(user, KeyStaffAlert).select_related("organization")
              .order_by(F("closed_at").desc(nulls_first=True), "-raised_at")[:ALERTS_SHOWN]) if sees_counts else []
    return render(request, "cases/staff_key_staff.html", {
        "form": form, "selected": selected, "members": members, "summary": summary, "alerts": alerts,
        "selected_figures": counts.get(selected.pk) if selected and sees_counts else None, "sees_counts": sees_counts,
        "threshold": service.threshold(), "organizations": organizations.order_by("name"),
    })


@require_POST
def key_staff_remove(request, pk: int):
    row = get_for_user(request.user, KeyStaff.objects.select_related("organization", "person"), pk, write=True)
    service.remove_key_staff(actor=request.user, key_staff=row)
    messages.success(request, _("Removed from the key staff of %(org)s.") % {"org": row.organization.name})
    return redirect(f"{reverse('cases:key_staff')}?org={row.organization_id}")
