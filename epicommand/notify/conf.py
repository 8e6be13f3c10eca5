"""The outbox's settings, read at the moment they are used (so tests can override them) and with
defaults, so the app runs before a deployment sets any of them. settings.py fills them from the
environment; nothing here reads the environment itself."""

from __future__ import annotations

from typing import Any

from django.conf import settings

CHANNEL_NAMES = ("console", "email", "sms", "zalo", "webhook")

DEFAULTS: dict[str, Any] = {
    # Which channels deliver for real. A message for another channel is dead at its first attempt
    # ("not enabled"), or printed by the console channel when NOTIFY_CONSOLE_FALLBACK is on.
    "NOTIFY_CHANNELS": ["console", "email"],
    "NOTIFY_CONSOLE_FALLBACK": None,  # None: follow DEBUG
    "NOTIFY_MAX_ATTEMPTS": 6,
    # Back-off after the n-th failed attempt: BASE × FACTOR^(n-1), capped: 1 min, 5, 25, 2 h, 2 h.
    "NOTIFY_BACKOFF_SECONDS": 60,
    "NOTIFY_BACKOFF_FACTOR": 5,
    "NOTIFY_BACKOFF_MAX_SECONDS": 2 * 3600,
    "NOTIFY_TIMEOUT_SECONDS": 10,
}

CHANNEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "NOTIFY_SMS": {
        "URL": "",
        "TOKEN": "",
        "FORMAT": "json",          # json | form
        "TO_PARAM": "to",
        "TEXT_PARAM": "text",
        "SENDER": "",              # brand name registered with the gateway
        "SENDER_PARAM": "from",
        "TOKEN_PARAM": "",         # empty: "Authorization: Bearer <token>"; else a parameter of this name
        "REF_PARAM": "",           # a parameter carrying our message id, for gateways that deduplicate
        "EXTRA": {},               # fixed parameters every request carries (e.g. {"SmsType": "2"})
        "ID_FIELD": "id",          # where the gateway's message id is in its JSON answer (dotted path)
        "OK_FIELD": "",            # for gateways answering 200 to failures: field that must equal OK_VALUE
        "OK_VALUE": "",
    },
    "NOTIFY_ZALO": {
        "URL": "https://openapi.zalo.me/v3.0/oa/message/cs",
        "ACCESS_TOKEN": "",
        # Zalo answers HTTP 200 with {"error": <code>}; these codes are retried, any other is final.
        "RETRY_CODES": [-32, -124, -216],
    },
    "NOTIFY_WEBHOOK": {
        "SECRET": "",
        "ALLOWED_PREFIXES": [],    # empty: any http(s) URL
    },
}


def get(name: str) -> Any:
    if name in CHANNEL_DEFAULTS:
        return {**CHANNEL_DEFAULTS[name], **getattr(settings, name, {})}
    value = getattr(settings, name, DEFAULTS[name])
    if name == "NOTIFY_CONSOLE_FALLBACK" and value is None:
        return bool(settings.DEBUG)
    return value


def enabled_channels() -> list[str]:
    return [c for c in get("NOTIFY_CHANNELS") if c]


def timeout() -> float:
    return float(get("NOTIFY_TIMEOUT_SECONDS"))


def lease_seconds() -> int:
    """How long a claimed message stays "sending" before another worker may take it over: far
    longer than any send can take, so only a worker that died mid-send loses its claim."""
    return max(300, int(10 * timeout()))
