from __future__ import annotations

from django.conf import settings

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
