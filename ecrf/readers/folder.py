"""A folder that mixes formats: each file is read by the reader that recognises its content.

A folder of CSV files only is left to the CSV reader; as soon as one file is a workbook, a SAS dataset, a
Dataset-JSON file, a Parquet file or a zip, every file is dispatched by content and the forms are merged
(a form delivered twice, in any two formats, is an input error).
"""

from __future__ import annotations

from pathlib import Path

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader, readers
from ecrf.readers.canonical import canonical_table
from ecrf.readers.csv_folder import check_entry, read_csv_cells


def file_readers() -> list[Reader]:
    """Readers that read a single file (not a folder), in the order they are asked."""
    return [r for r in readers().values() if r.name not in ("csv", "folder")]


def _claim(path: Path, candidates: list[Reader]) -> Reader | None:
    for r in candidates:
        try:
            if r.sniff(path):
                return r
        except OSError:
            continue
    return None


def is_mixed_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    candidates = file_readers()
    return any(p.is_file() and p.suffix.lower() != ".csv" and _claim(p, candidates)
               for p in path.iterdir())


def read_folder(folder: Path, model: StudyModel) -> Export:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "expected a folder of export files")
    export = Export(folder, format="folder")
    read_folder_into(folder, model, export)
    if not export.tables and not export.unknown_files:
        raise InputError(folder, "no export files found (CSV, Excel, SAS, Dataset-JSON, Parquet or zip)")
    return export


def read_folder_into(folder: Path, model: StudyModel, export: Export, label: str = "",
                     nested: bool = True) -> None:
    """Add every export file in `folder` to `export`; nested=False (inside a zip): a zip in it is refused."""
    candidates = file_readers()
    formats = set()
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if not p.is_file():
            continue
        if p.suffix.lower() == ".csv":
            check_entry(folder, p)
            df, numbers, trimmed = read_csv_cells(p)
            form = model.form_for_file(p.stem)
            if form is None:
                export.unknown_files[label + p.name] = df.height
            else:
                export.add(canonical_table(p, df, form, numbers, trimmed=trimmed))
            formats.add("csv")
            continue
        r = _claim(p, candidates)
        if r is not None and r.name == "zip" and not nested:
            raise InputError(p, "a zip inside the zip: unzip the inner archive first")
        if r is None:
            continue  # not an export file (a manifest, a README): ignored, as the CSV reader does
        merge(export, r.read(p, model))
        formats.add(r.name)
    export.format = "+".join(sorted(formats)) or export.format


def merge(export: Export, other: Export) -> None:
    for t in other.tables.values():
        export.add(t)
    export.unknown_files.update(other.unknown_files)
    export.problems.extend(other.problems)


READER = Reader("folder", "a folder mixing any of these formats, each file read by its content",
                is_mixed_folder, read_folder, order=85)
