"""Lab result text (LBORRES) read into comparator, number and status, without touching the original.

A result is a plain number ("12.5"), a censored number ("<0.5", "<= 3", ">1000", also the signs ≤ and ≥), a
not-done code (schema: LabResultParsing.not_done_codes) or other text (a qualitative result such as POSITIVE,
or something unreadable such as "1,5"). Text is never coerced: what is not a number gets no number.

Every reader is a polars expression, so 1.8 million results parse in one pass; `parse` is the scalar twin.
"""

from __future__ import annotations

import polars as pl

from ecrf.model import StudyModel, load_model
from ecrf.params import class_parameter

NUMBER = "NUMBER"      # an exact number
CENSORED = "CENSORED"  # a number with a comparator: the true value lies beyond it
NOT_DONE = "NOT_DONE"  # a code saying the test was not done
TEXT = "TEXT"          # anything else: qualitative or unreadable
EMPTY = "EMPTY"

_RESULT_RE = r"^\s*(<=|>=|<|>)?\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*$"
_SIGNS = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}


def not_done_codes(model: StudyModel | None = None) -> list[str]:
    codes = class_parameter(model or load_model(), "LabResultParsing", "not_done_codes")
    return [c.strip().upper() for c in str(codes).split("|") if c.strip()]


def _normalised(col: pl.Expr) -> pl.Expr:
    e = col.str.strip_chars()
    for sign, ascii_sign in _SIGNS.items():
        e = e.str.replace_all(sign, ascii_sign, literal=True)
    return e


def comparator_expr(col: pl.Expr) -> pl.Expr:
    """'<', '<=', '>', '>=' for a censored number, else null."""
    return _normalised(col).str.extract(_RESULT_RE, 1)


def number_expr(col: pl.Expr) -> pl.Expr:
    """The number of a plain or censored result, else null."""
    return _normalised(col).str.extract(_RESULT_RE, 2).cast(pl.Float64, strict=False)


def status_expr(col: pl.Expr, model: StudyModel | None = None) -> pl.Expr:
    text = _normalised(col)
    return (pl.when(text.is_null() | (text == "")).then(pl.lit(EMPTY))
            .when(text.str.to_uppercase().is_in(not_done_codes(model))).then(pl.lit(NOT_DONE))
            .when(text.str.contains(_RESULT_RE)).then(
                pl.when(comparator_expr(col).is_null()).then(pl.lit(NUMBER)).otherwise(pl.lit(CENSORED)))
            .otherwise(pl.lit(TEXT)))


def bounds_exprs(col: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(lowest, highest) value the result can stand for: equal for a plain number, open-ended for a censored
    one ("<0.5" -> (-inf, 0.5), ">1000" -> (1000, inf)); null when there is no number."""
    cmp, num = comparator_expr(col), number_expr(col)
    inf = pl.lit(float("inf"))
    lo = pl.when(cmp.is_in(["<", "<="])).then(-inf).otherwise(num)
    hi = pl.when(cmp.is_in([">", ">="])).then(inf).otherwise(num)
    return (pl.when(num.is_not_null()).then(lo), pl.when(num.is_not_null()).then(hi))


def with_parsed(df: pl.DataFrame, col: str = "lborres", prefix: str = "_res", model: StudyModel | None = None
                ) -> pl.DataFrame:
    """`df` with {prefix}_cmp, _num, _status, _lo and _hi columns read from `col` (which stays as it is)."""
    c = pl.col(col)
    lo, hi = bounds_exprs(c)
    return df.with_columns(comparator_expr(c).alias(f"{prefix}_cmp"), number_expr(c).alias(f"{prefix}_num"),
                           status_expr(c, model).alias(f"{prefix}_status"), lo.alias(f"{prefix}_lo"),
                           hi.alias(f"{prefix}_hi"))


def parse(text: str | None, model: StudyModel | None = None) -> dict:
    """One result: {'text', 'comparator', 'number', 'status'}."""
    d = with_parsed(pl.DataFrame({"t": [text]}, schema={"t": pl.Utf8}), "t", "r", model)
    row = d.row(0, named=True)
    return {"text": text, "comparator": row["r_cmp"], "number": row["r_num"], "status": row["r_status"]}
