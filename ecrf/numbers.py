"""Numbers written as text: the one parser for every column, result and schema value read as a number.

A number is what a data manager would type: an optional sign, digits with at most one decimal point, an
optional exponent ("12", "-0.5", ".5", "1e9"). Nothing else is coerced: not a decimal comma (9,4), a thousands
separator, a Unicode minus, full-width digits, "inf" or "NaN", nor surrounding blanks (the readers trim cells).
A censored lab result ("<0.5") is a number with a comparator: ecrf.clinical.labresult builds on NUMBER_PATTERN.
"""

from __future__ import annotations

import math
import re

import polars as pl

# The unanchored body, for patterns that embed a number (a censored result "<= 3").
NUMBER_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
NUMBER_RE = rf"^{NUMBER_PATTERN}$"
INTEGER_RE = r"^[+-]?[0-9]+$"

_NUMBER = re.compile(NUMBER_PATTERN)


def number(col: str | pl.Expr) -> pl.Expr:
    """A text column as Float64: the value where it is a finite number, else null (a column of numbers passes).
    Numbers no 64-bit float holds are no numbers: 1e309 would read as infinity and pass every range check."""
    c = (pl.col(col) if isinstance(col, str) else col).cast(pl.Utf8)
    v = pl.when(c.str.contains(NUMBER_RE)).then(c).otherwise(None).cast(pl.Float64, strict=False)
    return pl.when(v.is_finite()).then(v)


def integer(col: str | pl.Expr) -> pl.Expr:
    """A text column as Int64: the value where it is a whole number without a decimal point, else null (also
    beyond 64 bits)."""
    c = (pl.col(col) if isinstance(col, str) else col).cast(pl.Utf8)
    return pl.when(c.str.contains(INTEGER_RE)).then(c).otherwise(None).cast(pl.Int64, strict=False)


def is_number(text: object) -> bool:
    """The scalar twin of `number`'s test: text that is a number (a bool is not one)."""
    return isinstance(text, str) and _NUMBER.fullmatch(text) is not None and math.isfinite(float(text))


def to_number(value: object, strict: bool = False) -> float | None:
    """One value as a float: a number as it is, text when it is a number; None for None and "". Anything else
    is None, or with `strict` a ValueError (a schema value that must be a number)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if is_number(value):
        x = float(str(value))
        return x if math.isfinite(x) else None if not strict else _not_finite(value)
    if strict:
        raise ValueError(f"{value!r} is not a number")
    return None


def _not_finite(value: object) -> float:
    raise ValueError(f"{value!r} is beyond the range of a number")


def format_number(x: float) -> str:
    """A number as a person writes it: 3 for 3.0, otherwise Python's shortest exact form (0.1, 1e-05)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))
