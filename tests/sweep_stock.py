"""The sweep's entries for the vaccination stock screens (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable

from . import sweep_targets as t  # noqa: F401  (targets for OBJECT_URLS)

# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
