from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .audit import current_ip


class RequestContextMiddleware:
    """Remembers the client address for audit events written while serving this request."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.trust_proxy = getattr(settings, "EPICOMMAND_TRUST_X_FORWARDED_FOR", False)

    def __call__(self, request):
        ip = request.META.get("REMOTE_ADDR")
        if self.trust_proxy and request.META.get("HTTP_X_FORWARDED_FOR"):
            ip = request.META["HTTP_X_FORWARDED_FOR"].split(",")[0].strip()
        token = current_ip.set(ip or None)
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
