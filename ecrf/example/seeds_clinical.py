"""Clinical seeds for rules applied as clinicians apply them: the fludarabine renal adjustment (SCHED-LD-DOSE) and
the eGFR equation's validated ages (KIDNEY-EGFR-EQUATION) (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

import polars as pl

from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import at_screening as _at_scr
from ecrf.example.seedkit import forms as _f
from ecrf.params import class_parameter


def _renal_band(ex, drug: str):
    """The drug's mildest renal dose reduction (the highest kidney-function band)."""
    bands = [a for a in ex.protocol.renal_adjustments() if a.drug == drug]
    return max(bands, key=lambda a: a.max_egfr) if bands else None


def _normal_kidney_candidates(ex) -> list[str]:
    """Subjects given fludarabine whose screening eGFR is clearly above every renal adjustment band."""
    band = _renal_band(ex, "FLUDARABINE")
    if band is None:
        return []
    tol = class_parameter(ex.model, "KidneyFunctionParameters", "egfr_tolerance_ml_min")
    normal = ex.subjects("lb", _at_scr(ex) & (pl.col("LBTESTCD") == ex.protocol.param("egfr_test"))
                         & (pl.col("LBORRES").cast(pl.Float64, strict=False) > band.max_egfr + 2 * tol))
    flu = set(ex.subjects("ld", pl.col("LDTRT") == "FLUDARABINE"))
    return [x for x in normal if x in flu]


def _reduced_without_cause(ex, subject, rng):
    """Every fludarabine dose reduced as for impaired kidneys, although the eGFR is normal."""
    factor = _renal_band(ex, "FLUDARABINE").dose_factor
    out = []
    for row in ex.rows("ld", (pl.col("SUBJID") == subject) & (pl.col("LDTRT") == "FLUDARABINE")).iter_rows(named=True):
        dose = f"{float(row['LDDOSE']) * factor:.1f}"
        ex.set("ld", row["_i"], LDDOSE=dose)
        out.append(("SCHED-LD-DOSE", "ld", "LDDOSE", ex.reported("ld", "LDDOSE", dose)))
    return out


def follow_renal_label(ex, subject: str, egfr: float) -> None:
    """Reduce the subject's lymphodepletion doses as LymphodepletionRenalAdjustment requires at this eGFR, as a
    site following the label does (used by seeds that lower the eGFR)."""
    for a in ex.protocol.renal_adjustments():
        if not a.min_egfr <= egfr < a.max_egfr:
            continue
        for row in ex.rows("ld", (pl.col("SUBJID") == subject) & (pl.col("LDTRT") == a.drug)).iter_rows(named=True):
            ex.set("ld", row["_i"], LDDOSE=f"{float(row['LDDOSE']) * a.dose_factor:.1f}")


def _adult_equation(ex) -> tuple[str, float]:
    """The adult-only equation and its minimum age (EgfrEquation without max_age, the highest min_age)."""
    from ecrf.clinical.egfr import equation_ages

    code, (lo, _) = max(((c, a) for c, a in equation_ages(ex.model).items() if a[1] is None), key=lambda x: x[1][0])
    return code, lo


def _child_egfr_candidates(ex) -> list[str]:
    """Subjects younger than the adult equation's minimum age with an eGFR reported with another equation."""
    code, lo = _adult_equation(ex)
    young = set(ex.subjects("dm", pl.col("AGE").cast(pl.Int64, strict=False) < lo - 1))  # a child all study long
    return [x for x in ex.subjects("lb", (pl.col("LBTESTCD") == "EGFR") & (pl.col("LBMETHOD") != code)) if x in young]


def _adult_equation_for_child(ex, subject, rng):
    """The child's eGFR record names the adult equation (the value left as reported)."""
    code, _ = _adult_equation(ex)
    row = ex.pick("lb", subject, rng, (pl.col("LBTESTCD") == "EGFR") & (pl.col("LBMETHOD") != code))
    ex.set("lb", row["_i"], LBMETHOD=code)
    return [("KIDNEY-EGFR-EQUATION", "lb", "LBMETHOD", code)]


CLINICAL = (
    Clinical("SCHED-LD-DOSE", _f("ld"), _f("lb:EGFR"), _normal_kidney_candidates, _reduced_without_cause,
             "fludarabine reduced as for impaired kidney function although the screening eGFR is normal"),
    # Reads the age only (birth date first): with the equation out of its ages nothing is recomputed from height.
    Clinical("KIDNEY-EGFR-EQUATION", _f("lb:EGFR"), _f("dm:BRTHDAT"), _child_egfr_candidates,
             _adult_equation_for_child, "a child's eGFR recorded as computed with the adult CKD-EPI 2021 equation"),
)
