from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .. import audit
from ..forms import OrganizationFilterForm, OrganizationForm, add_service_errors
from ..jurisdiction import can, get_organization_for_user, require, visible_to
from ..models import AuditEvent, Organization
from ..roles import Cap
from ..services.organizations import FIELDS, create_organization, update_organization
from ..spreadsheets import download
from ..text import fold
from .common import paginate


def _organizations(request):
    form = OrganizationFilterForm(request.GET or None, user=request.user)
    qs = visible_to(request.user, Organization.objects.select_related("place", "parent"))
    if form.is_valid():
        if q := fold(form.cleaned_data["q"]):
            qs = qs.filter(name_folded__contains=q)
        if kind := form.cleaned_data["kind"]:
            qs = qs.filter(kind=kind)
        if place := form.cleaned_data["place"]:
            qs = qs.filter(place__path__startswith=place.path)
    return form, qs.order_by("place__path", "name", "id")


def organization_list(request):
    require(request.user, Cap.ORGS_VIEW)
    form, qs = _organizations(request)
    return render(request, "organizations/list.html", {
        "form": form, "page": paginate(request, qs), "can_manage": can(request.user, Cap.ORGS_MANAGE),
        "querystring": request.GET.urlencode(),
    })


def organization_export(request, fmt: str):
    require(request.user, Cap.ORGS_VIEW)
    _form, qs = _organizations(request)
    rows = ([o.name, o.get_kind_display(), o.tier or "", o.place.name, o.address, o.contact_name, o.phone, o.email,
             _("active") if o.is_active else _("inactive")] for o in qs.iterator(chunk_size=2000))
    headers = [_("Name"), _("Kind"), _("Tier"), _("Place"), _("Address"), _("Contact person"), _("Phone"),
               _("E-mail"), _("Status")]
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="core.Organization",
                 object_repr=_("organization list"), changes={"filters": request.GET.dict()})
    return download(fmt, "don-vi", headers, rows, title=_("Organizations"))


def organization_detail(request, pk: int):
    org = get_organization_for_user(request.user, pk)
    return render(request, "organizations/detail.html", {
        "org": org, "children": visible_to(request.user, org.children.all()),
        "can_manage": can(request.user, Cap.ORGS_MANAGE),
    })


def _save(request, form, org: Organization | None):
    data = {f: form.cleaned_data[f] for f in FIELDS if f in form.cleaned_data}
    try:
        if org is None:
            return create_organization(actor=request.user, **data)
        return update_organization(actor=request.user, organization=org, **data)
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


def organization_create(request):
    require(request.user, Cap.ORGS_MANAGE)
    form = OrganizationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and (org := _save(request, form, None)):
        messages.success(request, _("Organization created."))
        return redirect("organizations:detail", pk=org.pk)
    return render(request, "organizations/form.html", {"form": form, "title": _("New organization")})


def organization_edit(request, pk: int):
    org = get_organization_for_user(request.user, pk, write=True)
    form = OrganizationForm(request.POST or None, instance=org, user=request.user)
    if request.method == "POST" and form.is_valid() and _save(request, form, org):
        messages.success(request, _("Changes saved."))
        return redirect("organizations:detail", pk=org.pk)
    return render(request, "organizations/form.html", {"form": form, "title": org.name, "org": org})
