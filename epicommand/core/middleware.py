from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .audit import current_ip


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind EPICOMMAND_PROXIES trusted reverse proxies the
    hop they appended to X-Forwarded-For (the client can write the entries before it, never that one).
    Used by audit and by the login lock-out alike."""
    proxies = getattr(settings, "EPICOMMAND_PROXIES", 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def current_minute() -> int:
    return int(time.time() // 60)


class SessionIdleMiddleware:
    """Keeps a signed-in session alive while it is used, writing it at most once a minute.

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) would cost a write per page and per
    recorded dose; the idle timeout (SESSION_COOKIE_AGE, hours) loses nothing when measured to the minute."""

    KEY = "_active_minute"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            minute = current_minute()
            if session.get(self.KEY) != minute:
                session[self.KEY] = minute  # modified: SessionMiddleware saves it with a new expiry
        return self.get_response(request)


class RequestContextMiddleware:
    """Remembers the client address for audit events written while serving this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class LanguageMiddleware:
    """Vietnamese unless the user chose otherwise with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a nurse whose phone is set
    to English would lose the Vietnamese default. Only the explicit choice (cookie, restored at login
    from the account) counts here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response
