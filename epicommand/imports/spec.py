"""What a domain declares to import through the pipeline: its columns (with the headers people
write for them) and two functions, one that prepares a row and one that writes a batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    # Headers that mean this column, as fold() gives them ("ho va ten", "so cccd", …).
    synonyms: tuple[str, ...]
    required: bool = False


class RowRejected(Exception):
    """A row that cannot be imported: a list of (column key or "", message)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


@dataclass
class Prepared:
    row: int           # 1-based row number in the sheet, as the user sees it
    key: Any           # identity of the record, to find duplicates and existing rows
    data: dict[str, Any]


@dataclass
class Outcome:
    row: int
    result: str        # "created", "updated", "unchanged" or "rejected"
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Context:
    """What a run knows: who runs it, the default commune, whether anything may be written."""

    actor: Any
    dry_run: bool
    default_commune: Any = None
    import_run: Any = None
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportSpec:
    name: str
    label: str | Promise
    capability: str
    columns: tuple[Column, ...]
    begin: Callable[[Context], None]
    prepare: Callable[[Context, dict[str, Any], int], Prepared]
    write: Callable[[Context, list[Prepared]], list[Outcome]]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


_SPECS: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> None:
    _SPECS[spec.name] = spec


def get_spec(name: str) -> ImportSpec:
    return _SPECS[name]


def specs() -> list[ImportSpec]:
    return list(_SPECS.values())
