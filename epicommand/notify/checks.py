"""`manage.py check` tells an operator which enabled channel lacks its settings."""

from __future__ import annotations

from django.core import checks

from . import channels, conf


def check_channels(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for name in conf.enabled_channels():
        if name not in channels.names():
            found.append(checks.Error(f"Unknown notification channel {name!r} in NOTIFY_CHANNELS.",
                                      hint=f"Use some of: {', '.join(channels.names())}.", id="notify.E001"))
            continue
        for problem in channels.get(name).problems():
            found.append(checks.Warning(f"The {name} channel is enabled but {problem}.",
                                        hint="Its messages will give up at their first attempt.", id="notify.W001"))
    if "webhook" in conf.enabled_channels() and not conf.get("NOTIFY_WEBHOOK")["ALLOWED_PREFIXES"]:
        # Officers type a webhook's address (a reminder's "To"): unbounded, the server would post wherever asked.
        found.append(checks.Warning(
            "The webhook channel is enabled with no EPICOMMAND_WEBHOOK_ALLOWED_PREFIXES.",
            hint="Anyone who may send a reminder could make this server post to any address, internal ones "
                 "included: list the allowed URL prefixes.", id="notify.W002"))
    return found
