"""What a delivery error means for the person who sent the message, in their language.

The channels word their errors for the log and the administrator (English, with the provider's own answer); the
outbox shows those as details under one of these plain sentences, chosen by how the error begins."""

from __future__ import annotations

from django.utils.translation import gettext as _

# (how the channel's error begins or what it holds, what it means for the sender), first match wins.
_MEANINGS = (
    (("no recipient address",),
     lambda: _("There is no address to send to: add a phone number or e-mail address to the receiving unit or "
               "account, then send again.")),
    (("not a phone number", "not an e-mail address", "not an http(s) url", "webhook url not allowed"),
     lambda: _("The address is not one this channel can reach: correct it, then send again.")),
    (("channel is not enabled", "is not set"),
     lambda: _("This channel is not set up on this server: tell the system administrator.")),
    (("gateway refused", "recipient refused", "http 4"),
     lambda: _("The provider refused the message: see the details.")),
)


def explain(error: str) -> str:
    """The sender's reading of a channel's error ("" for no error)."""
    if not error:
        return ""
    folded = error.lower()
    for marks, meaning in _MEANINGS:
        if any(mark in folded for mark in marks):
            return meaning()
    return _("Sending failed: see the details. Failed messages are tried again a few times.")
