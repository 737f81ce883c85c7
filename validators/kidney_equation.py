"""An eGFR computed with an equation outside the ages it was validated for (EgfrEquation in schema/clinical.yaml):
the result cannot be recomputed meaningfully, so KIDNEY-EGFR leaves it and this check says the equation does not
apply."""

from __future__ import annotations

import polars as pl

from ecrf import findings as F
from ecrf.clinical.egfr import equation_ages
from ecrf.registry import check
from ecrf.validators.egfr_frame import egfr_frame


def _ages(lo: float, hi: float | None) -> str:
    return f"{lo:g} years and over" if hi is None else f"{lo:g}-{hi:g} years"


@check("KIDNEY-EGFR-EQUATION", "eGFR equation used outside its validated ages", "consistency", "warning",
       ("lb", "dm"),
       "A recorded eGFR (LBTESTCD EGFR) whose equation (LBMETHOD, else KidneyFunctionParameters egfr_equation) was "
       "not validated at the subject's age at the lab date in completed years (from a complete birth date, else AGE): "
       "CKiD U25 {EgfrEquation.CKID_U25.min_age}-{EgfrEquation.CKID_U25.max_age} years, bedside Schwartz "
       "{EgfrEquation.BEDSIDE_SCHWARTZ.min_age}-{EgfrEquation.BEDSIDE_SCHWARTZ.max_age}, CKD-EPI 2021 from "
       "{EgfrEquation.CKD_EPI_2021.min_age} (EgfrEquation min_age, max_age). The eGFR is not recomputed "
       "(no KIDNEY-EGFR finding); the site should report it with an equation valid at that age.",
       reference="Pierce Kidney Int 2021;99:948 (CKiD U25, 1-25 y); Schwartz JASN 2009;20:629; "
                 "Inker NEJM 2021;385:1737 (adults)",
       fields=("LBMETHOD",))
def egfr_equation(ctx):
    j = egfr_frame(ctx)
    if j is None:
        return {}
    bad = j.filter(pl.col("_valid").is_not_null() & ~pl.col("_valid"))
    if bad.is_empty():
        return {}
    ages = equation_ages(ctx.model)
    validity = {code: _ages(*a) for code, a in ages.items()}

    def fitting(years: int) -> str:
        codes = [c for c, (lo, hi) in ages.items() if years >= lo and (hi is None or years <= hi)]
        return " or ".join(codes) or "none of the known equations"

    fit = {int(y): fitting(int(y)) for y in bad["_years"].unique().to_list()}
    source = pl.when(pl.col("_eq_recorded")).then(pl.lit("recorded")).otherwise(pl.lit("the protocol's, assumed"))
    f = F.from_frame(
        bad, "LBMETHOD", pl.col("_eq"),
        pl.col("_years").replace_strict(fit, return_dtype=pl.Utf8),
        pl.format("eGFR {} uses {} ({}), validated for {}; the subject is aged {} at the lab date, so the equation does "
                  "not apply and the eGFR is not recomputed", pl.col("lborres"), pl.col("_eq"), source,
                  pl.col("_eq").replace_strict(validity, default=""), pl.col("_years")))
    return {} if f is None else {"lb": f}
