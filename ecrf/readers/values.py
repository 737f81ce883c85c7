"""Typed values from binary formats (Excel, SAS, Parquet, Dataset-JSON) as the text a CSV export carries.

The checks see text exactly as a CSV would give it: numbers in their shortest form (0.1 stays 0.1, 3.0 is
"3"), dates and datetimes as ISO 8601, missing as None.
"""

from __future__ import annotations

import datetime as dt
import math


def number_text(x: float | int) -> str | None:
    """The shortest text that reads back as the same number; integral values without '.0'."""
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return None  # SAS missing values (., .A-.Z, ._) arrive as NaN: empty, as in CSV
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


def value_text(v) -> str | None:
    """Any cell value a reader library returns, as CSV text (None for missing)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return number_text(v)
    if isinstance(v, dt.datetime):
        return datetime_text(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.strftime("%H:%M:%S") if v.second else v.strftime("%H:%M")
    if isinstance(v, dt.timedelta):
        # Excel durations / times of day stored as fractions of a day
        secs = int(round(v.total_seconds()))
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}" + (f":{secs % 60:02d}" if secs % 60 else "")
    return str(v)


def datetime_text(v: dt.datetime) -> str:
    """A datetime as ISO 8601: the date alone at midnight, minutes unless seconds are set."""
    if v.time() == dt.time(0):
        return v.date().isoformat()
    return v.strftime("%Y-%m-%dT%H:%M:%S" if v.second else "%Y-%m-%dT%H:%M")


def frame_text(df, digits: int | None = None):
    """A typed polars frame as text columns, vectorised, with the same rules as `value_text`.

    digits: significant digits a float format truly holds (SAS transport keeps ~16.8 in IBM hex floats, so
    0.1 comes back as 0.09999999999999999 unless rounded to 15) before the shortest text is taken."""
    short = (lambda x: repr(float(f"{x:.{digits}g}"))) if digits else (lambda x: repr(float(x)))
    import polars as pl

    exprs = []
    for name, dtype in df.schema.items():
        c = pl.col(name)
        if dtype == pl.Utf8:
            exprs.append(c)
        elif dtype.is_float():
            whole = c.is_finite() & (c == c.round(0)) & (c.abs() < 1e16)
            exprs.append(pl.when(c.is_nan() | c.is_null()).then(None)
                         .when(whole).then(c.cast(pl.Int64, strict=False).cast(pl.Utf8))
                         .otherwise(c.map_elements(short, return_dtype=pl.Utf8,
                                                   skip_nulls=True)).alias(name))
        elif dtype.is_integer():
            exprs.append(c.cast(pl.Utf8))
        elif dtype == pl.Boolean:
            exprs.append(pl.when(c).then(pl.lit("TRUE")).when(~c).then(pl.lit("FALSE")).alias(name))
        elif dtype == pl.Date:
            exprs.append(c.dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            midnight = c.dt.time() == pl.time(0)
            exprs.append(pl.when(midnight).then(c.dt.strftime("%Y-%m-%d"))
                         .when(c.dt.second() == 0).then(c.dt.strftime("%Y-%m-%dT%H:%M"))
                         .otherwise(c.dt.strftime("%Y-%m-%dT%H:%M:%S")).alias(name))
        elif dtype == pl.Time:
            exprs.append(pl.when(c.dt.second() == 0).then(c.dt.strftime("%H:%M"))
                         .otherwise(c.dt.strftime("%H:%M:%S")).alias(name))
        else:
            exprs.append(c.map_elements(value_text, return_dtype=pl.Utf8, skip_nulls=True).alias(name))
    return df.select(exprs) if exprs else df
