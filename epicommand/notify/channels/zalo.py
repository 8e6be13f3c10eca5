"""Zalo Official Account: POST {"recipient": {"user_id"}, "message": {"text"}} to the OA message
endpoint with the OA access token in the `access_token` header (Zalo OA Open API v3). Zalo answers
HTTP 200 with {"error": 0, "data": {"message_id"}} on success and a negative error code otherwise.

The default endpoint is the "consultation" (cs) message, which Zalo delivers only to users who
follow the OA and have interacted with it recently; proactive notices to others need ZNS templates,
a different API. The endpoint is configurable (NOTIFY_ZALO["URL"]). The access token expires and is
renewed with a refresh token outside this app: EPICOMMAND_ZALO_ACCESS_TOKEN must be kept current."""

from __future__ import annotations

from .. import conf
from . import Channel, PermanentError, TransientError, register
from .http import dig, post_json


@register
class Zalo(Channel):
    name = "zalo"

    def problems(self) -> list[str]:
        cfg = conf.get("NOTIFY_ZALO")
        return [f"{name} is not set" for name, key in (("EPICOMMAND_ZALO_URL", "URL"),
                                                       ("EPICOMMAND_ZALO_ACCESS_TOKEN", "ACCESS_TOKEN"))
                if not cfg[key]]

    def send(self, message) -> str:
        self.check_address(message.to)
        if problems := self.problems():
            raise PermanentError("; ".join(problems))
        cfg = conf.get("NOTIFY_ZALO")
        answer = post_json(cfg["URL"], {"recipient": {"user_id": message.to.strip()},
                                        "message": {"text": message.body}},
                           headers={"access_token": cfg["ACCESS_TOKEN"]})
        data = answer.json()
        if not isinstance(data, dict):
            raise TransientError(f"unreadable answer from Zalo: {answer.text}")
        try:
            code = int(data.get("error", 0))
        except (TypeError, ValueError):
            code = -1
        if code != 0:
            text = f"Zalo error {code}: {data.get('message', '')}"
            retry_codes = {int(c) for c in cfg["RETRY_CODES"]}
            raise (TransientError if code in retry_codes else PermanentError)(text)
        return str(dig(data, "data.message_id") or f"http-{answer.status}")
