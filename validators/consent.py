"""Consent as the registration requires it (general inclusion 1): the participant, and the guardian of a minor,
sign; a minor of the age the schema names also assents. Who signs and whether assent is needed come from
ConsentAgeBand by the age on each consent date.

The age on a consent date is computed from the birth date (dm BRTHDAT); a partial birth date allows two ages, and a
record is judged only when both fall in the same band. Without a birth date, dm AGE (the age at the first consent)
is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import enum_annotations, listed
from ecrf.registry import Findings, check
from ecrf.engine import shared
from ecrf.validators.consistency_dates import raw, run_parts
from ecrf.validators.derived import age_range, births

if TYPE_CHECKING:
    from ecrf.engine import Context

REF = "NCT07283315 general inclusion 1; ICH E6(R3) 2.8.12 (minors' consent and assent)"


def _bands(model) -> pl.DataFrame:
    a = enum_annotations(model, "ConsentAgeBand")
    return pl.DataFrame({
        "_band": list(a),
        "_min": [int(v["min_age"]) for v in a.values()],
        "_max": [int(v["max_age"]) for v in a.values()],
        "_givers": [listed(v["givers"]) for v in a.values()],
        "_assent": [str(v["assent"]).lower() == "true" for v in a.values()],
    })


@shared
def consents_by_band(ctx) -> pl.DataFrame | None:
    """Every consent record (_idx, subjid, ic items) with the age band of the signer on ICDAT (_band, _givers,
    _assent, _age); records whose band is uncertain or unknown are left out. One query, run once for the two
    checks that read it."""
    ic, dm = ctx.indexed("ic"), ctx.indexed("dm")
    if ic is None or dm is None:
        return None
    b = births(ctx)
    # a subject's AGE picked by an eager unique, as before: in a lazy plan polars may pick another of two rows
    age = dm.select("subjid", pl.col("age").alias("_dm_age")).unique("subjid", keep="first", maintain_order=True)
    d = ic.lazy().join(age.lazy(), on="subjid", how="left")
    if b is not None:
        d = d.join(b.lazy(), on="subjid", how="left")
        lo, hi = age_range(pl.col("icdat"))
    else:
        lo = hi = pl.lit(None, pl.Int64)
    has_birth = pl.col("_b_first").is_not_null() if b is not None else pl.lit(False)
    d = d.with_columns(pl.when(has_birth).then(lo).otherwise(pl.col("_dm_age")).alias("_lo"),
                       pl.when(has_birth).then(hi).otherwise(pl.col("_dm_age")).alias("_hi"))
    d = d.filter(pl.col("icdat").is_not_null() & pl.col("_lo").is_not_null() & (pl.col("_lo") >= 0))
    # A join on a constant key, not a cross join: polars 2.1 panics formatting strings over a filtered cross join.
    bands = _bands(ctx.model).lazy().with_columns(pl.lit(1).alias("_k"))
    return d.with_columns(pl.lit(1).alias("_k")).join(bands, on="_k").drop("_k").filter(
        (pl.col("_lo") >= pl.col("_min")) & (pl.col("_lo") < pl.col("_max"))
        & (pl.col("_hi") >= pl.col("_min")) & (pl.col("_hi") < pl.col("_max"))
    ).with_columns(pl.when(pl.col("_lo") == pl.col("_hi")).then(pl.col("_lo").cast(pl.Utf8))
                   .otherwise(pl.format("{} or {}", pl.col("_lo"), pl.col("_hi"))).alias("_age")).collect(engine=F.ENGINE)


@check("IC-GIVER", "Consent not signed by whom the registration requires", "deviation", None, ("ic", "dm"),
       "ICGIVER must be one the signer's age band allows (ConsentAgeBand givers, by completed years on ICDAT): a "
       "minor (under {ConsentAgeBand.ADULT.min_age}) needs the guardian's signature, an adult their own. The age "
       "comes from the birth date (a partial one is judged only when both possible ages fall in one band), else "
       "from dm AGE.", reference=REF, fields=("ICGIVER", "ICDAT"))
def consent_giver(ctx: Context) -> Findings:
    d = consents_by_band(ctx)
    if d is None:
        return {}
    bad = d.lazy().filter(pl.col("icgiver").is_not_null()
                   & ~pl.col("_givers").list.contains(pl.col("icgiver").cast(pl.Utf8))).sort("_idx")
    return run_parts([("ic", raw(bad, "ICGIVER", pl.col("icgiver"), pl.col("_givers").list.join(" or "),
                                 pl.format("consent of {} signed by {} at age {} ({}): the registration asks "
                                           "for {}", pl.col("icdat"), pl.col("icgiver"), pl.col("_age"),
                                           pl.col("_band"), pl.col("_givers").list.join(" or "))))])


@check("IC-ASSENT", "Minor's assent not documented where required", "deviation", None, ("ic", "dm"),
       "A subject whose age on ICDAT falls in a band that requires assent (ConsentAgeBand assent: from "
       "{ConsentAgeBand.ASSENTING_MINOR.min_age} to under {ConsentAgeBand.ASSENTING_MINOR.max_age} years) has ASNT "
       "other than Y, or ASNT Y without the assent date (ASNTDAT).", reference=REF, fields=("ASNT", "ASNTDAT"))
def assent(ctx: Context) -> Findings:
    t = ctx.table("ic")
    d = consents_by_band(ctx)
    if d is None or t is None or "asnt" not in t.df.columns:  # an export without the item: STRUCT-MISSING-COLUMN says so
        return {}
    need = d.lazy().filter(pl.col("_assent"))
    missing = need.filter(pl.col("asnt").is_null() | (pl.col("asnt") != "Y")).sort("_idx")
    undated = need.filter((pl.col("asnt") == "Y") & pl.col("asntdat").is_null()).sort("_idx")
    return run_parts([
        ("ic", raw(missing, "ASNT", pl.col("asnt"), pl.lit("Y"),
                   pl.format("assent {} for consent of {} at age {} ({}), where the schema requires it",
                             pl.col("asnt").cast(pl.Utf8).fill_null("not recorded"), pl.col("icdat"),
                             pl.col("_age"), pl.col("_band")))),
        ("ic", raw(undated, "ASNTDAT", pl.lit(None, pl.Utf8), pl.lit("the date assent was obtained"),
                   pl.format("assent recorded for consent of {} at age {}, without its date",
                             pl.col("icdat"), pl.col("_age")))),
    ])
