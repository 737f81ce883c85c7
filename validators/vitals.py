"""Vital signs of children against plausible bands by age (schema: VitalSignAgeBand in forms_visits.yaml)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.model import ModelLacks
from ecrf.params import class_parameter, enum_annotations
from ecrf.validators.common import full_date_pattern
from ecrf.registry import Findings, check

if TYPE_CHECKING:
    from ecrf.engine import Context

BANDS = "VitalSignAgeBand"
ITEMS = ("temp", "sysbp", "diabp", "pulse", "resp")


def _fmt(e: pl.Expr) -> pl.Expr:
    return e.round(2).cast(pl.Utf8).str.replace(r"\.0$", "")


def bands_frame(model) -> pl.DataFrame:
    """One row per age band: min_age, max_age and {item}_low / {item}_high for every banded item."""
    rows = [{"_band": code, **a} for code, a in enum_annotations(model, BANDS).items()]
    cols = ["min_age", "max_age"] + [f"{i}_{s}" for i in ITEMS for s in ("low", "high")]
    return pl.DataFrame(rows).select(pl.col("_band"), *[pl.col(c).cast(pl.Float64) for c in cols])


@check("VS-SOFT", "Vital sign outside the plausible band for the age", "range", "warning", ("vs", "dm"),
       "Temperature, systolic and diastolic blood pressure, heart rate or respiratory rate within the item's hard "
       "limits but outside the band of the subject's age (completed years at the visit from a complete birth date, "
       "else AGE; VitalSignAgeBand: Fleming 2011 "
       "centiles for heart and respiratory rate, PALS hypotension for systolic pressure, [CONV] assumptions "
       "otherwise). Values beyond the hard limits are COL-RANGE findings.",
       reference="Fleming Lancet 2011;377:1011; PALS (AHA) hypotension thresholds",
       fields=tuple(i.upper() for i in ITEMS))
def vs_soft(ctx: Context) -> Findings:
    vs, dm = ctx.table("vs"), ctx.table("dm")
    if vs is None or dm is None or vs.n_rows == 0:
        return {}
    m = ctx.model
    tol = class_parameter(m, "LabChecks", "relative_tolerance")
    form = m.forms["vs"]
    full_date = full_date_pattern(m)  # a partial birth date gives no exact age
    # One query from the tables to the findings (each eager step would be a query of its own, whose fixed cost
    # outweighs the work on a small export).
    demo = dm.typed.lazy().select(
        pl.col("subjid"), pl.col("age").cast(pl.Float64).alias("_age_rec"),
        pl.when(pl.col("brthdat").cast(pl.Utf8).str.contains(full_date))
        .then(pl.col("brthdat").cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False)).alias("_birth")
    ).unique("subjid", keep="first")
    # the columns the bands are read against: the cross join with the bands below would copy every column
    d = vs.typed.lazy().select("subjid", pl.col("vsdat").cast(pl.Date), *ITEMS) \
        .with_row_index("_idx").join(demo, on="subjid")
    # Completed years at the visit from a complete birth date, else the age recorded at consent.
    def month_day(c: str) -> pl.Expr:  # as one integer (month and day are 8-bit in polars: widen first)
        return pl.col(c).dt.month().cast(pl.Int32) * 100 + pl.col(c).dt.day().cast(pl.Int32)

    day, bday = month_day("vsdat"), month_day("_birth")
    at_visit = (pl.col("vsdat").dt.year() - pl.col("_birth").dt.year() - (day < bday).cast(pl.Int32)).cast(pl.Float64)
    aged = d.with_columns(pl.coalesce(at_visit, pl.col("_age_rec")).alias("_age")).filter(pl.col("_age").is_not_null()) \
        .collect(engine=F.ENGINE).lazy()  # built once: every band reads it (a plan would join the forms for each)
    # Each band's rows picked by their age, with the band's limits as constants: a cross join with the bands
    # copied every row once per band before keeping one. Then in the order the cross join gave: row, band.
    age, bands = pl.col("_age"), bands_frame(m)
    banded = pl.concat([aged.filter((age >= b["min_age"]) & (age < b["max_age"]))
                        .with_columns(pl.lit(v, bands.schema[k]).alias(k) for k, v in b.items())
                        for b in bands.iter_rows(named=True)]).sort("_idx", maintain_order=True) \
        .collect(engine=F.ENGINE).lazy()  # built once: every item reads it
    frames = []
    for name in ITEMS:
        item = form.item(name)
        if item.minimum is None or item.maximum is None:
            raise ModelLacks(f"the study model gives {name} no hard limits")
        v, lo, hi = pl.col(name).cast(pl.Float64), pl.col(f"{name}_low"), pl.col(f"{name}_high")
        in_hard = (v >= item.minimum - abs(item.minimum) * tol) & (v <= item.maximum + abs(item.maximum) * tol)
        out = (v < lo - lo.abs() * tol) | (v > hi + hi.abs() * tol)
        bad = banded.filter(v.is_not_null() & in_hard & out)
        unit = item.unit or ""
        frames.append(bad.select(
            pl.col("_idx").cast(pl.Int64), pl.lit(item.title).alias("field"), pl.col(name).cast(pl.Utf8).alias("value"),
            pl.format("{} to {} {}", _fmt(lo), _fmt(hi), pl.lit(unit)).alias("expected"),
            pl.format("{} {} {} is outside the plausible band {} to {} for age {} years ({})", pl.lit(item.title),
                      pl.col(name).cast(pl.Utf8), pl.lit(unit), _fmt(lo), _fmt(hi), pl.col("_age").cast(pl.Int64), pl.col("_band")).alias("message")))
    o = pl.concat(frames).collect(engine=F.ENGINE)
    if o.is_empty():
        return {}
    return {"vs": F.raw(_idx=o["_idx"].to_list(), field=o["field"].to_list(), value=o["value"].to_list(),
                        expected=o["expected"].to_list(), message=o["message"].to_list())}
