"""A canonical table: one form's records as text, with provenance, and a typed view for the checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import polars as pl

from ecrf.model import Form, Item
from ecrf.once import BuildOnce
# INTEGER_RE and NUMBER_RE re-exported for the modules that read them here; they live in ecrf.numbers.
from ecrf.numbers import INTEGER_RE as INTEGER_RE, NUMBER_RE as NUMBER_RE, integer, number

ROW = "_row"    # 1-based row in the source file, header = row 1 (as a spreadsheet shows it)
FILE = "_file"  # source file name
REF = "_ref"    # optional: where the record sits in the format's own terms (an ODM path, a REDCap record/event)
# optional: the form status the EDC keeps for the record (REDCap `<instrument>_complete`: 0 Incomplete,
# 1 Unverified, 2 Complete); not a study item, so no check reads it as data, but it travels with the record
STATUS = "_status"
PROVENANCE = (ROW, FILE, REF, STATUS)
# How a table holds its text: dictionary-encoded, a 4-byte code per cell and each distinct text once. An export
# is mostly short codes repeated down a column; as polars text (a 16-byte view per cell) the 10,000-subject tables
# took 3.9x the export on disk, as categoricals 1.2x. Checks read a column with string functions through
# `.cast(pl.Utf8)` and join a table's text with the model's through `keyed_like`.
TEXT = pl.Categorical

FULL_DATE_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
PARTIAL_DATE_RE = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"


_TYPED = {"integer": pl.Int64, "decimal": pl.Float64, "full_date": pl.Date}


@dataclass
class Table:
    """One form as read: every column is text exactly as exported (trimmed), plus _row and _file."""

    form: Form
    df: pl.DataFrame
    path: Path
    unknown_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)
    # Set by ecrf.readers.order: the rows are sorted on the typed record key, so records sharing a key are neighbours.
    key_ordered: bool = False
    # Format-specific cell address for a finding on `field` (e.g. Excel "lb!C17"), as an expression over the
    # table's columns; None: the row reference `_ref` (if any) stands for the cell.
    cell_ref: Callable[[str], pl.Expr] | None = field(default=None, compare=False, repr=False)
    # not copied by dataclasses.replace: a replaced table builds its own typed view
    _once: BuildOnce = field(default_factory=BuildOnce, init=False, compare=False, repr=False)
    _typed: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def n_rows(self) -> int:
        return self.df.height

    def memo(self, key: object, build: Callable[[], Any]) -> Any:
        """A frame derived from this table, built once per key and kept with it (shared by the checks)."""
        return self._once.get(self.extra, key, build)

    @property
    def typed(self) -> pl.DataFrame:
        """Numbers and full dates converted; values that do not convert become null (reported elsewhere)."""
        return self._once.get(self._typed, "typed", self._build_typed)

    def _build_typed(self) -> pl.DataFrame:
        exprs = [typed_in(self.df, item) for item in self.form.items]
        return self.df.select([*exprs, *(pl.col(c) for c in PROVENANCE if c in self.df.columns)])


# From this many rows a table's numbers and dates are parsed once per distinct text and looked up (a million lab
# rows hold a few thousand distinct results and dates: 0.27 -> 0.08 s); below it, the one-off query that finds
# them would cost more than parsing every cell.
DISTINCT_ROWS = 50_000
# by_code looks results up by the text's code while the codes are at most this many per row of the table
CODES_PER_ROW = 8


def typed_in(df: pl.DataFrame, item: Item) -> pl.Expr:
    """typed_column(item) for the column of `df`, by distinct text on a large table."""
    if item.name in df.columns and item.kind in _TYPED:
        return per_distinct(df, item.name, typed_column(item), _TYPED[item.kind])
    return typed_column(item, item.name in df.columns)


def per_distinct(df: pl.DataFrame, name: str, expr: pl.Expr, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """`expr`, a function of the text of column `name` alone (null for null), for df's column: by distinct text
    on a large table, else cell by cell."""
    return by_distinct(df, name, expr, dtype) if df.height >= DISTINCT_ROWS else expr.cast(dtype).alias(name)


def by_distinct(df: pl.DataFrame, name: str, expr: pl.Expr, dtype: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """`expr` (of column `name`) worked out once for each distinct text of the column and looked up."""
    if df.schema[name] == TEXT:
        distinct = distinct_codes(df, name).with_columns(expr.cast(dtype).alias("_out"))
        looked_up = by_code(df, name, distinct["_code"], distinct["_out"])
        if looked_up is not None:
            return looked_up.alias(name)
    else:
        distinct = df.select(pl.col(name).unique().drop_nulls()).with_columns(expr.cast(dtype).alias("_out"))
    return pl.col(name).replace_strict(distinct[name], distinct["_out"], default=None, return_dtype=dtype).alias(name)


def distinct_codes(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """The distinct texts of encoded column `name` (nulls left out), each with its code (`_code`): a distinct
    text is a distinct code, so each code's first row is found."""
    codes = pl.col(name).to_physical()
    return df.select(pl.col(name).gather(codes.arg_unique())).drop_nulls().with_columns(codes.alias("_code"))


def by_code(df: pl.DataFrame, name: str, codes: pl.Series, values: pl.Series, fill: Any = None) -> pl.Expr | None:
    """Each row's value among `values` (the value of the text whose code is at the same place in `codes`; `fill` for
    a null cell), read from an array at the codes' places by the row's code: half the time of matching every row's
    text against the distinct texts (0.085 -> 0.05 s for the lab table's typed view). None when the encoding's
    dictionary is large for the table (more than CODES_PER_ROW codes a row)."""
    size = (codes.max() or 0) + 1
    if size > CODES_PER_ROW * df.height:
        return None
    at_code = pl.repeat(fill, size, dtype=values.dtype, eager=True).scatter(codes, values)
    looked_up = pl.lit(at_code).gather(pl.col(name).to_physical())
    return looked_up if fill is None else looked_up.fill_null(fill)


def typed_column(item: Item, present: bool = True) -> pl.Expr:
    """The item's column typed: integers, numbers and full dates converted (null where the text does not
    convert), anything else as text; an absent column is null of its type, so checks can compare it."""
    if not present:
        return pl.lit(None, _TYPED.get(item.kind, pl.Utf8)).alias(item.name)
    c = pl.col(item.name)
    if item.kind == "integer":
        return integer(c).alias(item.name)
    if item.kind == "decimal":
        return number(c).alias(item.name)
    if item.kind == "full_date":
        return c.cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False).alias(item.name)
    return c


Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def keyed_like(lookup: Frame, frame: pl.DataFrame | pl.LazyFrame, *keys: str) -> Frame:
    """`lookup` (built from the study model, keys as text) with its `keys` in the type `frame` holds them in:
    a table's text may be dictionary-encoded (Categorical), and polars joins only keys of one type."""
    schema = frame.collect_schema()
    return lookup.with_columns(pl.col(k).cast(TEXT) for k in keys if schema[k] == TEXT)
