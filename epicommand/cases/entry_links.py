"""One-time entry links and short codes for patients without an account.

A link carries a random token (192 bits) in its URL; a short code of six digits is typed with the patient's
phone number on the code page. Only hashes are stored: SHA-256 of the token; an HMAC (keyed by the server's
secret) of phone and code, so a stolen table reveals neither. A link expires after
`EPICOMMAND_ENTRY_LINK_HOURS` (24 by default), serves one entry, and locks after `MAX_FAILED` wrong codes
typed with its patient's phone number. The SMS that carries a link goes through the outbox (its body holds
the secret until delivered; that is the price of sending it)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, User
from epicommand.notify.models import Message
from epicommand.notify.services import notify

from .models import EntryLink, HomeCare, Observation

MAX_FAILED = 5
CODE_DIGITS = 6


def link_hours() -> int:
    return int(getattr(settings, "EPICOMMAND_ENTRY_LINK_HOURS", 24))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def phone_digits(phone: str) -> str:
    digits = "".join(c for c in phone or "" if c.isdigit())
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]  # +84 912… and 0912… are one number
    return digits


def code_hash(phone: str, code: str) -> str:
    message = f"{phone_digits(phone)}:{code.strip()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class NewLink:
    link: EntryLink
    token: str
    code: str


def usable(queryset=None):
    qs = queryset if queryset is not None else EntryLink.objects.all()
    return qs.filter(used_at__isnull=True, expires_at__gt=timezone.now(), failed_attempts__lt=MAX_FAILED,
                     home_care__status=HomeCare.Status.ACTIVE)


@transaction.atomic
def create_link(*, actor: User, home_care: HomeCare) -> NewLink:
    if home_care.status != HomeCare.Status.ACTIVE:
        raise ValidationError(_("This patient is no longer under home treatment."))
    phone = home_care.case.person.phone
    if not phone_digits(phone):
        raise ValidationError(_("The patient has no phone number: the code needs one."))
    # A new link replaces the patient's unused ones: one live code per patient keeps a guess at a phone's code
    # to one chance in a million, and a link forgotten in an old SMS stops working.
    now = timezone.now()
    usable(EntryLink.objects.filter(home_care=home_care)).update(expires_at=now)
    token = secrets.token_urlsafe(24)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    link = EntryLink.objects.create(home_care=home_care, token_hash=token_hash(token), code_hash=code_hash(phone, code),
                                    created_by=actor, expires_at=now + timedelta(hours=link_hours()))
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=link, place=home_care.commune,
                 changes={"expires_at": [None, link.expires_at.isoformat()]})
    return NewLink(link=link, token=token, code=code)


def send_link(*, actor: User, new: NewLink, url: str, code_url: str) -> Message:
    """The link and code by SMS to the patient's phone, in Vietnamese."""
    home = new.link.home_care
    with translation.override("vi"):
        body = _("EpiCommand: enter your vital signs at %(url)s or with code %(code)s at %(code_url)s. "
                 "Valid until %(until)s.") % {
            "url": url, "code": new.code, "code_url": code_url,
            "until": timezone.localtime(new.link.expires_at).strftime("%H:%M %d/%m/%Y")}
    return notify(channel=Message.Channel.SMS, to=home.case.person.phone, body=body, kind="home_care.entry_link",
                  sender=actor, place=home.commune, about=home)


def by_token(token: str) -> EntryLink | None:
    """The link of a token, whatever its state (the page says why it can no longer be used)."""
    return (EntryLink.objects.select_related("home_care__case__person").filter(token_hash=token_hash(token)).first()
            if token else None)


RECENT_USE = timedelta(minutes=15)


def just_used(link: EntryLink | None) -> bool:
    """Used in the last minutes: a second tap on "Send" or the page reloaded, which is answered with the
    thanks again rather than an error (the entry is not recorded twice)."""
    return link is not None and link.used_at is not None and timezone.now() - link.used_at < RECENT_USE


def problem(link: EntryLink | None) -> str:
    if link is None:
        return _("This link is not valid.")
    if link.used_at is not None:
        return _("This link has already been used. Ask your health worker for a new one.")
    if link.expires_at <= timezone.now():
        return _("This link has expired. Ask your health worker for a new one.")
    if link.failed_attempts >= MAX_FAILED:
        return _("This link is locked after too many wrong codes. Ask your health worker for a new one.")
    if link.home_care.status != HomeCare.Status.ACTIVE:
        return _("Your home treatment has ended.")
    return ""


def by_code(phone: str, code: str) -> EntryLink | None:
    """The usable link of this phone and code; a wrong code counts against the phone's usable links.

    The same work is done whether or not the phone has a link (the code's HMAC, one SELECT and one UPDATE),
    and the stored hashes are compared in constant time, so neither the answer nor its timing tells an
    attacker whether a phone number belongs to a patient at home."""
    digits = phone_digits(phone)
    code = (code or "").strip()
    wanted = code_hash(phone, code if code.isdigit() else "-")
    phones = _phone_forms(digits) if digits else ["-"]
    candidates = list(usable(EntryLink.objects.select_related("home_care__case__person")).filter(
        home_care__case__person__phone__in=phones).order_by("-created_at", "pk"))
    found = None
    for link in candidates:
        if hmac.compare_digest(link.code_hash, wanted) and found is None and code.isdigit():
            found = link
    if found is None:
        usable().filter(home_care__case__person__phone__in=phones).update(failed_attempts=F("failed_attempts") + 1)
    return found


# ---- attempts on the code page ----------------------------------------------------------------------------
# Six digits and five tries per phone bound the guesses against one patient, but not a spray of guesses over
# many phone numbers: wrong codes are also counted per client address and for the whole site, in the cache,
# for an hour from the first of them. Past either limit the page refuses every code (the same answer for every
# phone) until that hour is over. With several server processes the cache must be a shared one (CACHES) for the limits
# to hold across them.

THROTTLE_WINDOW = 3600


def _limits() -> tuple[int, int]:
    return (int(getattr(settings, "EPICOMMAND_ENTRY_CODE_FAILURES_PER_ADDRESS", 20)),
            int(getattr(settings, "EPICOMMAND_ENTRY_CODE_FAILURES_TOTAL", 500)))


def _throttle_keys(address: str | None) -> tuple[str, str]:
    return f"cases.entry_code.fail.{address or 'unknown'}", "cases.entry_code.fail.all"


def code_attempts_blocked(address: str | None) -> bool:
    per_address, total = _limits()
    mine, everyone = _throttle_keys(address)
    counts = cache.get_many([mine, everyone])
    return counts.get(mine, 0) >= per_address or counts.get(everyone, 0) >= total


def count_code_failure(address: str | None) -> None:
    for key in _throttle_keys(address):
        if not cache.add(key, 1, timeout=THROTTLE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=THROTTLE_WINDOW)


def _phone_forms(digits: str) -> list[str]:
    forms = {digits}
    if digits.startswith("0"):
        forms |= {"84" + digits[1:], "+84" + digits[1:]}
    return sorted(forms)


@transaction.atomic
def enter(*, link: EntryLink, values: dict) -> Observation:
    """Use the link once: claim it with a conditional UPDATE (two taps cannot both use it), then record."""
    from .monitoring import record_observation

    now = timezone.now()
    claimed = usable(EntryLink.objects.filter(pk=link.pk)).update(used_at=now)
    if not claimed:
        raise ValidationError(problem(EntryLink.objects.select_related("home_care").get(pk=link.pk))
                              or _("This link can no longer be used."))
    taken_at = now.replace(second=0, microsecond=0)
    return record_observation(actor=None, case=link.home_care.case, taken_at=taken_at,
                              source=Observation.Source.PATIENT, **values)
