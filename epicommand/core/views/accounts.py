from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ..forms import AccountCreateForm, AccountForm, SetPasswordForm
from ..jurisdiction import get_account_for_user, require, visible_to
from ..models import User
from ..roles import Cap
from ..services.accounts import create_account, reset_password, update_account
from .common import paginate


def _form_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def account_list(request):
    require(request.user, Cap.ACCOUNTS_MANAGE)
    qs = visible_to(request.user, User.objects.select_related("place", "organization"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return render(request, "accounts/list.html", {"page": paginate(request, qs.order_by("username")), "q": q})


def account_create(request):
    require(request.user, Cap.ACCOUNTS_MANAGE)
    form = AccountCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            account = create_account(
                actor=request.user, username=d["username"], password=d["password1"], role=d["role"],
                place=d["place"], organization=d["organization"], full_name=d["full_name"], phone=d["phone"],
                email=d["email"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.username})
            return redirect("accounts:edit", pk=account.pk)
    return render(request, "accounts/form.html", {"form": form, "title": _("New account")})


def account_edit(request, pk: int):
    # Looked up first: another jurisdiction's account is 404 whatever the caller's role.
    account = get_account_for_user(request.user, pk, write=True)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in AccountForm.Meta.fields}
        try:
            update_account(actor=request.user, account=account, **fields)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:list")
    return render(request, "accounts/form.html", {"form": form, "title": account.username, "account": account})


def account_password(request, pk: int):
    account = get_account_for_user(request.user, pk, write=True)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset_password(actor=request.user, account=account, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("password1", message)
        else:
            messages.success(request, _("Password changed for %(name)s.") % {"name": account.username})
            return redirect("accounts:edit", pk=account.pk)
    return render(request, "accounts/password.html", {"form": form, "account": account})
