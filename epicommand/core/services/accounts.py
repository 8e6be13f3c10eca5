from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit
from ..jurisdiction import get_account_for_user, grant_problems
from ..models import AuditEvent, Organization, Place, User
from ..roles import Role
from ..text import nfc

FIELDS = ("role", "place", "organization", "full_name", "phone", "email", "is_active")


def _snapshot(user: User) -> dict:
    return {f: getattr(user, f) for f in FIELDS}


def _check_grant(actor: User, *, role: str, place: Place | None, organization: Organization | None) -> None:
    problems = grant_problems(actor, role=role, place=place, organization=organization)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def create_account(
    *, actor: User, username: str, password: str, role: str, place: Place | None = None,
    organization: Organization | None = None, full_name: str = "", phone: str = "", email: str = "",
) -> User:
    _check_grant(actor, role=role, place=place, organization=organization)
    account = User(
        username=username.strip(), role=role, place=place, organization=organization,
        full_name=nfc(full_name), phone=phone.strip(), email=email.strip(), created_by=actor,
    )
    validate_password(password, account)
    account.set_password(password)
    account.full_clean()
    account.save()
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=account,
                 changes=audit.diff({}, _snapshot(account)))
    return account


@transaction.atomic
def bootstrap_command_account(*, username: str, password: str, province: Place, full_name: str = "") -> User:
    """The first command-centre account of an instance. Nobody can grant it, so it is created as
    createsuperuser would be, and audited as such."""
    if province.level != Place.Level.PROVINCE or not province.is_current:
        raise ValidationError("The command centre answers for a whole (current) province.")
    account = User(username=username.strip(), role=Role.COMMAND, place=province, full_name=nfc(full_name))
    validate_password(password, account)
    account.set_password(password)
    account.full_clean()
    account.save()
    audit.record(actor=None, action=AuditEvent.Action.CREATE, obj=account, reason="bootstrap command account",
                 changes=audit.diff({}, _snapshot(account)))
    return account


@transaction.atomic
def update_account(*, actor: User, account: User, **fields) -> User:
    account = get_account_for_user(actor, account.pk, write=True)
    account = User.objects.select_for_update().get(pk=account.pk)
    before = _snapshot(account)
    for field, value in fields.items():
        if field not in FIELDS:
            raise ValueError(field)
        setattr(account, field, value)
    _check_grant(actor, role=account.role, place=account.place, organization=account.organization)
    account.full_name = nfc(account.full_name)
    account.full_clean()
    account.save()
    changes = audit.diff(before, _snapshot(account))
    if changes:
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=account, changes=changes)
    return account


@transaction.atomic
def reset_password(*, actor: User, account: User, password: str) -> None:
    account = get_account_for_user(actor, account.pk, write=True)
    validate_password(password, account)
    account.set_password(password)
    account.save(update_fields=["password"])
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=account, changes={"password": ["***", "***"]},
                 reason="password reset by manager")


@transaction.atomic
def change_own_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise PermissionDenied
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor=user, action=AuditEvent.Action.UPDATE, obj=user, changes={"password": ["***", "***"]})


@transaction.atomic
def set_language(*, user: User, language: str) -> None:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
