"""Read a folder of CSV files, one per form, into canonical tables.

Readers know formats, not clinical rules: they report what cannot be read as an InputError and hand
every readable row on, so rows read always equal rows checked.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Reader
from ecrf.readers.canonical import canonical_table
from ecrf.table import Table

_BINARY_MAGIC = {b"PK\x03\x04": "a ZIP or Excel workbook", b"\xd0\xcf\x11\xe0": "an old Excel/OLE file",
                 b"%PDF": "a PDF", b"\x1f\x8b": "a gzip archive", b"<?xml": "an XML document"}


def read_csv_folder(folder: Path, model: StudyModel) -> Export:
    folder = Path(folder)
    if not folder.exists():
        raise InputError(folder, "no such file or folder")
    if not folder.is_dir():
        raise InputError(folder, "expected a folder with one CSV file per form")
    export = Export(folder)
    csvs = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    if not csvs:
        raise InputError(folder, "no CSV files found (expected one file per form, e.g. dm.csv)")
    for path in csvs:
        header, rows = read_csv_file(path)
        form = model.form_for_file(path.stem)
        if form is None:
            export.unknown_files[path.name] = len(rows)
            continue
        export.add(_to_table(path, header, rows, form))
    return export


def read_csv_file(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of one CSV file, or an InputError naming the file, row and column."""
    raw = path.read_bytes()
    if not raw.strip():
        raise InputError(path, "file is empty: expected a header row naming the columns", row=1)
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise InputError(path, f"not a CSV text file: it looks like {what}")
    if b"\x00" in raw[:65536]:
        raise InputError(path, "not a CSV text file: it contains NUL bytes (UTF-16 or binary?)")
    text = _decode(path, raw)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV: {exc}", row=reader.line_num) from None
    header = [h.strip() for h in header]
    _check_header(path, header)
    width = len(header)
    for i, r in enumerate(rows):
        if len(r) != width:
            if not any(c.strip() for c in r):
                continue  # blank line: no data, filtered below
            col = header[width - 1] if len(r) > width else header[len(r)] if len(r) < width else None
            raise InputError(path, f"ragged row: {len(r)} fields where the header has {width}",
                             row=i + 2, column=col)
    return header, rows


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        start = raw.rfind(b"\n", 0, exc.start) + 1
        header = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
        col_idx = raw.count(b",", start, exc.start)
        col = header[col_idx].strip() if col_idx < len(header) else None
        raise InputError(path, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); re-export as UTF-8",
                         row=line, column=col) from None


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            raise InputError(path, f"header column {i + 1} has no name", row=1)
        key = h.lower()
        if key in seen:
            raise InputError(path, f"column {h} appears twice in the header", row=1, column=h)
        seen[key] = i


def _to_table(path: Path, header: list[str], rows: list[list[str]], form) -> Table:
    numbered = [(i + 2, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    df = pl.DataFrame({h: [r[j] for _, r in numbered] for j, h in enumerate(header)},
                      schema={h: pl.Utf8 for h in header})
    return canonical_table(path, df, form, [n for n, _ in numbered])


def _is_folder(path: Path) -> bool:
    return path.is_dir()  # asked last: any folder no other reader claims is read as CSV files


READER = Reader("csv", "a folder with one CSV file per form (dm.csv, ae.csv, ...)", _is_folder,
                read_csv_folder, order=90, suffixes=(".csv",))
