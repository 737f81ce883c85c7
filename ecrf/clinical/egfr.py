"""Creatinine-based eGFR (mL/min/1.73m2): CKiD U25, bedside Schwartz, CKD-EPI 2021.

Each equation is a polars expression over columns (for the checks) with a plain-number twin (for tests and
users). Coefficients come from schema/clinical.yaml; sex is the CDISC code M or F (anything else: null).
"""

from __future__ import annotations

import polars as pl

from ecrf.clinical._eval import scalar
from ecrf.model import StudyModel, load_model
from ecrf.params import class_parameter, enum_annotations

KIDNEY = "KidneyFunctionParameters"


def _p(model: StudyModel | None, cls: str):
    m = model or load_model()
    return lambda key: class_parameter(m, cls, key)


def _e(x) -> pl.Expr:
    return x if isinstance(x, pl.Expr) else pl.lit(x)


def creatinine_mgdl_expr(value, unit, model: StudyModel | None = None) -> pl.Expr:
    """Serum creatinine in mg/dL from a value in mg/dL or umol/L; null for any other unit."""
    p = _p(model, KIDNEY)
    value, unit = _e(value).cast(pl.Float64), _e(unit)
    return (pl.when(unit == p("creatinine_conventional_unit")).then(value)
            .when(unit == p("creatinine_si_unit")).then(value / p("creatinine_umol_per_mgdl"))
            .otherwise(None))


def ckid_u25_k_expr(sex, age, model: StudyModel | None = None) -> pl.Expr:
    """The sex- and age-banded K of CKiD U25."""
    p = _p(model, "CkidU25Creatinine")
    sex, age = _e(sex), _e(age).cast(pl.Float64)
    rel = age - p("pivot_age")

    def banded(s: str) -> pl.Expr:
        return (pl.when(age < p("adolescent_age")).then(p(f"{s}_child_k") * pl.lit(p(f"{s}_child_base")).pow(rel))
                .when(age < p("adult_age")).then(p(f"{s}_adolescent_k") * pl.lit(p(f"{s}_adolescent_base")).pow(rel))
                .otherwise(pl.lit(p(f"{s}_adult_k"), pl.Float64)))

    return pl.when(sex == "M").then(banded("male")).when(sex == "F").then(banded("female")).otherwise(None)


def ckid_u25_expr(sex, age, height_cm, scr_mgdl, model: StudyModel | None = None) -> pl.Expr:
    p = _p(model, "CkidU25Creatinine")
    height_m = _e(height_cm).cast(pl.Float64) / p("cm_per_m")
    return ckid_u25_k_expr(sex, age, model) * height_m / _e(scr_mgdl).cast(pl.Float64)


def bedside_schwartz_expr(height_cm, scr_mgdl, model: StudyModel | None = None) -> pl.Expr:
    p = _p(model, "BedsideSchwartz")
    return p("k") * _e(height_cm).cast(pl.Float64) / _e(scr_mgdl).cast(pl.Float64)


def ckd_epi_2021_expr(sex, age, scr_mgdl, model: StudyModel | None = None) -> pl.Expr:
    p = _p(model, "CkdEpi2021")
    sex, age, scr = _e(sex), _e(age).cast(pl.Float64), _e(scr_mgdl).cast(pl.Float64)

    def by_sex(key: str) -> pl.Expr:
        return pl.when(sex == "M").then(pl.lit(p(f"male_{key}"), pl.Float64)) \
            .when(sex == "F").then(pl.lit(p(f"female_{key}"), pl.Float64)).otherwise(None)

    ratio = scr / by_sex("kappa")
    low = pl.min_horizontal(ratio, pl.lit(1.0)).pow(by_sex("alpha"))
    high = pl.max_horizontal(ratio, pl.lit(1.0)).pow(p("high_exponent"))
    female = pl.when(sex == "F").then(pl.lit(p("female_factor"), pl.Float64)).otherwise(pl.lit(1.0))
    return p("coef") * low * high * pl.lit(p("age_base"), pl.Float64).pow(age) * female


def egfr_expr(equation: str, sex, age, height_cm, scr_mgdl, model: StudyModel | None = None) -> pl.Expr:
    """eGFR by the named equation (EgfrEquation code)."""
    if equation == "CKID_U25":
        return ckid_u25_expr(sex, age, height_cm, scr_mgdl, model)
    if equation == "BEDSIDE_SCHWARTZ":
        return bedside_schwartz_expr(height_cm, scr_mgdl, model)
    if equation == "CKD_EPI_2021":
        return ckd_epi_2021_expr(sex, age, scr_mgdl, model)
    raise ValueError(f"unknown eGFR equation {equation}")


def protocol_equation(model: StudyModel | None = None) -> str:
    return _p(model, KIDNEY)("egfr_equation")


def equation_ages(model: StudyModel | None = None) -> dict[str, tuple[float, float | None]]:
    """{EgfrEquation code: (min_age, max_age or None)}: the completed years each equation was validated for."""
    out = {}
    for code, a in enum_annotations(model or load_model(), "EgfrEquation").items():
        out[code] = (float(a.get("min_age", 0)), None if a.get("max_age") is None else float(a["max_age"]))
    return out


def applies(equation: str, age_years: float, model: StudyModel | None = None) -> bool:
    """Whether the equation was validated at this age (completed years within its min_age..max_age)."""
    lo, hi = equation_ages(model)[equation]
    years = int(age_years)
    return years >= lo and (hi is None or years <= hi)


def egfr_by_expr(equation: pl.Expr, sex, age, height_cm, scr_mgdl, model: StudyModel | None = None) -> pl.Expr:
    """eGFR by the equation named in a column (EgfrEquation codes; another value gives null)."""
    out = None
    for code in equation_ages(model):
        e = egfr_expr(code, sex, age, height_cm, scr_mgdl, model)
        out = (pl.when(equation == code) if out is None else out.when(equation == code)).then(e)
    return pl.lit(None, pl.Float64) if out is None else out.otherwise(None)


# Plain-number versions.
def creatinine_mgdl(value: float, unit: str, model: StudyModel | None = None) -> float | None:
    return scalar(creatinine_mgdl_expr(value, unit, model))


def ckid_u25(sex: str, age: float, height_cm: float, scr_mgdl: float, model: StudyModel | None = None) -> float | None:
    return scalar(ckid_u25_expr(sex, age, height_cm, scr_mgdl, model))


def bedside_schwartz(height_cm: float, scr_mgdl: float, model: StudyModel | None = None) -> float | None:
    return scalar(bedside_schwartz_expr(height_cm, scr_mgdl, model))


def ckd_epi_2021(sex: str, age: float, scr_mgdl: float, model: StudyModel | None = None) -> float | None:
    return scalar(ckd_epi_2021_expr(sex, age, scr_mgdl, model))
