"""The recorded eGFR results with what checking them needs: the equation (LBMETHOD, else the protocol's), the age
at the lab date, whether the equation applies at that age (EgfrEquation min_age/max_age), and the eGFR recomputed
with that equation from the same visit's creatinine and height. Shared by KIDNEY-EGFR and KIDNEY-EGFR-EQUATION,
computed once per export.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ecrf import findings as F
from ecrf.clinical.egfr import creatinine_mgdl_expr, egfr_by_expr, equation_ages
from ecrf.numbers import number
from ecrf.validators.common import full_date_pattern
from ecrf.params import class_parameter

KIDNEY = "KidneyFunctionParameters"


def completed_years(on: pl.Expr, birth: pl.Expr) -> pl.Expr:
    def month_day(d: pl.Expr) -> pl.Expr:  # month and day are 8-bit in polars: widen before combining
        return d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)
    return (on.dt.year().cast(pl.Int32) - birth.dt.year().cast(pl.Int32)
            - (month_day(on) < month_day(birth)).cast(pl.Int32))


def egfr_frame(ctx) -> pl.DataFrame | None:
    lb = ctx.table("lb")
    if lb is None or lb.n_rows == 0:
        return None
    return lb.memo(("egfr_frame", id(ctx.model)), lambda: _build(ctx, lb))


def _build(ctx, lb) -> pl.DataFrame:
    m = ctx.model
    p = lambda k: class_parameter(m, KIDNEY, k)  # noqa: E731
    d = lb.typed.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
    method = pl.col("lbmethod").cast(pl.Utf8) if "lbmethod" in lb.typed.columns else pl.lit(None, pl.Utf8)
    known = list(equation_ages(m))
    recorded = (d.filter(pl.col("lbtestcd") == p("egfr_lab_code")).collect(engine=F.ENGINE)
                .with_columns(number("lborres").alias("_egfr"), method.alias("_method"))
                .filter(pl.col("_egfr").is_not_null()
                        & (pl.col("_method").is_null() | pl.col("_method").is_in(known)))  # others: codelist
                .with_columns(pl.col("_method").is_not_null().alias("_eq_recorded"),
                              pl.col("_method").fill_null(p("egfr_equation")).alias("_eq")))
    # Creatinine and height of the visits with an eGFR only (lazy: the filters copy the columns read).
    visits = recorded.select("subjid", "visitnum").lazy()
    creat = (d.filter(pl.col("lbtestcd") == p("creatinine_lab_code")).join(visits, on=["subjid", "visitnum"], how="semi")
             .select("subjid", "visitnum", creatinine_mgdl_expr(number("lborres"), pl.col("lborresu"), m).alias("_scr"))
             .filter(pl.col("_scr") > 0).unique(["subjid", "visitnum"], keep="first", maintain_order=True)
             .collect(engine=F.ENGINE))
    vs, dm = ctx.table("vs"), ctx.table("dm")
    if vs is not None:
        height = (vs.typed.lazy().join(visits, on=["subjid", "visitnum"], how="semi")
                  .select("subjid", "visitnum", pl.col("height").cast(pl.Float64).alias("_height"))
                  .filter(pl.col("_height").is_not_null()).unique(["subjid", "visitnum"], keep="first",
                                                                   maintain_order=True).collect(engine=F.ENGINE))
        recorded = recorded.join(height, on=["subjid", "visitnum"], how="left")
    else:
        recorded = recorded.with_columns(pl.lit(None, pl.Float64).alias("_height"))
    recorded = recorded.join(creat, on=["subjid", "visitnum"], how="left")
    if dm is None:
        return recorded.with_columns(pl.lit(None, pl.Float64).alias("_age"), pl.lit(None, pl.Int32).alias("_years"),
                                     pl.lit(None, pl.Boolean).alias("_valid"), pl.lit(None, pl.Float64).alias("_calc"))
    full_date = full_date_pattern(m)  # a partial birth date gives no exact age
    brth = pl.col("brthdat").cast(pl.Utf8)
    demo = dm.typed.select(
        "subjid", pl.col("sex").cast(pl.Utf8).alias("_sex"), pl.col("age").cast(pl.Float64).alias("_age_rec"),
        pl.when(brth.str.contains(full_date)).then(brth.str.to_date("%Y-%m-%d", strict=False)).alias("_birth")
    ).unique("subjid", keep="first")
    j = recorded.join(demo, on="subjid", how="left")
    # Age at the lab date when the birth date is complete; otherwise the recorded age in completed years.
    j = j.with_columns(
        pl.coalesce((pl.col("lbdat") - pl.col("_birth")).dt.total_days() / p("days_per_year"),
                    pl.col("_age_rec")).alias("_age"),
        pl.coalesce(completed_years(pl.col("lbdat"), pl.col("_birth")), pl.col("_age_rec").cast(pl.Int32, strict=False))
        .alias("_years"))
    valid: Any = None  # a when/then chain over the equations, once the first is added
    for code, (lo, hi) in equation_ages(m).items():
        ok = pl.col("_years") >= lo if hi is None else pl.col("_years").is_between(lo, hi)
        valid = (pl.when(pl.col("_eq") == code) if valid is None else valid.when(pl.col("_eq") == code)).then(ok)
    j = j.with_columns((pl.lit(None, pl.Boolean) if valid is None else valid.otherwise(None)).alias("_valid"))
    return j.with_columns(egfr_by_expr(pl.col("_eq"), pl.col("_sex"), pl.col("_age"), pl.col("_height"),
                                       pl.col("_scr"), m).alias("_calc"))
