"""The lymphodepletion doses a record may carry once kidney function is known: the planned mg/m2 dose, reduced by
LymphodepletionRenalAdjustment (schema/protocol.yaml) while the subject's latest eGFR before the administration
lies in an adjustment band. Used by SCHED-LD-DOSE.
"""

from __future__ import annotations

import polars as pl

from ecrf import findings as F
from ecrf.table import keyed_like
from ecrf.numbers import number
from ecrf.params import class_parameter
from ecrf.protocol import protocol

UNBOUNDED = 1e12


def latest_egfr(ctx, ld: pl.DataFrame) -> pl.DataFrame:
    """(_idx, _egfr, _egfr_dat): the subject's latest numeric eGFR dated on or before each administration."""
    empty = pl.DataFrame(schema={"_idx": pl.Int64, "_egfr": pl.Float64, "_egfr_dat": pl.Date})
    lb = ctx.indexed("lb")
    if lb is None:
        return empty
    test = protocol(ctx.model).param("egfr_test")
    # the eGFR rows first, then their results read as numbers (not every lab result); lazy, so that the filter
    # copies the three columns read, not every lab column
    egfr = lb.lazy().filter(pl.col("lbtestcd") == test) \
        .select(pl.col("subjid"), pl.col("lbdat").alias("_egfr_dat"), number("lborres").alias("_egfr")) \
        .filter(pl.col("_egfr").is_not_null() & pl.col("_egfr_dat").is_not_null()).collect(engine=F.ENGINE)
    if egfr.is_empty():
        return empty
    return (ld.select("_idx", "subjid", "lddat").join(egfr, on="subjid")
            .filter(pl.col("_egfr_dat") <= pl.col("lddat"))
            .sort("_idx", "_egfr_dat").group_by("_idx", maintain_order=True)
            .agg(pl.col("_egfr").last(), pl.col("_egfr_dat").last()))


def allowed_factors(ctx) -> pl.DataFrame:
    """(ldtrt, _lo, _hi, _factor, _band): the dose factor of every kidney-function band of every drug; a drug's
    unadjusted band runs from its highest adjustment limit up (or covers everything without adjustments)."""
    p = protocol(ctx.model)
    rows = [(a.drug, a.min_egfr, a.max_egfr, a.dose_factor, a.code) for a in p.renal_adjustments()]
    for drug in p.lymphodepletion():
        tops = [hi for d, _, hi, _, _ in rows if d == drug]
        rows.append((drug, max(tops) if tops else -UNBOUNDED, UNBOUNDED, 1.0, ""))
    return pl.DataFrame(rows, schema={"ldtrt": pl.Utf8, "_lo": pl.Float64, "_hi": pl.Float64, "_factor": pl.Float64,
                                      "_band": pl.Utf8}, orient="row")


def with_allowed(ctx, ld: pl.DataFrame) -> pl.DataFrame:
    """One row per administration and dose factor it may carry (every band within the eGFR tolerance of its
    latest eGFR; the unadjusted dose only when no eGFR is on record)."""
    tol = class_parameter(ctx.model, "KidneyFunctionParameters", "egfr_tolerance_ml_min")
    d = ld.join(latest_egfr(ctx, ld), on="_idx", how="left").join(keyed_like(allowed_factors(ctx), ld, "ldtrt"), on="ldtrt")
    e = pl.col("_egfr")
    near = (e + tol >= pl.col("_lo")) & (e - tol < pl.col("_hi"))
    return d.filter(pl.when(e.is_null()).then(pl.col("_band") == "").otherwise(near))
