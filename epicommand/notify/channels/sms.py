"""SMS through a generic HTTP gateway. Vietnamese gateways differ in parameter names, in where the
key goes and in how they report a refusal, so all of that is configuration (NOTIFY_SMS)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from .. import conf
from . import Channel, PermanentError, register
from .http import dig, post, post_json

PHONE = re.compile(r"^\+?\d{8,15}$")


def clean_phone(to: str) -> str:
    return re.sub(r"[\s.\-()]", "", to)


@register
class Sms(Channel):
    name = "sms"

    def check_address(self, to: str) -> None:
        super().check_address(to)
        if not PHONE.match(clean_phone(to)):
            raise PermanentError(f"not a phone number: {to}")

    def problems(self) -> list[str]:
        cfg = conf.get("NOTIFY_SMS")
        found = [] if cfg["URL"] else ["EPICOMMAND_SMS_URL is not set"]
        if cfg["FORMAT"] not in ("json", "form"):
            found.append("EPICOMMAND_SMS_FORMAT must be json or form")
        return found

    def send(self, message) -> str:
        self.check_address(message.to)
        if problems := self.problems():
            raise PermanentError("; ".join(problems))
        cfg = conf.get("NOTIFY_SMS")
        params = {**cfg["EXTRA"], cfg["TO_PARAM"]: clean_phone(message.to), cfg["TEXT_PARAM"]: message.body}
        if cfg["SENDER"]:
            params[cfg["SENDER_PARAM"]] = cfg["SENDER"]
        if cfg["REF_PARAM"]:
            params[cfg["REF_PARAM"]] = f"epicommand-{message.pk}"
        headers = {}
        if cfg["TOKEN"] and cfg["TOKEN_PARAM"]:
            params[cfg["TOKEN_PARAM"]] = cfg["TOKEN"]
        elif cfg["TOKEN"]:
            headers["Authorization"] = f"Bearer {cfg['TOKEN']}"
        if cfg["FORMAT"] == "form":
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
            answer = post(cfg["URL"], data=urlencode(params).encode("utf-8"), headers=headers)
        else:
            answer = post_json(cfg["URL"], params, headers=headers)
        data = answer.json()
        if cfg["OK_FIELD"] and str(dig(data, cfg["OK_FIELD"])) != str(cfg["OK_VALUE"]):
            # The gateway answered 200 but refused (a wrong brand name, no credit, a blocked number).
            raise PermanentError(f"gateway refused: {answer.text}")
        provider_id = dig(data, cfg["ID_FIELD"]) if cfg["ID_FIELD"] else None
        return str(provider_id) if provider_id not in (None, "") else f"http-{answer.status}"
