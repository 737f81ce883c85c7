"""Safety assessments read as ASTCT 2019 defines them: the ICANS tool for the child's age, fever by temperature."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.model import MULTI_SEPARATOR
from ecrf.params import class_parameter, enum_annotations
from ecrf.validators.common import full_date_pattern
from ecrf.validators.consistency_dates import collect
from ecrf.registry import Findings, check

if TYPE_CHECKING:
    from ecrf.engine import Context

ASTCT = "Lee BBMT 2019;25:625 (ASTCT consensus)"


def _birth_dates(ctx) -> pl.DataFrame | None:
    dm = ctx.table("dm")
    if dm is None:
        return None
    full_date = full_date_pattern(ctx.model)  # a partial birth date gives no exact age
    return (dm.typed.filter(pl.col("brthdat").cast(pl.Utf8).str.contains(full_date))
            .select("subjid", pl.col("brthdat").cast(pl.Utf8).str.to_date("%Y-%m-%d", strict=False).alias("_birth"))
            .drop_nulls().unique("subjid", keep="first"))


def _age_on(day: pl.Expr, birth: pl.Expr) -> pl.Expr:
    """Completed years on `day`."""
    before_birthday = (day.dt.month() < birth.dt.month()) | (
        (day.dt.month() == birth.dt.month()) & (day.dt.day() < birth.dt.day()))
    return day.dt.year() - birth.dt.year() - before_birthday.cast(pl.Int32)


@check("SAFE-ICANS-TOOL", "ICANS encephalopathy tool not the one for the child's age", "consistency", "warning",
       ("icans", "dm"),
       "ASTCT 2019 grades encephalopathy with the ICE score from age {IcansGrading.ice_min_age} and with CAPD below "
       "it: ICANSTOOL must be CAPD when the subject is under {IcansGrading.ice_min_age} on ICANSDAT (age from the "
       "full birth date) and ICE from that age. Rows without a full birth date or assessment date are not judged.",
       reference=ASTCT, fields=("ICANSTOOL", "ICANSDAT", "BRTHDAT"))
def icans_tool(ctx: Context) -> Findings:
    t, births = ctx.table("icans"), _birth_dates(ctx)
    if t is None or t.n_rows == 0 or births is None:
        return {}
    ice_age = class_parameter(ctx.model, "IcansGrading", "ice_min_age")
    d = (t.typed.with_row_index("_idx").join(births, on="subjid", how="inner")
         .filter(pl.col("icansdat").is_not_null() & pl.col("icanstool").is_not_null())
         .with_columns(_age_on(pl.col("icansdat"), pl.col("_birth")).alias("_age")))
    d = d.with_columns(pl.when(pl.col("_age") >= ice_age).then(pl.lit("ICE")).otherwise(pl.lit("CAPD")).alias("_tool"))
    bad = d.filter(pl.col("icanstool").cast(pl.Utf8) != pl.col("_tool")).sort("_idx")
    if bad.is_empty():
        return {}
    message = pl.concat_str([pl.lit("ICANS assessed with "), pl.col("icanstool").cast(pl.Utf8), pl.lit(" at age "),
                             pl.col("_age").cast(pl.Utf8), pl.lit(f" (ICE from {ice_age} years, CAPD below)")])
    out = bad.select(pl.col("_idx").cast(pl.Int64), pl.col("icanstool").cast(pl.Utf8).alias("v"),
                     pl.col("_tool").alias("e"), message.alias("m"))
    return {"icans": F.raw(_idx=out["_idx"].to_list(), field="ICANSTOOL", value=out["v"].to_list(),
                           expected=out["e"].to_list(), message=out["m"].to_list())}


@check("SAFE-CRS-FEVER", "CRS fever flag contradicts the maximum temperature", "consistency", "warning", ("crs",),
       "ASTCT 2019 fever is a temperature of {CrsGrading.fever_min_c} C or more: CRSFEVER N with a maximum "
       "temperature (CRSTMAX) at or above it contradicts itself; CRSFEVER Y with a maximum below it is queried, as it "
       "holds only when antipyretics or anti-cytokine therapy masked the fever: not queried on a day whose CRS "
       "treatment (CRSTRT) holds one (CrsTreatment masks_fever).",
       reference=ASTCT, fields=("CRSFEVER", "CRSTMAX"))
def crs_fever(ctx: Context) -> Findings:
    t = ctx.table("crs")
    if t is None or t.n_rows == 0 or not {"crsfever", "crstmax"} <= set(t.df.columns):
        return {}
    fever_min = float(class_parameter(ctx.model, "CrsGrading", "fever_min_c"))
    d = t.typed.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64),
                                                     pl.col("crstmax").cast(pl.Float64).alias("_tmax"))
    hot = pl.col("_tmax") >= fever_min
    masked = _treated_with(d, [c for c, a in enum_annotations(ctx.model, "CrsTreatment").items()
                               if a.get("masks_fever") is True])
    bad = d.filter(pl.col("_tmax").is_not_null() & (((pl.col("crsfever") == "N") & hot)
                                                   | ((pl.col("crsfever") == "Y") & ~hot & ~masked)))
    expected = pl.when(hot).then(pl.lit("Y (fever)")).otherwise(pl.lit("N, or a fever masked by treatment"))
    message = pl.format("CRSFEVER {} with a maximum temperature of {} C (fever from {} C)", pl.col("crsfever"),
                        pl.col("_tmax"), pl.lit(fever_min))
    f = F.from_frame(bad, "CRSFEVER", pl.col("crsfever"), expected, message)
    return {} if f is None else {"crs": f}


def _treated_with(d: pl.DataFrame, codes: list[str]) -> pl.Expr:
    """Whether the day's CRS treatment (the multi-select CRSTRT) holds any of `codes`; False without CRSTRT."""
    if "crstrt" not in d.columns or not codes:
        return pl.lit(False)
    return pl.col("crstrt").cast(pl.Utf8).str.split(MULTI_SEPARATOR).list.eval(pl.element().is_in(codes)).list.any().fill_null(False)


@check("SAFE-CRS-TREATMENT", "CRS treatment contradicts the support recorded", "consistency", "error", ("crs",),
       "A CRS grading day whose treatment (CRSTRT) is recorded lists a vasopressor exactly when vasopressors "
       "(CRSVASO 1 or more) or vasopressin (CRSVSPRS Y) are recorded, and oxygen exactly when the oxygen support "
       "(CRSOXY) is other than NONE (CrsTreatment support). A day without CRSTRT is not judged. Reported on CRSTRT.",
       reference=ASTCT, fields=("CRSTRT",))
def crs_treatment(ctx: Context) -> Findings:
    d = ctx.indexed("crs")
    if d is None or "crstrt" not in d.columns:
        return {}
    vaso, vsprs, oxy = pl.col("crsvaso"), pl.col("crsvsprs"), pl.col("crsoxy")
    # per kind of support: whether the form records it (null: not recorded either way), and how to show that
    recorded = {
        "vasopressor": (pl.when(vaso.is_null() & vsprs.is_null()).then(None)
                        .otherwise((vaso.fill_null(0) >= 1) | (vsprs == "Y")),
                        pl.format("CRSVASO {}, CRSVSPRS {}", vaso.cast(pl.Utf8).fill_null(""), vsprs.fill_null(""))),
        "oxygen": (pl.when(oxy.is_null()).then(None).otherwise(oxy != "NONE"), pl.format("CRSOXY {}", oxy)),
    }
    parts = []
    for code, a in enum_annotations(ctx.model, "CrsTreatment").items():
        kind = a.get("support")
        if kind not in recorded:
            continue
        given, shown = recorded[kind]
        listed = _treated_with(d, [code])
        rows = d.filter(pl.col("crstrt").is_not_null() & given.is_not_null() & (listed != given))
        parts.append(("crs", F.from_frame(
            rows, "CRSTRT", pl.col("crstrt"),
            pl.when(given).then(pl.lit(f"{code} among the treatments"))
            .otherwise(pl.lit(f"no {code}, or the {kind} recorded")),
            pl.when(listed).then(pl.format(f"CRSTRT lists {code} but {{}}", shown))
            .otherwise(pl.format(f"{{}} recorded but CRSTRT does not list {code}", shown)))))
    return collect(parts)
