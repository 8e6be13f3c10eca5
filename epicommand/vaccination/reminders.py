"""Reminding a low-coverage commune: a message to its focal point (the commune health station) through the
notification outbox, and a Reminder row keeping when, by whom and on which figures it was sent."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can, place_is_within
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.repeats import saved_moments_ago
from epicommand.core.roles import Cap
from epicommand.notify.models import Message
from epicommand.notify.services import address_problem, notify

from . import coverage_queries as cq
from .models import Reminder

KIND = "vaccination.reminder"
# Channels whose address the station's record can give; the others need one typed in.
_STATION_FIELD = {Message.Channel.EMAIL: "email", Message.Channel.SMS: "phone"}
# A second identical reminder within this time is a double submit (a double tap, a reload), not a decision.
REPEAT_WINDOW = timedelta(minutes=5)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.1f}%".replace(".", ",")


def figures_of(row: cq.Row, on, threshold: float) -> dict:
    """What the reminder was sent on, kept with it (the figures move on, the reminder does not)."""
    return {"on": on.isoformat(), "target": row.target, "target_source": row.source, "gap": row.gap,
            "threshold": threshold, **{stage: n for stage, n, _s in row.stages()},
            **{f"{stage}_share": (round(share, 4) if share is not None else None)
               for stage, _n, share in row.stages()}}


def default_body(row: cq.Row, *, threshold: float, station: Organization | None = None, on=None) -> str:
    """The proposed text, in Vietnamese whatever the sender's screen language: it goes to a commune."""
    on = on or timezone.localdate()
    counts = row.counts
    with translation.override("vi"):
        return _(
            "To: %(station)s\n"
            "As of %(date)s, COVID-19 vaccination coverage in %(commune)s is below the province's "
            "threshold of %(threshold)s for at least one dose:\n"
            "- target population: %(target)s people\n"
            "- at least one dose: %(first)s people (%(first_share)s); %(gap)s people not yet vaccinated\n"
            "- primary series complete: %(primary)s people (%(primary_share)s)\n"
            "- booster: %(booster)s people (%(booster_share)s)\n"
            "Please report the reasons (people absent, refusals, deferrals, vaccine supply, register errors) and "
            "your plan to vaccinate the remaining people to the provincial CDC.\n"
            "Thank you."
        ) % {"station": station.name if station else row.name, "commune": row.name, "date": on.strftime("%d/%m/%Y"),
             "threshold": _percent(threshold), "target": row.target, "gap": row.gap,
             **counts, **{f"{stage}_share": _percent(row.share(stage)) for stage in counts}}


def focal_point(actor: User, commune: Place) -> Organization | None:
    return cq.focal_points(actor, [commune.pk]).get(commune.pk)


def send_reminder(*, actor: User, commune: Place, channel: str, body: str, to: str = "") -> Reminder:
    """Queue the reminder to the commune's health station and record it, audited, in one transaction."""
    if not can(actor, Cap.COVERAGE_REMIND) or not place_is_within(actor, commune):
        raise PermissionDenied
    if commune.level != Place.Level.COMMUNE:
        raise ValidationError(_("Reminders go to a commune."))
    if channel not in Message.Channel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    body, to = (body or "").strip(), (to or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the message.")})
    station = focal_point(actor, commune)
    if station is None:
        raise ValidationError(_("%(commune)s has no active commune health station to receive the reminder: "
                                "add one under Organizations first.") % {"commune": commune.name})
    if to and (problem := address_problem(channel, to)):
        raise ValidationError({"to": problem})
    field = _STATION_FIELD.get(channel)
    if not to and channel != Message.Channel.CONSOLE and not (field and getattr(station, field)):
        raise ValidationError({"to": _("%(station)s has no address for this channel: type one, or choose "
                                       "another channel.") % {"station": station.name}})
    today = timezone.localdate()
    threshold = cq.low_threshold(today)
    figures = figures_of(cq.commune_row(actor, commune, today), today, threshold)
    with translation.override("vi"):
        subject = _("Vaccination coverage: %(commune)s") % {"commune": commune.name}
    with transaction.atomic():
        # The commune's row is locked, so two submits arriving together are checked one after the other.
        repeated = saved_moments_ago(Place.objects.filter(pk=commune.pk),
                                     Reminder.objects.filter(commune=commune, sent_by=actor, message__body=body),
                                     "sent_at", within=REPEAT_WINDOW).order_by("-sent_at").first()
        if repeated is not None:
            raise ValidationError(
                _("You sent this same reminder to %(commune)s at %(time)s; it was not sent a second time. "
                  "Find it in the outbox, or change the message to send another one.")
                % {"commune": commune.name, "time": timezone.localtime(repeated.sent_at).strftime("%H:%M")})
        # About the commune, not the reminder: the reminder row needs the message first. The outbox can
        # then answer "was this commune reminded?" (notify.services.messages_about).
        message = notify(channel=channel, to=to, body=body, subject=subject, sender=actor, place=commune,
                         organization=station, kind=KIND, about=commune)
        reminder = Reminder.objects.create(commune=commune, message=message, figures=figures, sent_by=actor)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=reminder, place=commune,
                     changes={"channel": [None, channel], "message": [None, message.pk],
                              "first_share": [None, figures["first_share"]]})
    return reminder
