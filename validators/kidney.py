"""Kidney function and body size: a recorded eGFR or BSA against the one recomputed from the record's inputs.

Equations and tolerances come from schema/clinical.yaml (KidneyFunctionParameters, BodySurfaceArea).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.clinical.bsa import mosteller_expr
from ecrf.params import class_parameter
from ecrf.registry import Findings, check
from ecrf.validators.egfr_frame import egfr_frame

if TYPE_CHECKING:
    from ecrf.engine import Context

KIDNEY = "KidneyFunctionParameters"


def _fmt(e: pl.Expr, decimals: int) -> pl.Expr:
    return e.round(decimals).cast(pl.Utf8)


@check("KIDNEY-EGFR", "Recorded eGFR differs from the recomputed one", "consistency", "warning", ("lb", "vs", "dm"),
       "A recorded eGFR (LBTESTCD EGFR) differs by more than KidneyFunctionParameters egfr_tolerance_ml_min "
       "({KidneyFunctionParameters.egfr_tolerance_ml_min}) from the eGFR recomputed with the equation the record "
       "names (LBMETHOD), else the protocol's (KidneyFunctionParameters egfr_equation: "
       "{KidneyFunctionParameters.egfr_equation}), from the same visit's creatinine (umol/L converted to mg/dL), the "
       "same visit's height (CKiD U25, bedside Schwartz) and the subject's sex and age (at the lab date from a "
       "complete birth date, else AGE). Outside the ages the equation was validated for (EgfrEquation min_age, "
       "max_age) nothing is recomputed: KIDNEY-EGFR-EQUATION warns instead. Results that are censored or in another "
       "unit are not compared.",
       reference="Pierce Kidney Int 2021;99:948 (CKiD U25); Schwartz JASN 2009;20:629; Inker NEJM 2021;385:1737",
       fields=("LBORRES",))
def egfr(ctx: Context) -> Findings:
    j = egfr_frame(ctx)
    if j is None:
        return {}
    tol = class_parameter(ctx.model, KIDNEY, "egfr_tolerance_ml_min")
    bad = j.lazy().filter(pl.col("_valid").fill_null(False) & pl.col("_calc").is_not_null()
                          & ((pl.col("_egfr") - pl.col("_calc")).abs() > tol))
    height = pl.when(pl.col("_height").is_not_null()).then(pl.concat_str([pl.lit(", height "), _fmt(pl.col("_height"), 1),
                                                                          pl.lit(" cm")])).otherwise(pl.lit(""))
    expected = pl.concat_str([_fmt(pl.col("_calc"), 1), pl.lit(f" +/- {tol} ("), pl.col("_eq"), pl.lit(")")])
    message = pl.concat_str([
        pl.lit("recorded eGFR "), pl.col("lborres"), pl.lit(" differs from "), pl.col("_eq"), pl.lit(" eGFR "),
        _fmt(pl.col("_calc"), 1), pl.lit(" computed from creatinine "), _fmt(pl.col("_scr"), 2), pl.lit(" mg/dL"),
        height, pl.lit(", age "), _fmt(pl.col("_age"), 1), pl.lit(" y, sex "), pl.col("_sex")])
    # one query: the records found with the text their findings quote
    out = bad.select(pl.col("_idx").cast(pl.Int64), pl.col("lborres"), expected.alias("e"), message.alias("m")) \
        .collect(engine=F.ENGINE)
    if out.is_empty():
        return {}
    return {"lb": F.raw(_idx=out["_idx"].to_list(), field="LBORRES", value=out["lborres"].to_list(),
                        expected=out["e"].to_list(), message=out["m"].to_list())}


@check("KIDNEY-BSA", "Lymphodepletion BSA differs from Mosteller", "consistency", "warning", ("ld", "vs"),
       "The body surface area recorded for lymphodepletion dosing (LDBSA, Mosteller) differs by more than "
       "BodySurfaceArea bsa_tolerance_m2 ({BodySurfaceArea.bsa_tolerance_m2} m2) from sqrt(height x weight / "
       "{BodySurfaceArea.mosteller_divisor}) computed from the subject's vital signs at the LD visit (else "
       "screening).",
       reference="Mosteller NEJM 1987;317:1098", fields=("LDBSA",))
def bsa(ctx: Context) -> Findings:
    ld, vs = ctx.table("ld"), ctx.table("vs")
    if ld is None or vs is None or ld.n_rows == 0:
        return {}
    m = ctx.model
    tol = class_parameter(m, "BodySurfaceArea", "bsa_tolerance_m2")
    visits = str(class_parameter(m, "BodySurfaceArea", "bsa_visits")).split()
    rank = {v: i for i, v in enumerate(visits)}
    # One query from the tables to the findings (each eager step would be a query of its own, whose fixed cost
    # outweighs the work on a small export).
    body = (vs.typed.lazy().filter(pl.col("visit").is_in(visits) & pl.col("height").is_not_null() & pl.col("weight").is_not_null())
            .with_columns(pl.col("visit").replace_strict(rank, default=None).alias("_rank"))
            .sort(["subjid", "_rank", "visitnum"])
            .unique("subjid", keep="first", maintain_order=True)
            .select("subjid", pl.col("visit").alias("_visit"), pl.col("height").alias("_h"), pl.col("weight").alias("_w")))
    d = (ld.typed.lazy().with_row_index("_idx")
         .filter(pl.col("ldbsa").is_not_null() & (pl.col("ldbsamth").is_null() | (pl.col("ldbsamth") == "MOSTELLER")))
         .join(body, on="subjid")
         .with_columns(mosteller_expr(pl.col("_h"), pl.col("_w"), m).alias("_calc")))
    bad = d.filter((pl.col("ldbsa") - pl.col("_calc")).abs() > tol)
    out = bad.select(
        pl.col("_idx").cast(pl.Int64), pl.col("ldbsa").cast(pl.Utf8).alias("v"),
        pl.concat_str([_fmt(pl.col("_calc"), 2), pl.lit(f" +/- {tol} m2 (Mosteller)")]).alias("e"),
        pl.concat_str([pl.lit("LDBSA "), pl.col("ldbsa").cast(pl.Utf8), pl.lit(" m2 differs from Mosteller BSA "),
                       _fmt(pl.col("_calc"), 2), pl.lit(" m2 from height "), _fmt(pl.col("_h"), 1),
                       pl.lit(" cm and weight "), _fmt(pl.col("_w"), 1), pl.lit(" kg at visit "), pl.col("_visit")]).alias("m")) \
        .collect(engine=F.ENGINE)
    if out.is_empty():
        return {}
    return {"ld": F.raw(_idx=out["_idx"].to_list(), field="LDBSA", value=out["v"].to_list(),
                        expected=out["e"].to_list(), message=out["m"].to_list())}
