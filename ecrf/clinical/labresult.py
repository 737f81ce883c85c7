"""Lab result text (LBORRES) read into comparator, number and status, without touching the original.

A result is a plain number ("12.5"), a censored number ("<0.5", "<= 3", ">1000", also the signs ≤ and ≥), a
not-done code (schema: LabResultParsing.not_done_codes) or other text (a qualitative result such as POSITIVE,
or something unreadable such as "1,5"). Text is never coerced: what is not a number gets no number.

Parsing is a few vectorised polars passes (1.8 million results in about a second); `parse` is the scalar twin.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from ecrf.findings import ENGINE
from ecrf.model import StudyModel, load_model
from ecrf.numbers import NUMBER_PATTERN
from ecrf.params import class_parameter, listed

NUMBER = "NUMBER"      # an exact number
CENSORED = "CENSORED"  # a number with a comparator: the true value lies beyond it
NOT_DONE = "NOT_DONE"  # a code saying the test was not done
TEXT = "TEXT"          # anything else: qualitative or unreadable
EMPTY = "EMPTY"

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)  # parsed eagerly or as part of a lazy query
_RESULT_RE = rf"^\s*(<=|>=|<|>)?\s*({NUMBER_PATTERN})\s*$"
_SIGNS = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}


def not_done_codes(model: StudyModel | None = None) -> list[str]:
    codes = class_parameter(model or load_model(), "LabResultParsing", "not_done_codes")
    return [c.upper() for c in listed(codes, "|")]


def with_parsed(df: Frame, col: str = "lborres", prefix: str = "_res", model: StudyModel | None = None) -> Frame:
    """`df` with {prefix}_cmp, _num, _status, _lo and _hi columns read from `col` (which stays as it is).

    _lo and _hi are the lowest and highest value the result can stand for: equal for a plain number, open-ended
    for a censored one ("<0.5" -> (-inf, 0.5), ">1000" -> (1000, inf)); null when there is no number.
    """
    # Each distinct text is parsed once and joined back: an export repeats a few thousand results over millions
    # of rows, and the regex is the costly part (1 million lab results: 0.34 s parsed row by row, 0.1 s so).
    key = f"{prefix}_key"
    rows = df.lazy().with_columns(pl.col(col).cast(pl.Utf8).alias(key))
    parsed = _parse(rows.select(key).unique(), key, prefix, model)
    out = rows.join(parsed, on=key, how="left", maintain_order="left", nulls_equal=True).drop(key)
    return out if isinstance(df, pl.LazyFrame) else out.collect(engine=ENGINE)


def _parse(d: pl.LazyFrame, col: str, prefix: str, model: StudyModel | None) -> pl.LazyFrame:
    """`d` (text column `col`) with with_parsed's columns."""
    text, cmp, num = f"{prefix}_text", f"{prefix}_cmp", f"{prefix}_num"
    # One pass each: normalise, match once, then derive.
    d = d.with_columns(pl.col(col).cast(pl.Utf8).str.strip_chars().str.replace_many(_SIGNS).alias(text))
    d = d.with_columns(pl.col(text).cast(pl.Utf8).str.extract_groups(_RESULT_RE).alias(f"{prefix}_groups"))
    g = pl.col(f"{prefix}_groups")
    # a number no 64-bit float holds (1e309, read as infinity) is no number: text, found by LAB-RESULT-NOT-NUMBER
    parsed = g.struct.field("2").cast(pl.Float64, strict=False)
    d = d.with_columns(g.struct.field("1").alias(cmp), pl.when(parsed.is_finite()).then(parsed).alias(num))
    t, c, n = pl.col(text), pl.col(cmp), pl.col(num)
    inf = pl.lit(float("inf"))
    status = (pl.when(t.is_null() | (t == "")).then(pl.lit(EMPTY))
              .when(t.cast(pl.Utf8).str.to_uppercase().is_in(not_done_codes(model))).then(pl.lit(NOT_DONE))
              .when(n.is_null()).then(pl.lit(TEXT))
              .when(c.is_null()).then(pl.lit(NUMBER))
              .otherwise(pl.lit(CENSORED)))
    return d.with_columns(
        status.alias(f"{prefix}_status"),
        pl.when(n.is_null()).then(None).when(c.is_in(["<", "<="])).then(-inf).otherwise(n).alias(f"{prefix}_lo"),
        pl.when(n.is_null()).then(None).when(c.is_in([">", ">="])).then(inf).otherwise(n).alias(f"{prefix}_hi"),
    ).drop(text, f"{prefix}_groups")


def _groups(col: str | pl.Expr) -> pl.Expr:
    c = pl.col(col) if isinstance(col, str) else col
    return c.cast(pl.Utf8).str.strip_chars().str.replace_many(_SIGNS).str.extract_groups(_RESULT_RE)


def comparator(col: str | pl.Expr) -> pl.Expr:
    """The comparator of a censored result ("<", "<=", ">", ">="; the signs read as with_parsed reads them), else
    null: the expression twin of with_parsed's _cmp for a check that needs no other column."""
    return _groups(col).struct.field("1")


def result_number(col: str | pl.Expr) -> pl.Expr:
    """The number of a plain or censored result ("<20" -> 20.0), else null: with_parsed's _num as an expression."""
    return _groups(col).struct.field("2").cast(pl.Float64, strict=False)


def parse(text: str | None, model: StudyModel | None = None) -> dict:
    """One result: {'text', 'comparator', 'number', 'status'}."""
    d = with_parsed(pl.DataFrame({"t": [text]}, schema={"t": pl.Utf8}), "t", "r", model)
    row = d.row(0, named=True)
    return {"text": text, "comparator": row["r_cmp"], "number": row["r_num"], "status": row["r_status"]}
