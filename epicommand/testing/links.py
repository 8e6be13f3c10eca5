"""What the testing app tells others: results that have just become positive.

A domain that acts on positives (cases opens a case from them) registers a listener at app ready. The
testing services call every listener INSIDE their transaction, as `fn(actor=<User|None>, tests=[Test, ...])`,
with the tests whose result has just become POSITIVE (an entered result, a follow-up of a pool, an import),
so a listener that fails rolls the result back with it and nothing is half-written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Listener = Callable[..., Any]
_LISTENERS: list[Listener] = []


def register_result_listener(fn: Listener) -> None:
    if fn not in _LISTENERS:
        _LISTENERS.append(fn)


def unregister_result_listener(fn: Listener) -> None:
    """For tests that register a listener of their own."""
    if fn in _LISTENERS:
        _LISTENERS.remove(fn)


def new_positives(*, actor: Any, tests: Iterable) -> None:
    """Call every listener with the tests that have just become positive (nothing when there are none)."""
    found = list(tests)
    if not found:
        return
    for fn in list(_LISTENERS):
        fn(actor=actor, tests=found)
