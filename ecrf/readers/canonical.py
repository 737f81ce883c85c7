"""One way from a format's rows to a canonical table, shared by every reader.

A reader hands over the form's columns as text (header names as the format spells them) and the row numbers
the format uses; this matches headers to the form's items, trims cells, turns empty cells into nulls and adds
provenance. Nothing is dropped here: a row handed in is a row in the table.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl
import polars.selectors as cs

from ecrf.errors import InputError
from ecrf.model import MULTI_SEPARATOR, Form, Item, multi_select_pattern
from ecrf.table import FILE, REF, ROW, STATUS, TEXT, Table


def canonical_table(path: Path, df: pl.DataFrame, form: Form, rows: list[int] | pl.Series,
                    file_label: str | None = None, refs: list[str | None] | pl.Series | None = None,
                    require_columns: bool = True, complete_columns: bool = False,
                    status: list[str | None] | None = None, trimmed: bool | Collection[str] = False) -> Table:
    """A Table from `df` (text columns, header as exported) and `rows` (the format's row numbers).

    require_columns: a required item without a column is an InputError (a file with a header that lacks it).
    complete_columns: items without a column are added empty and not reported missing (formats such as ODM
    and REDCap, where an absent item simply has no value).
    status: the EDC's form status of each record (REDCap 0/1/2), kept as the `_status` column.
    trimmed: True when the reader vouches that no cell has surrounding blanks or is an empty string (nothing to
    trim); the header names of the only columns that may hold one; False when any may.
    """
    by_lower: dict[str, str] = {}
    for h in df.columns:
        key = h.lower()
        if key in by_lower:
            raise InputError(path, f"column {h} appears twice in the header", row=1, column=h)
        by_lower[key] = h
    known = {i.name for i in form.items}
    unknown = tuple(h for h in df.columns if h.lower() not in known)
    missing_required = [i for i in form.items if i.required and i.name not in by_lower]
    if require_columns and not complete_columns and missing_required:
        names = ", ".join(i.title for i in missing_required)
        raise InputError(path, f"required column missing from the header: {names}", row=1,
                         column=missing_required[0].title)
    # one query from the text as read to the canonical table (each eager step would be a query of its own)
    lf = df.lazy().rename({h: h.lower() for h in df.columns if h.lower() in known}) \
        .with_columns(cs.exclude(cs.categorical()).cast(pl.Utf8))  # (text dictionary-encoded as read stays so)
    missing: tuple[str, ...] = tuple(i.name for i in form.items if i.name not in by_lower)
    if complete_columns and missing:
        lf = lf.with_columns(pl.lit(None, pl.Utf8).alias(m) for m in missing)
        missing = ()
    if trimmed is not True:
        named = {h: h.lower() if h.lower() in known else h for h in df.columns}
        lf = lf.with_columns(_trim(lf, None if trimmed is False else {named[h] for h in trimmed}))
    present = set(lf.collect_schema().names())
    multi = [i for i in form.items if i.multivalued and i.name in present]
    if multi:
        lf = lf.with_columns(_multi_select(i) for i in multi)
    extra = [pl.Series(ROW, list(rows) if not isinstance(rows, pl.Series) else rows, dtype=pl.Int64),
             pl.lit(file_label or Path(path).name).alias(FILE)]
    if refs is not None:
        extra.append(pl.Series(REF, list(refs) if not isinstance(refs, pl.Series) else refs, dtype=pl.Utf8))
    if status is not None:
        extra.append(pl.Series(STATUS, [s or None for s in status], dtype=pl.Utf8))
    if not present:
        lf = pl.LazyFrame({ROW: extra[0]})
        extra = extra[1:]
    df = lf.with_columns(*extra).with_columns(pl.col(pl.Utf8).exclude(ROW, REF).cast(TEXT)) \
        .collect(engine="in-memory")  # as the checks' queries (ecrf.findings.ENGINE)
    return Table(form, df, Path(path), unknown_columns=unknown, missing_columns=missing)


def _trim(lf: pl.LazyFrame, only: set[str] | None = None) -> list[pl.Expr]:
    """Surrounding blanks trimmed and empty cells as missing, as expressions on `lf` (text columns); the file
    itself is never touched. Only the columns that hold such a cell are rewritten: finding them costs about what
    trimming does, but trimming every column copies every cell (the 10,000-subject lab table: some 280 MB more
    at the peak). `only`: the columns the reader says may hold one (None: any). A column rewritten comes back
    dictionary-encoded (TEXT), as the table holds it."""
    names = [n for n in lf.collect_schema().names() if only is None or n in only]
    if not names:
        return []
    # each distinct text once (a column of a million cells holds a few thousand), and each column's texts looked up
    distinct = lf.select(pl.col(n).unique().drop_nulls().implode() for n in names).collect(engine="in-memory")
    exprs = []
    for n in names:
        texts = distinct[n][0]
        plain = texts.cast(pl.Utf8)
        if (plain.str.contains(r"^\s|\s$") | (plain == "")).any():
            trimmed = plain.str.strip_chars().replace("", None)
            exprs.append(pl.col(n).replace_strict(texts, trimmed.cast(TEXT), default=None, return_dtype=TEXT))
    return exprs


def _multi_select(item: Item) -> pl.Expr:
    """A valid multi-select cell as every format gives it the same: its codes once each, in codelist order,
    separated by a comma without blanks (REDCap checkboxes come back in dictionary order, a CSV cell in any).
    A cell with a code not in the codelist stays as exported, for COL-CODELIST to show."""
    c = pl.col(item.name).cast(pl.Utf8)
    rank = {code: n for n, code in enumerate(item.codes)}
    code_of = {n: code for code, n in rank.items()}
    ordered = (c.str.split(MULTI_SEPARATOR)
               .list.eval(pl.element().str.strip_chars().replace_strict(rank, default=None, return_dtype=pl.Int64))
               .list.unique().list.sort()
               .list.eval(pl.element().replace_strict(code_of, default=None, return_dtype=pl.Utf8))
               .list.join(MULTI_SEPARATOR))
    return pl.when(c.str.contains(multi_select_pattern(item.codes))).then(ordered).otherwise(c).alias(item.name)
