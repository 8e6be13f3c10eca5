"""Delivery channels. Each has `send(message) -> provider id` and raises TransientError (worth a
retry: timeouts, 5xx, rate limits) or PermanentError (retrying cannot help: bad address, 4xx).

Channels read their settings when they send, so a deployment (or a test) changes them without a
restart of anything but the worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Message


class DeliveryError(Exception):
    pass


class TransientError(DeliveryError):
    """The next attempt may succeed."""


class PermanentError(DeliveryError):
    """No attempt will succeed as things stand."""


class Channel:
    name = ""

    def check_address(self, to: str) -> None:
        """Raise PermanentError when `to` cannot be an address of this channel."""
        if not to.strip():
            raise PermanentError("no recipient address")

    def problems(self) -> list[str]:
        """What is missing from this channel's configuration (empty when it can send)."""
        return []

    def send(self, message: Message) -> str:
        raise NotImplementedError


_REGISTRY: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    _REGISTRY[cls.name] = cls
    return cls


def get(name: str) -> Channel:
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise LookupError(f"unknown notification channel {name!r}") from None


def names() -> list[str]:
    return list(_REGISTRY)


from . import console, email, sms, webhook, zalo  # noqa: E402, F401  (they register themselves)
