"""Readers turn an export into canonical tables: one polars DataFrame of text per form, with provenance.

Every format has one module here that defines `READER` (a `Reader`); importing this package finds them, so
adding a format is adding a module. `read_export` picks the reader from the content (or `input_format`).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.table import Table


@dataclass
class Problem:
    """Something a reader met in the data that is a finding, not an input error (an unknown ODM OID, an Excel
    error cell): `kind` is the id of the registered check that reports it."""

    kind: str
    message: str
    file: str
    form: str | None = None      # form domain, when the problem sits in a form's table
    idx: int | None = None       # 0-based row of that table, when it sits on a record
    field: str | None = None
    value: str | None = None
    expected: str | None = None
    ref: str | None = None       # where, in the format's own terms (lb!C17, an ODM path, a REDCap field)


@dataclass
class Export:
    """What a reader returns: the tables it understood, the files it did not, and what it met on the way."""

    source: Path
    tables: dict[str, Table] = field(default_factory=dict)  # by form domain
    unknown_files: dict[str, int] = field(default_factory=dict)  # file name -> data rows (not checked)
    problems: list[Problem] = field(default_factory=list)
    format: str = "csv"

    def add(self, table: Table) -> None:
        """Add one form's table; a form delivered twice is an input error, never a silent overwrite."""
        d = table.form.domain
        if d in self.tables:
            other = self.tables[d].path.name
            raise InputError(table.path, f"form {d} is also exported as {other}; keep one file per form")
        self.tables[d] = table


@dataclass(frozen=True)
class Reader:
    """One input format. `sniff(path)` says from the content whether the file or folder is of this format;
    `read(path, model)` returns the canonical tables or raises InputError. Lower `order` is asked first."""

    name: str
    description: str
    sniff: Callable[[Path], bool]
    read: Callable[[Path, StudyModel], Export]
    order: int = 50
    suffixes: tuple[str, ...] = ()
    # Writes an export of this format into an empty folder from {domain: text frame, columns titled as
    # exported, '' or null for missing}; used by `ecrf example --format` to prove the reader round-trips.
    write: Callable[[Path, dict, StudyModel], None] | None = None


def readers() -> dict[str, Reader]:
    """Every reader module's READER, by name, in the order they are asked."""
    found = []
    for mod in pkgutil.iter_modules(__path__):
        r = getattr(importlib.import_module(f"{__name__}.{mod.name}"), "READER", None)
        if isinstance(r, Reader):
            found.append(r)
    return {r.name: r for r in sorted(found, key=lambda r: (r.order, r.name))}


def _refuse_huge(path: Path, known: dict[str, Reader]) -> None:
    """Every file a reader may read (the export file, or the files of an export folder with a suffix some
    reader reads) over the size limit is refused before any is read: memory stays bounded whatever the format."""
    from ecrf import limits

    if path.is_file():
        limits.check_file_size(path)
        return
    if not path.is_dir():
        return
    suffixes = {s for r in known.values() for s in r.suffixes} | {".csv", ".xml", ".json"}
    for p in sorted(path.iterdir()):
        if p.suffix.lower() in suffixes and not p.is_symlink() and p.is_file():
            limits.check_file_size(p)


def read_export(path: Path, model: StudyModel, input_format: str | None = None) -> Export:
    """Read the export at `path` (a file or a folder) with the reader `input_format` names, or the first
    reader that recognises the content."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise InputError(path, "no such file or folder")
    known = readers()
    _refuse_huge(path, known)
    if input_format:
        if input_format not in known:
            raise InputError(path, f"unknown input format {input_format}; one of {', '.join(known)}")
        return known[input_format].read(path, model)
    for r in known.values():
        if r.sniff(path):
            return r.read(path, model)
    names = ", ".join(known)
    raise InputError(path, f"not an export this tool reads (formats: {names}); --input-format forces one")
