"""Webhook: POST the message as JSON to the URL in its address. With a secret set, the request is
signed: X-EpiCommand-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>") with the timestamp
in X-EpiCommand-Timestamp, so the receiver can check both origin and freshness. Receivers should
deduplicate on X-EpiCommand-Message-Id: a retry after a lost answer sends the same message again."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from .. import conf
from . import Channel, PermanentError, register
from .http import check_url, dig, post


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def payload(message) -> dict:
    return {
        "id": message.pk,
        "kind": message.kind,
        "subject": message.subject,
        "body": message.body,
        "about": {"type": message.about_type, "id": message.about_id} if message.about_type else None,
        "place": message.place.code if message.place_id else None,
        "organization": message.organization_id,
        "created_at": message.created_at.isoformat() if message.created_at else None,
        "attempt": message.attempts,
    }


@register
class Webhook(Channel):
    name = "webhook"

    def check_address(self, to: str) -> None:
        super().check_address(to)
        check_url(to)
        allowed = conf.get("NOTIFY_WEBHOOK")["ALLOWED_PREFIXES"]
        if allowed and not any(to.startswith(prefix) for prefix in allowed):
            raise PermanentError(f"webhook URL not allowed here: {to[:200]}")

    def send(self, message) -> str:
        self.check_address(message.to)
        body = json.dumps(payload(message), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-EpiCommand-Message-Id": str(message.pk)}
        if secret := conf.get("NOTIFY_WEBHOOK")["SECRET"]:
            timestamp = str(int(time.time()))
            headers["X-EpiCommand-Timestamp"] = timestamp
            headers["X-EpiCommand-Signature"] = signature(secret, timestamp, body)
        answer = post(message.to, data=body, headers=headers)
        data = answer.json()
        provider_id = dig(data, "id") if isinstance(data, dict) else None
        return str(provider_id) if provider_id not in (None, "") else f"http-{answer.status}"
