"""Logins, failed logins and logouts are audited. Django's auth signals are the hook it offers."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditEvent


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record(actor=user, action=AuditEvent.Action.LOGIN)
    session = getattr(request, "session", None)
    if session is not None:
        # The login writes the session anyway: the idle renewal need not write it again this minute.
        from .middleware import SessionIdleMiddleware, current_minute

        session[SessionIdleMiddleware.KEY] = current_minute()


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action=AuditEvent.Action.LOGOUT)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    known = get_user_model().objects.filter(username=username).first()
    audit.record(
        actor=None, action=AuditEvent.Action.LOGIN_FAILED, username=username,
        object_type="core.User" if known else "", object_id=str(known.pk) if known else "", object_repr=username,
        place=known.jurisdiction_place if known else None,
    )
