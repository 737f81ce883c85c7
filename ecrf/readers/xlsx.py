"""Read an Excel workbook (.xlsx, one sheet per form) into canonical tables: values with python-calamine, and
with openpyxl when the workbook holds formula or error cells (it tells them apart).

Cells keep what the workbook holds: typed numbers and dates become CSV text (ecrf.readers.values), error
cells (#N/A, #VALUE!) are read as empty and reported (XLSX-ERROR-CELL), formula cells are read as the value
Excel last computed and reported (XLSX-FORMULA-CELL): a collected value should be typed, not derived.
Provenance: `_row` is the sheet row, `_ref` the row (lb!17:17), findings on a field name the cell (lb!C17).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import polars as pl

from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.readers import Export, Problem, Reader
from ecrf.readers.canonical import canonical_table
from ecrf.readers.values import value_text
from ecrf.readers.zip_archive import check_members
from ecrf.table import ROW
from ecrf.writer import write_bytes

ERROR_CELL = "XLSX-ERROR-CELL"
FORMULA_CELL = "XLSX-FORMULA-CELL"
_SUFFIXES = (".xlsx", ".xlsm")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


def is_workbook(path: Path) -> bool:
    """An OOXML workbook by content; a file named .xlsx is claimed too, so a wrong one gets a clear error."""
    if not path.is_file():
        return False
    if path.suffix.lower() in _SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def read_workbook(path: Path, model: StudyModel) -> Export:
    path = Path(path)
    export = Export(path, format="xlsx")
    read_workbook_into(path, model, export)
    return export


def read_workbook_into(path: Path, model: StudyModel, export: Export) -> None:
    """Add the workbook's form sheets to `export` (also used for a workbook inside a folder or zip).

    Values come from python-calamine (fast); a workbook whose sheets hold formula or error cells is read with
    openpyxl instead, which tells those cells apart (calamine shows an error cell as text)."""
    _open(path)
    sheets = _special_sheets(path)
    found = False
    for sheet, grid, special in (_openpyxl_grids(path) if sheets else _calamine_grids(path)):
        if not any(_has_value(v) for r in grid for v in r):
            continue
        found = True
        _read_sheet(path, sheet, grid, special, model, export)
    if not found:
        raise InputError(path, "the workbook is empty: expected one sheet per form with a header row")


_SPECIAL = re.compile(rb'<(?:\w+:)?f[\s>/]|\st="e"')


def _special_sheets(path: Path) -> bool:
    """Whether any worksheet part holds a formula (<f>) or an error cell (t="e"): a byte scan of the parts,
    streamed, so the common workbook without them takes the fast path."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with z.open(name) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        if _SPECIAL.search(tail + chunk):
                            return True
                        tail = chunk[-16:]
    return False


def _calamine_grids(path: Path):
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except CalamineError as exc:
        raise InputError(path, f"the workbook is corrupt: {exc}") from None
    try:
        for name in wb.sheet_names:
            try:
                grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except CalamineError as exc:
                raise InputError(path, f"sheet {name} is corrupt: {exc}") from None
            yield name, grid, {}
    finally:
        wb.close()


def get_column_letter(n: int) -> str:
    """Excel's column letters for the 1-based column n (1 -> A, 27 -> AA); openpyxl is imported only to read
    or write a workbook, not when the reader is merely registered."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _openpyxl_grids(path: Path):
    """Cached values (data_only) plus, from a second pass, which cells are formulas or errors."""
    from openpyxl import load_workbook

    try:
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged package
        raise InputError(path, f"the workbook is corrupt: {type(exc).__name__}: {exc}") from None
    try:
        for ws in formulas.worksheets:
            special = {}
            for i, row in enumerate(ws.iter_rows()):
                for j, c in enumerate(row):
                    dtype = getattr(c, "data_type", None)
                    if dtype == "e":
                        special[(i, j)] = ("e", str(c.value))
                    elif dtype == "f":
                        special[(i, j)] = ("f", str(c.value))
            grid = [[None if getattr(c, "data_type", None) == "e" else c.value for c in row]
                    for row in values[ws.title].iter_rows()]
            yield ws.title, grid, special
    finally:
        values.close()
        formulas.close()


def _open(path: Path):
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(path, f"cannot read the workbook: {exc.strerror}") from None
    if head.startswith(_OLE):
        if _ENCRYPTED in path.read_bytes():
            raise InputError(path, "the workbook is password-protected; save a copy without a password")
        raise InputError(path, "an old Excel (.xls) or other OLE file: save it as .xlsx")
    if not head.startswith(b"PK\x03\x04"):
        what = "an HTML page" if head.lstrip()[:1] == b"<" else "not a ZIP container"
        raise InputError(path, f"not an Excel workbook (.xlsx): the file is {what}")
    try:
        with zipfile.ZipFile(path) as z:
            if "xl/workbook.xml" not in z.namelist():
                raise InputError(path, "a ZIP archive, not an Excel workbook: name it .zip or pass "
                                 "--input-format zip")
            check_members(path, z.infolist())  # a workbook is a zip too: no bombs
    except InputError:
        raise
    except zipfile.BadZipFile as exc:
        raise InputError(path, f"the workbook is truncated or corrupt: {exc}") from None
    except KeyError as exc:
        raise InputError(path, f"not an Excel workbook: the ZIP lacks {exc}") from None
    except Exception as exc:  # openpyxl raises many types for a damaged package
        raise InputError(path, f"the workbook is corrupt: {type(exc).__name__}: {exc}") from None


def _has_value(v) -> bool:
    return v is not None and not (isinstance(v, str) and not v.strip())


def _read_sheet(path: Path, sheet: str, grid, special: dict, model: StudyModel, export: Export) -> None:
    # The header is the first row with a value (a title row above a table is not supported: it would be read
    # as the header and reported as a missing required column).
    start = next(i for i, r in enumerate(grid) if any(_has_value(v) for v in r))
    header_cells = grid[start]
    header_row = start + 1
    last = max(j for j, v in enumerate(header_cells) if _has_value(v))
    header: list[str] = []
    seen: set[str] = set()
    for j in range(last + 1):
        v = header_cells[j]
        where = f"{sheet}!{get_column_letter(j + 1)}{header_row}"
        if not _has_value(v):
            raise InputError(path, f"header cell {where} is empty (merged header cells?): every column needs "
                             "a name in one cell", row=header_row)
        name = str(value_text(v)).strip()
        if name.lower() in seen:
            raise InputError(path, f"column {name} appears twice in the header of sheet {sheet}",
                             row=header_row, column=name)
        seen.add(name.lower())
        header.append(name)
    form = model.form_for_file(sheet)
    data = grid[start + 1:]
    if form is None:
        export.unknown_files[sheet] = sum(1 for r in data if any(_has_value(v) for v in r))
        return
    width = len(header)
    cols: list[list[str | None]] = [[] for _ in header]
    rows: list[int] = []
    problems: list[Problem] = []
    for i, r in enumerate(data):
        if not any(_has_value(v) for v in r):
            continue
        n = start + 2 + i
        for j in range(width, len(r)):
            if _has_value(r[j]):
                raise InputError(path, f"cell {sheet}!{get_column_letter(j + 1)}{n} has a value but no header",
                                 row=n)
        idx = len(rows)
        rows.append(n)
        for j in range(width):
            v = r[j] if j < len(r) else None
            cols[j].append(value_text(v) if v != "" else None)
            kind = special.get((n - 1, j)) if special else None
            if kind is None:
                continue
            cell = f"{sheet}!{get_column_letter(j + 1)}{n}"
            if kind[0] == "e":
                problems.append(_problem(ERROR_CELL, path, form.domain, idx, header[j], kind[1], cell,
                                         f"error value {kind[1]} in {cell}; read as empty", "a value"))
            else:
                shown = "no saved value" if v is None else f"saved value {value_text(v)}"
                problems.append(_problem(FORMULA_CELL, path, form.domain, idx, header[j], kind[1], cell,
                                         f"formula {kind[1]} in {cell}; read as its {shown}", "a typed value"))
    df = pl.DataFrame({h: cols[j] for j, h in enumerate(header)}, schema={h: pl.Utf8 for h in header})
    refs = [f"{sheet}!{n}:{n}" for n in rows]
    table = canonical_table(path, df, form, rows, refs=refs)
    letters = {h.lower(): get_column_letter(j + 1) for j, h in enumerate(header)}
    table.cell_ref = lambda field, _l=letters, _s=sheet: pl.lit(f"{_s}!{_l.get(field, 'A')}") + pl.col(ROW).cast(pl.Utf8)
    export.add(table)
    export.problems.extend(problems)


def _problem(kind, path, domain, idx, field, value, cell, message, expected) -> Problem:
    return Problem(kind, message, path.name, form=domain, idx=idx, field=field, value=value, expected=expected,
                   ref=cell)


def write_workbook(directory: Path, tables: dict, model: StudyModel) -> None:
    """One workbook, export.xlsx, one sheet per form; every cell written as text, so nothing is re-typed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    for domain, df in tables.items():
        ws = wb.create_sheet(domain)
        ws.append(list(df.columns))
        for row in df.iter_rows():
            cells = []
            for v in row:
                if v is None or v == "":
                    cells.append(None)
                    continue
                c = WriteOnlyCell(ws, value=str(v))
                c.data_type = "s"  # text that starts with '=' stays text, never a formula
                cells.append(c)
            ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    write_bytes(Path(directory) / "export.xlsx", buf.getvalue())


READER = Reader("xlsx", "an Excel workbook (.xlsx), one sheet per form named like its file (dm, ae, ...)",
                is_workbook, read_workbook, order=20, suffixes=_SUFFIXES, write=write_workbook)
