"""Console: prints the message. The development channel, and the stand-in for channels a development
machine has not configured (NOTIFY_CONSOLE_FALLBACK)."""

from __future__ import annotations

import logging
import sys

from . import Channel, register

logger = logging.getLogger("epicommand.notify")


@register
class Console(Channel):
    name = "console"

    def check_address(self, to: str) -> None:
        pass  # anything goes: nothing leaves the machine

    def send(self, message) -> str:
        provider_id = f"console-{message.pk}-{message.attempts}"
        lines = [
            "-" * 72,
            f"[epicommand.notify] {message.channel} → {message.to or '—'}  ({provider_id})",
            f"kind: {message.kind or '—'}  about: {message.about_type or '—'} {message.about_id}",
        ]
        if message.subject:
            lines.append(f"subject: {message.subject}")
        lines += ["", message.body, "-" * 72, ""]
        sys.stdout.write("\n".join(lines))
        sys.stdout.flush()
        logger.info("console delivery of message %s (%s)", message.pk, message.kind)
        return provider_id
