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
