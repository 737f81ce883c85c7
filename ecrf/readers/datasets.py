"""Shared by the formats that hold one dataset per file (SAS XPT and SAS7BDAT, Dataset-JSON, Parquet): the
file's name (or the dataset name inside it) names the form, each record is a row, provenance is the record
number in the format's terms (`lb.xpt obs 12`, `lb.json row 3`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export
from ecrf.readers.canonical import canonical_table


def add_dataset(export: Export, path: Path, text: pl.DataFrame, model: StudyModel, unit: str,
                names: tuple[str, ...] = (), first: int = 1) -> None:
    """Add one dataset (text columns) to `export` as the form its file stem, or else one of `names` (the
    dataset name the file carries), names; a dataset matching no form is counted in unknown_files."""
    form = model.form_for_file(path.stem)
    for n in names:
        if form is None and n:
            form = model.form_for_file(n.lower())
    if form is None:
        export.unknown_files[path.name] = text.height
        return
    if not text.width:
        raise InputError(path, "the dataset has no variables")
    numbers = list(range(first, first + text.height))
    refs = [f"{path.name} {unit} {n}" for n in numbers]
    try:
        table = canonical_table(path, text, form, numbers, refs=refs)
    except InputError as exc:  # a dataset has variables, not a header row
        raise InputError(path, exc.message.replace("column missing from the header", "variable missing")
                         .replace("in the header", "among the variables"), column=exc.column) from None
    export.add(table)


def suffix_or_magic(path: Path, suffixes: tuple[str, ...], magics: tuple[bytes, ...], offset: int = 0) -> bool:
    """A file is claimed by its leading bytes, or by its suffix so that a damaged one gets that format's error."""
    if not path.is_file():
        return False
    if path.suffix.lower() in suffixes:
        return True
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            head = fh.read(max(len(m) for m in magics))
    except OSError:
        return False
    return any(head.startswith(m) for m in magics)
