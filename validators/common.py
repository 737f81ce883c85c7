"""Helpers shared by the check modules (no checks here): the screening records, cohorts and day 0 the protocol
deviation checks read, and the violation frame an eligibility check reports and ELIG-IE-CONTRADICTS reuses.

A helper used by one module stays private in it; one used by two lives here, public and typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.engine import shared
from ecrf.protocol import protocol
from ecrf.registry import Findings, Violation

if TYPE_CHECKING:
    from ecrf.model import StudyModel
    from ecrf.engine import Context

REG = "NCT07283315"  # the trial's registration: the source of the eligibility and schedule rules it cites
CONV = "protocol parameter [CONV]: the registration is silent"


def type_pattern(model: StudyModel, name: str) -> str:
    """The pattern the schema gives a type (full_date, partial_date, ...)."""
    t = model.view.get_type(name)
    pattern = None if t is None else getattr(t, "pattern", None)
    if pattern is None:
        raise ValueError(f"the schema defines no pattern for the type {name}")
    return str(pattern)


def full_date_pattern(model: StudyModel) -> str:
    """The schema's pattern of a complete date (type full_date): a partial birth date gives no exact age."""
    return type_pattern(model, "full_date")


def only(domain: str, found: pl.DataFrame | None) -> Findings:
    """{domain: found}, or nothing when there is no finding."""
    return {} if found is None else {domain: found}


def run_starts(*cols: str) -> pl.Expr:
    """True on the first row of each run of rows equal in `cols`. Tables come in record-key order, so a subject's
    or a visit's records sit together: a look-up that depends on those columns alone can read one row per run (a
    million lab rows are 90,000 runs of subject and visit) and then search row by row only where it found
    something, since any row it would find has a run start with the same values. Give the text columns a key
    derives from: equal text gives equal keys, where equal numbers (-0.0 and 0.0) might not."""
    start = pl.int_range(pl.len()) == 0
    for c in cols:
        start = start | pl.col(c).ne_missing(pl.col(c).shift())
    return start


def at_screening(ctx: Context, domain: str) -> pl.DataFrame | None:
    """The form's records (with `_idx`) of the screening visit (ProtocolParameters screening_visit)."""
    return ctx.memo(("at_screening", domain), lambda: _at_screening(ctx, domain))


def _at_screening(ctx: Context, domain: str) -> pl.DataFrame | None:
    d = ctx.indexed(domain)
    return None if d is None else d.filter(pl.col("visit") == protocol(ctx.model).screening_visit)


@shared
def subject_cohorts(ctx: Context) -> pl.DataFrame | None:
    """(subjid, cohort, _age): each subject's cohort and age at consent from dm."""
    d = ctx.indexed("dm")
    if d is None:
        return None
    return d.select("subjid", "cohort", pl.col("age").alias("_age")).unique("subjid", keep="first", maintain_order=True)


@shared
def screening_dates(ctx: Context) -> pl.DataFrame | None:
    """(subjid, _scr): the date of each subject's screening visit (the earliest, if recorded twice)."""
    d = at_screening(ctx, "sv")
    if d is None:
        return None
    return d.filter(pl.col("svstdat").is_not_null()).group_by("subjid").agg(pl.col("svstdat").min().alias("_scr"))


@shared
def day0(ctx: Context) -> pl.DataFrame | None:
    """(subjid, _d0): the date of KN5601-K infusion number ProtocolParameters day0_infusion_number."""
    ex = ctx.indexed("ex")
    if ex is None:
        return None
    n = protocol(ctx.model).param("day0_infusion_number")
    return (
        ex.filter((pl.col("exnum") == n) & pl.col("exstdat").is_not_null())
        .group_by("subjid")
        .agg(pl.col("exstdat").min().alias("_d0"))
    )


def violation(
    domain: str, bad: pl.DataFrame | pl.LazyFrame | None, value: pl.Expr, expected: pl.Expr, message: pl.Expr
) -> Violation:
    """The rows of `bad` that break a rule as (domain, frame of _idx, subjid, value, expected, message): what an
    eligibility check reports (`report`) and ELIG-IE-CONTRADICTS holds against the eligibility form. A lazy `bad`
    is found and described in one query."""
    if bad is None:
        return domain, None
    found = bad.select(
        "_idx",
        "subjid",
        value.cast(pl.Utf8).alias("value"),
        expected.cast(pl.Utf8).alias("expected"),
        message.cast(pl.Utf8).alias("message"),
    )
    if isinstance(found, pl.LazyFrame):
        found = found.collect(engine=F.ENGINE)
    return domain, None if found.is_empty() else found


def report(found: Violation, field: str) -> Findings:
    """A violation as the check's findings on `field`."""
    domain, v = found
    if v is None:
        return {}
    return {
        domain: F.raw(
            _idx=v["_idx"].to_list(),
            field=field,
            value=v["value"].to_list(),
            expected=v["expected"].to_list(),
            message=v["message"].to_list(),
        )
    }
