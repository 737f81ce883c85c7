"""Evaluate a polars expression on scalars, so each equation is written once (as an expression)."""

from __future__ import annotations

import polars as pl


def scalar(expr: pl.Expr) -> float | None:
    v = pl.select(expr.cast(pl.Float64).alias("v")).item()
    return None if v is None else float(v)
