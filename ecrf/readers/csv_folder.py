"""Read a folder of CSV files, one per form, into canonical tables.

Readers know formats, not clinical rules: they report what cannot be read as an InputError and hand
every readable row on, so rows read always equal rows checked. What this reader refuses, and why:
a form's name on something that is not a regular file (folder, FIFO, dangling link), a link out of the
export (its target is never opened), a file or cell over the limits of `ecrf.limits`, ragged rows, an
unbalanced quote (named at the row where it opens), a delimiter other than a comma, and header names that
start with `_` (reserved for the columns ecrf adds).
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ecrf import limits
from ecrf.errors import InputError
from ecrf.model import StudyModel
from ecrf.pool import in_order
from ecrf.readers import Export, Reader
from ecrf.readers.canonical import canonical_table
from ecrf.table import TEXT

# a file's text frame, each record's row number, and which columns the canonical table must search for cells
# to trim (True: none; False: any; else the header names of those that may hold one: _columns_to_trim)
Cells = tuple[pl.DataFrame, pl.Series, "bool | tuple[str, ...]"]
_BINARY_MAGIC = {b"PK\x03\x04": "a ZIP or Excel workbook", b"\xd0\xcf\x11\xe0": "an old Excel/OLE file",
                 b"%PDF": "a PDF", b"\x1f\x8b": "a gzip archive", b"<?xml": "an XML document"}
_BOM = "\ufeff"
_OTHER_DELIMITERS = (";", "\t", "|")
# the files read ahead of the one being built into a table, beyond two, may add up to this on disk
READ_AHEAD_BYTES = 32 * 2**20


def read_csv_folder(folder: Path, model: StudyModel) -> Export:
    folder = Path(folder)
    if not folder.exists():
        raise InputError(folder, "no such file or folder")
    if not folder.is_dir():
        raise InputError(folder, "expected a folder with one CSV file per form")
    export = Export(folder)
    entries = sorted(folder.iterdir())
    csvs = [p for p in entries if p.suffix.lower() == ".csv" and not p.name.startswith(".")]
    if not csvs:
        raise InputError(folder, "no CSV files found (expected one file per form, e.g. dm.csv)")
    _refuse_forms_in_other_files(entries, csvs, model)
    for path, (df, numbers, trimmed) in zip(csvs, _cells_in_order(folder, csvs)):
        form = model.form_for_file(path.stem)
        if form is None:
            export.unknown_files[path.name] = df.height
            continue
        export.add(canonical_table(path, df, form, numbers, trimmed=trimmed))
    return export


def _cells_in_order(folder: Path, csvs: list[Path]) -> Iterator[Cells]:
    """read_csv_cells of each file, in the files' order, two files at a time (ecrf.pool.in_order): Python scans
    one file's bytes (bytes.count holds the interpreter's lock) while polars parses the other's without it (at
    10,000 subjects 0.76 -> 0.55 s). The first file in order that cannot be read raises its error, as reading one by one would;
    each file is checked (check_entry) before it is opened."""

    def one(path: Path) -> Cells:
        check_entry(folder, path)
        return read_csv_cells(path)

    # two files ahead, or more while those ahead are small: a file read ahead holds its cells as read beside the
    # canonical tables (every file started at once held every file's untrimmed cells to the end: +200 MiB on a
    # padded 10,000-subject export), but two files only left the second thread idle while the lab file was parsed
    return in_order(one, csvs, ahead=2, weight=_size, budget=READ_AHEAD_BYTES)


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size  # (not opened: check_entry looks at the file first)
    except OSError:
        return 0


def read_csv_cells(path: Path) -> Cells:
    """One CSV file as a text frame (header as written, trimmed), each record's row number, and the columns that
    may hold a cell to trim or an empty string (_columns_to_trim: True when none may), so that the canonical
    table searches those only.

    A UTF-8 file whose records each sit on one line (quotes closing on their own line, no bare CR line ends)
    is read by polars' own CSV reader, after counting the fields of every line to catch ragged rows, which
    polars would null-fill in silence. Anything else, and any file polars reads differently, goes through the
    csv module, which words input errors precisely (unbalanced quotes, cells over the limit)."""
    fast = _read_fast(path)
    if fast is not None:
        return fast
    header, rows = read_csv_file(path)
    numbered = [(i + 2, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    df = pl.DataFrame({h: [r[j] for _, r in numbered] for j, h in enumerate(header)},
                      schema={h: TEXT for h in header})
    return df, pl.Series("_row", [n for n, _ in numbered], dtype=pl.Int64), False


def _read_fast(path: Path) -> Cells | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None  # the slow path words the error
    while raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    has_cr = b"\r" in raw  # each test below scans without copying the file (raw.strip() would)
    if (b"\x00" in raw or (has_cr and raw.count(b"\r") != raw.count(b"\r\n")) or not raw or raw.isspace()
            or any(raw.startswith(m) for m in _BINARY_MAGIC)):
        return None
    plain = _read_plain(path, raw)
    if plain is not None:
        return plain
    scanned = _scan_lines(path, raw, has_cr)
    if scanned is None:
        return None
    header, numbers, quoted = scanned  # the per-line copy of the file is freed before polars parses it
    df = pl.read_csv(raw, has_header=True, infer_schema=False, quote_char='"' if quoted else None,
                     schema_overrides=[TEXT] * len(header))
    if df.height != numbers.len() or df.width != len(header):
        return None  # polars saw the file differently (e.g. whitespace-only lines): take the careful path
    df.columns = header  # the header as checked (unique, trimmed); naming in place costs no query
    return df, numbers, _columns_to_trim(raw, header, quoted)


def _read_plain(path: Path, raw: bytes) -> Cells | None:
    """The common export without blank lines and with few or no quoted cells, read without a per-line scan;
    None when the file needs the scan. Every record then sits on its own line (record k on line k + 2), polars
    refuses a row with too many fields, and a row with too few is seen in the count of commas: outside quotes
    every comma separates fields, so the lines without a quote hold exactly (width - 1) commas each when no row
    is short, and each line with a quote must read as `width` well-formed cells on its own."""
    quoted = _quoted_lines(raw)  # a blank line needs no test of its own: its count of commas shows it
    end = raw.find(b"\n")
    if quoted is None or (quoted and raw.find(b'"') < (end if end >= 0 else len(raw))):
        return None  # many quoted lines (every cell quoted, as some EDCs write), or a quoted header: the scan
    try:
        header = [h.strip() for h in raw[: end if end >= 0 else len(raw)].decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None
    _check_header(path, header)
    width = len(header)
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    commas = raw.count(b",") - sum(line.count(b",") for line in quoted)
    if width < 2 or commas != (width - 1) * (lines - len(quoted)):
        return None  # a short (or whitespace-only) row: the scan names it
    if quoted and not _whole_records(quoted, width):
        return None  # a cell over several lines, a stray quote or a ragged quoted row: the scan words it
    try:  # invalid UTF-8 and a row with too many fields are errors here: the scan words them
        df = pl.read_csv(raw, has_header=True, infer_schema=False, quote_char='"' if quoted else None,
                         schema_overrides=[TEXT] * width)
    except pl.exceptions.ComputeError:
        return None
    if df.height != lines - 1 or df.width != width:
        return None
    limit = limits.max_cell_length()
    if len(raw) > limit and (df.select(pl.max_horizontal(pl.all().cat.len_bytes().max())).item() or 0) > limit:
        return None  # a cell over the limit: the careful path names it
    rows = pl.int_range(2, df.height + 2, dtype=pl.Int64, eager=True).alias("_row")
    df.columns = header
    return df, rows, _columns_to_trim(raw, header, bool(quoted), quoted)


# more lines with a quote than this: the file quotes as a rule, and the per-line scan in polars is faster
_MOST_QUOTED_LINES = 1000


def _quoted_lines(raw: bytes) -> list[bytes] | None:
    """Each line holding a quote, once, in file order (without its line end); None when there are more than
    _MOST_QUOTED_LINES. A free-text answer with a comma is quoted in a few records of a large file."""
    found: list[bytes] = []
    pos = raw.find(b'"')
    while pos >= 0:
        if len(found) == _MOST_QUOTED_LINES:
            return None
        start, end = raw.rfind(b"\n", 0, pos) + 1, raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        found.append(raw[start:end].removesuffix(b"\r"))
        pos = raw.find(b'"', end)
    return found


def _whole_records(lines: list[bytes], width: int) -> bool:
    """Every line reads as exactly `width` cells, quoted ones closing on the line (as the csv module reads it)."""
    record = re.compile(rf"{_CELL}(?:,{_CELL}){{{width - 1}}}")
    try:
        return all(record.fullmatch(line.decode("utf-8")) for line in lines)
    except UnicodeDecodeError:
        return False


# White space as polars trims it (Unicode White_Space), by the first byte of its UTF-8 form: the bytes that
# follow for each (ASCII: nothing; then NEL and NBSP; U+1680; U+2000-200A, U+2028, U+2029, U+202F, U+205F; U+3000)
_BLANKS = {0x20: (b"",), 0x09: (b"",), 0x0B: (b"",), 0x0C: (b"",), 0xC2: (b"\x85", b"\xa0"), 0xE1: (b"\x9a\x80",),
           0xE2: tuple(bytes([0x80, c]) for c in (*range(0x80, 0x8B), 0xA8, 0xA9, 0xAF)) + (b"\x81\x9f",),
           0xE3: (b"\x80\x80",)}
# more candidate blanks than this (a text form with spaces throughout): leave the file to the search
_MOST_BLANKS = 10_000


def _columns_to_trim(raw: bytes, header: list[str], quoted: bool,
                     quoted_lines: list[bytes] | None = None) -> bool | tuple[str, ...]:
    """Which columns of this file (read whole by polars) can hold a cell with surrounding blanks or an empty
    string, for the canonical table to search: True when none can, the header names of those that can, or False
    when it cannot tell (any may). An empty unquoted cell is null already; a quoted one ("") is an empty string.
    A blank pads a cell only beside a comma, a line end or (in a quoted cell) a quote, so blanks inside text
    ("Sample haemolysed") pad nothing, and a padded cell's column is the number of commas before it on its line
    (on a line without quotes). Each candidate's first byte is found by a byte search (fast on large files; a
    search for two bytes is not); past _MOST_BLANKS candidates the file is left to the search."""
    if quoted and any(b'""' in line for line in (quoted_lines if quoted_lines is not None else [raw])):
        return False
    edges = {ord(","), ord("\n"), ord("\r")} | ({ord('"')} if quoted else set())
    wide = not raw.isascii()
    header_end = raw.find(b"\n")
    dirty: set[int] = set()
    seen = 0
    for lead, tails in _BLANKS.items():
        if lead >= 0x80 and not wide:
            break
        first = bytes([lead])
        pos = raw.find(first, header_end + 1) if header_end >= 0 else -1  # (the header is trimmed as read)
        while pos >= 0:
            seen += 1
            if seen > _MOST_BLANKS:
                return False
            tail = next((t for t in tails if raw.startswith(t, pos + 1)), None)
            if tail is not None:
                end = pos + 1 + len(tail)
                if end == len(raw) or raw[pos - 1] in edges or raw[end] in edges:
                    start, stop = raw.rfind(b"\n", 0, pos) + 1, raw.find(b"\n", pos)
                    column = raw.count(b",", start, pos)
                    if (quoted and raw.find(b'"', start, stop if stop >= 0 else len(raw)) >= 0) or column >= len(header):
                        return False
                    dirty.add(column)
            pos = raw.find(first, pos + 1)
    return tuple(header[c] for c in sorted(dirty)) or True


# A CSV cell on one line: quoted (a quote inside doubled) or free of quotes and commas.
_CELL = r'(?:"(?:[^"]|"")*"|[^",]*)'


def _scan_lines(path: Path, raw: bytes, has_cr: bool) -> tuple[list[str], pl.Series, bool] | None:
    """The header, the row number of every non-blank record and whether any line holds a quote; None when the
    file needs the careful path (invalid UTF-8, a cell over the limit, multi-line or unbalanced quotes). A
    ragged row is an InputError naming its row and column."""
    try:  # the strict cast is also the UTF-8 check
        lines = pl.Series("l", [raw]).cast(pl.Binary).cast(pl.Utf8).str.split("\n").explode()
    except pl.exceptions.ComputeError:
        return None
    if has_cr:
        lines = lines.str.strip_chars_end("\r")
    try:  # a quoted header (some EDCs quote every cell) is read as the csv module reads it
        header = [h.strip() for h in next(csv.reader([lines[0]], strict=True))] if '"' in lines[0] \
            else [h.strip() for h in lines[0].split(",")]
    except (csv.Error, StopIteration):
        return None
    _check_header(path, header)
    width, limit = len(header), limits.max_cell_length()
    if len(raw) > limit and lines.str.len_chars().max() > limit:
        return None  # a line longer than the cell limit may hold a cell over it: let the slow path name it
    fields = lines.str.count_matches(",", literal=True) + 1
    quoted = lines.str.contains('"', literal=True)
    any_quoted = bool(quoted.any())
    if any_quoted:
        # quoted cells (a comma inside a comment, or every cell quoted, as some EDCs write them). A line of
        # `width` well-formed cells is what the csv module would read it as; any other line with a quote (a
        # ragged row, a quote inside an unquoted cell) is counted by the csv module, strictly, and a cell over
        # several lines or a stray quote (an odd number of quotes) takes the slow path
        q = lines.filter(quoted)
        counts = pl.repeat(width, q.len(), dtype=fields.dtype, eager=True)
        others = (~q.str.contains(rf"^{_CELL}(?:,{_CELL}){{{width - 1}}}$")).arg_true()
        if others.len():
            rest = q.gather(others)
            if ((rest.str.count_matches('"', literal=True) % 2) == 1).any():
                return None
            try:
                exact = [len(next(csv.reader([line], strict=True))) for line in rest]
            except csv.Error:
                return None
            counts = counts.scatter(others, exact)
        fields = fields.scatter(quoted.arg_true(), counts)
    info = pl.DataFrame({"n": pl.int_range(1, lines.len() + 1, eager=True), "fields": fields,
                         "blank": lines.str.strip_chars() == ""}).slice(1)
    ragged = info.filter(~pl.col("blank") & (pl.col("fields") != width))
    if ragged.height:
        n, k = ragged.row(0)[:2]
        col = header[-1] if k > width else header[k]
        raise InputError(path, f"ragged row: {k} fields where the header has {width}", row=n, column=col)
    return header, info.filter(~pl.col("blank"))["n"].cast(pl.Int64).alias("_row"), any_quoted


def _refuse_forms_in_other_files(entries: list[Path], csvs: list[Path], model: StudyModel) -> None:
    """lb.txt or lb.xlsx beside the CSV files: a form that would otherwise be skipped in silence."""
    have = {p.stem.lower() for p in csvs}
    for p in entries:
        if p.name.startswith(".") or p.suffix.lower() == ".csv" or p.stem.lower() in have:
            continue
        if model.form_for_file(p.stem) is not None:
            raise InputError(p, f"the {p.stem} form is here as a {p.suffix or 'suffix-less'} file, not as "
                                f"{p.stem}.csv; export it as CSV (or use --input-format)")


def check_entry(folder: Path, path: Path) -> None:
    """A regular file inside the export, or an InputError; never opens a FIFO or follows a link out."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            raise InputError(path, "is a dangling symbolic link (its target does not exist)") from None
        except (RuntimeError, OSError):
            raise InputError(path, "is a symbolic link that cannot be resolved (a link loop?)") from None
        root = folder.resolve()
        if root not in target.parents:
            raise InputError(path, "is a symbolic link to a file outside the export; refused "
                                   "(copy the file into the export instead)")
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "is a folder, not a CSV file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, "is not a regular file (a FIFO, socket or device); refused")
    limits.check_file_size(path, st.st_size)
    if not os.access(path, os.R_OK):
        raise InputError(path, "cannot be read: permission denied")


def read_csv_file(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of one CSV file, or an InputError naming the file, row and column."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(path, "file is empty: expected a header row naming the columns", row=1)
    for magic, what in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise InputError(path, f"not a CSV text file: it looks like {what}")
    if b"\x00" in raw[:65536] and raw.count(b"\x00") > 8:
        raise InputError(path, "not a CSV text file: it contains NUL bytes (UTF-16 or binary?)")
    text = _decode(path, raw).lstrip(_BOM)
    if "\x00" in text:
        row, col = _locate(text, text.index("\x00"))
        raise InputError(path, "a cell contains a NUL byte; remove it or re-export", row=row, column=col)  # one BOM or several: none is part of the first column's name
    header, rows = _parse(path, text)
    header = [h.strip() for h in header]
    _check_header(path, header)
    width = len(header)
    for i, r in enumerate(rows):
        if len(r) != width:
            if not any(c.strip() for c in r):
                continue  # blank line: no data, filtered below
            col = header[width - 1] if len(r) > width else header[len(r)]
            raise InputError(path, f"ragged row: {len(r)} fields where the header has {width}",
                             row=i + 2, column=col)
        _check_swallowed(path, header, r, i + 2)
    return header, rows


def _parse(path: Path, text: str) -> tuple[list[str], list[list[str]]]:
    limit = limits.max_cell_length()
    csv.field_size_limit(limit)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    last_line = 0
    try:
        for rec in reader:
            records.append(rec)
            last_line = reader.line_num
    except csv.Error as exc:
        row = len(records) + 1  # the record that failed, header = row 1
        msg = str(exc)
        if "field larger than field limit" in msg:
            raise _cell_too_long(path, text, limit) from None
        if "unexpected end of data" in msg or "EOF" in msg or reader.line_num > last_line + 1:
            # the failing record runs over several lines: a quote opened in its first line is not closed there
            raise InputError(path, f"unbalanced quote: a quoted cell opened in this row (line {last_line + 1}) "
                                   f"is not closed on its line ({msg})", row=row, column=_column_at(records, text, last_line)) from None
        raise InputError(path, f"malformed CSV: {msg}", row=row,
                         column=_column_at(records, text, last_line)) from None
    finally:
        csv.field_size_limit(131072)  # the module default, for other users of csv
    if not records:
        raise InputError(path, "file is empty: expected a header row naming the columns", row=1)
    return records[0], records[1:]


def _locate(text: str, offset: int) -> tuple[int, str | None]:
    """Row (record number, header = 1) and column of the character at `offset`, by parsing up to it."""
    head = text[:offset].replace("\x00", "")
    try:
        recs = list(csv.reader(io.StringIO(head, newline="")))
    except csv.Error:
        return head.count("\n") + 1, None
    if not recs:
        return 1, None
    header = [h.strip() for h in recs[0]]
    k = len(recs[-1]) - 1
    return len(recs), (header[k] if 0 <= k < len(header) else None)


def _column_at(records: list[list[str]], text: str, last_line: int) -> str | None:
    """The column where the failing record goes wrong: the shortest prefix of it that the strict parser
    refuses ends in that column."""
    if not records:
        return None
    header = [h.strip() for h in records[0]]
    rest = "".join(text.splitlines(keepends=True)[last_line:last_line + 50])[:20000]
    def fails(k: int) -> bool:
        try:
            next(csv.reader(io.StringIO(rest[:k], newline=""), strict=True), None)
        except csv.Error:
            return True
        return False

    lo, hi = 0, len(rest)  # once a prefix fails every longer one does: bisect for the first that fails
    if fails(hi):
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if fails(mid) else (mid, hi)
    end = hi
    fields = next(csv.reader(io.StringIO(rest[:end], newline="")), [""])
    i = len(fields) - 1
    return header[i] if 0 <= i < len(header) else None


def _cell_too_long(path: Path, text: str, limit: int) -> InputError:
    """Name the row and column of the first cell over the limit (the file itself is under the size limit)."""
    csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader)]
        for n, rec in enumerate(reader, start=2):
            for j, c in enumerate(rec):
                if len(c) > limit:
                    col = header[j] if j < len(header) else None
                    return InputError(path, f"cell of {len(c)} characters, over the limit of {limit}; raise it "
                                            f"with --max-cell-length or {limits.CELL_LENGTH_ENV} if this is "
                                            "expected", row=n, column=col)
    except csv.Error:
        pass
    return InputError(path, f"a cell is over the limit of {limit} characters (or a quote is unbalanced)")


def _check_swallowed(path: Path, header: list[str], rec: list[str], row: int) -> None:
    """A stray quote makes the csv module merge the following lines into one cell; a cell holding a line
    that looks like a whole record is that, not a multi-line comment."""
    width = len(header)
    for j, c in enumerate(rec):
        if "\n" in c or "\r" in c:
            lines = c.splitlines()[1:]
            if width > 2 and any(line.count(",") >= width - 1 for line in lines):
                raise InputError(path, f"unbalanced quote: the cell that opens here swallows {len(lines)} "
                                       "following lines that look like records", row=row, column=header[j])


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[:exc.start]
        # lines end in \n, \r\n or \r alone (old Mac exports): count each kind once
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        start = max(before.rfind(b"\n"), before.rfind(b"\r")) + 1
        first = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n", 1)[0]
        header = first.decode("utf-8", "replace").split(",")
        col_idx = raw.count(b",", start, exc.start)
        col = header[col_idx].strip() if line > 1 and col_idx < len(header) else None
        raise InputError(path, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); re-export as UTF-8",
                         row=line, column=col) from None


def _check_header(path: Path, header: list[str]) -> None:
    if len(header) == 1:
        for d in _OTHER_DELIMITERS:
            if d in header[0]:
                shown = "tab" if d == "\t" else f"'{d}'"
                raise InputError(path, f"the header is one column: the delimiter looks like {shown}, not ','; "
                                       "re-export with commas", row=1)
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            raise InputError(path, f"header column {i + 1} has no name", row=1)
        if h.startswith("_"):
            raise InputError(path, "column names starting with _ are reserved for the columns ecrf adds; "
                                   "rename the column", row=1, column=h)
        key = h.lower()
        if key in seen:
            raise InputError(path, f"column {h} appears twice in the header", row=1, column=h)
        seen[key] = i


def _is_folder(path: Path) -> bool:
    return path.is_dir()  # asked last: any folder no other reader claims is read as CSV files


READER = Reader("csv", "a folder with one CSV file per form (dm.csv, ae.csv, ...)", _is_folder,
                read_csv_folder, order=90, suffixes=(".csv",))
