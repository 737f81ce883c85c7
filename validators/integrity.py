"""Referential integrity: every record belongs to a subject of the demographics form, to a visit the subject had,
and a treated subject has consented.

A problem that repeats on many records of one subject (a whole form filed under an unknown subject, a visit's
lab panel under a visit that never took place) is reported once, on its first record, with the count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import enum_annotations
from ecrf.registry import Findings, check
from ecrf.validators.common import run_starts
from ecrf.validators.consistency_dates import run_parts

if TYPE_CHECKING:
    from ecrf.engine import Context

ICH = "ICH E6(R3) (source data, ALCOA+); CDISC CDASHIG (SUBJID, VISIT, VISITNUM)"


def _rows(ctx, domain: str) -> pl.LazyFrame | None:
    """The form's text rows with `_idx` and the subject as `_subj` (the item with role subject), lazily: a check
    runs its steps over all forms as one or two queries (each eager step is a query of its own, whose fixed cost
    outweighs the work on a small export). None when the form is absent, empty or has no subject item."""
    t = ctx.table(domain)
    subject = None if t is None else t.form.find_role("subject")
    if t is None or t.n_rows == 0 or subject is None or subject not in t.df.columns:
        return None
    return t.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64),
                                                           pl.col(subject).alias("_subj"))


def _first_of(bad: pl.LazyFrame, *by: str) -> pl.LazyFrame:
    """One row per group: its first record in file order, with _n the number of records."""
    return bad.sort("_idx").group_by(*by, maintain_order=True).agg(pl.all().first(), pl.len().alias("_n"))


@check("REF-SUBJECT", "Record of a subject absent from demographics", "consistency", "error", ("dm",),
       "Every record of every form belongs to a subject with a demographics record (dm): a subject identifier "
       "found on a form but not in dm is a typing error or a subject whose registration is missing. Reported once "
       "per subject and form, on the first record, with the number of records.",
       reference=ICH, roles=("dm:subject",))
def subject_not_in_dm(ctx: Context) -> Findings:
    dm = _rows(ctx, "dm")
    if dm is None:  # no demographics at all: STRUCT-MISSING-FORM / STRUCT-EMPTY-FORM say so
        return {}
    rows = {domain: d for domain in ctx.tables if domain != "dm" and (d := _rows(ctx, domain)) is not None}
    # One look-up for all forms, on the first row of each run of one subject (after the runs are gathered: in
    # each form's query it would hash the known subjects once per form); the forms with an unknown subject are
    # then searched row by row.
    known, starts = pl.collect_all([
        dm.select(pl.col("_subj").drop_nulls().unique()),
        pl.concat([d.filter(run_starts("_subj")).select(pl.lit(domain).alias("_form"), "_subj")
                   for domain, d in rows.items()]) if rows else pl.LazyFrame(schema={"_form": pl.Utf8, "_subj": pl.Utf8}),
    ], engine=F.ENGINE)
    unknown = pl.col("_subj").is_not_null() & ~pl.col("_subj").is_in(known.to_series().implode())
    suspects = starts.filter(unknown)
    parts = []
    for domain in suspects["_form"].unique(maintain_order=True):
        t = ctx.tables[domain]
        title = t.form.item(t.form.find_role("subject") or "").title
        bad = _first_of(rows[domain].filter(unknown), "_subj")
        parts.append((domain, F.raw_query(bad, title, pl.col("_subj"), pl.lit("a subject of the demographics form"),
                                          pl.format("{} record(s) of subject {} on {}, which has no demographics "
                                                    "record (dm)", pl.col("_n"), pl.col("_subj"), pl.lit(domain)))))
    return run_parts(parts)


def _unplanned(ctx) -> list[str]:
    """Visit codes without a schedule number (VisitCode visitnum): unscheduled visits, told apart by VISITNUM."""
    return [c for c, a in enum_annotations(ctx.model, "VisitCode").items() if "visitnum" not in a]


@check("REF-VISIT", "Record for a visit the subject never had", "consistency", "error", ("sv",),
       "A record of a visit form (vital signs, labs, scores, ...) filed under a visit for which the subject has no "
       "visit record (sv) that took place (SVOCCUR Y): the data belong to another visit, or the visit record is "
       "missing. Subjects absent from demographics are left to REF-SUBJECT. Visits are matched by VISIT, and unscheduled visits (no VisitCode visitnum) by VISITNUM as well. "
       "Reported once per subject, form and visit, on the first record.",
       reference=ICH, fields=("VISIT", "SVOCCUR"), roles=("sv:visit",))
def visit_not_held(ctx: Context) -> Findings:
    sv = _rows(ctx, "sv")
    if sv is None:
        return {}
    visit_of = ctx.model.forms["sv"].role("visit")
    unplanned = _unplanned(ctx)
    dm = _rows(ctx, "dm")  # records of a subject unknown to dm are REF-SUBJECT's finding, not this one's
    held = sv.filter(pl.col("svoccur") == "Y").select(
        "_subj", pl.col(visit_of).alias("_visit"),
        pl.when(pl.col(visit_of).is_in(unplanned)).then(pl.col("visitnum").cast(pl.Utf8).cast(pl.Float64, strict=False))
        .alias("_vnum")).unique()
    keys = ["_subj", "_visit", "_vnum"]
    forms: dict[str, tuple[str, pl.LazyFrame, list[pl.Expr], pl.Expr]] = {}  # domain -> (title, rows, key, run starts)
    for domain, t in ctx.tables.items():
        visit = t.form.find_role("visit")
        d = None if domain == "sv" or visit is None or visit not in t.df.columns else _rows(ctx, domain)
        if d is None or visit is None:
            continue
        has_vnum = "visitnum" in t.df.columns
        vnum = pl.col("visitnum").cast(pl.Utf8).cast(pl.Float64, strict=False) if has_vnum else pl.lit(None)
        key = [pl.col("_subj"), pl.col(visit).alias("_visit"),
               pl.when(pl.col(visit).is_in(unplanned)).then(vnum.cast(pl.Float64)).alias("_vnum")]
        # the key derives from the subject, visit and VISITNUM text: rows equal in those have equal keys
        starts = run_starts("_subj", visit, *(["visitnum"] if has_vnum else []))
        forms[domain] = (t.form.item(visit).title, d.filter(pl.col(visit).is_not_null()), key, starts)
    if not forms:
        return {}
    # One anti join for all forms, on the first row of each run of one subject and visit; the forms holding a
    # visit not held are then searched row by row, for those keys only (their subjects are registered). The
    # subjects are looked up once, after the runs are gathered, not in each form's query.
    unheld = pl.concat([lf.filter(starts).select(pl.lit(domain).alias("_form"), *key)
                        for domain, (_, lf, key, starts) in forms.items()])
    if dm is not None:  # (a semi join drops a null subject, as a look-up in the registered subjects did)
        unheld = unheld.join(dm.select("_subj").unique(), on="_subj", how="semi")
    found = unheld.join(held, on=keys, how="anti", nulls_equal=True).unique().collect(engine=F.ENGINE)
    holding = set(found["_form"].to_list())
    parts = []
    for domain, (title, lf, key, _) in forms.items():
        if domain not in holding:
            continue
        mine = found.lazy().filter(pl.col("_form") == domain).drop("_form")
        # only the columns the finding reads: the join would otherwise copy every column of a million lab rows
        d = lf.select("_idx", *key).join(mine, on=keys, how="semi", nulls_equal=True)
        bad = _first_of(d, "_subj", "_visit", "_vnum")
        where = pl.when(pl.col("_vnum").is_not_null()).then(pl.format("{} (VISITNUM {})", pl.col("_visit"),
                                                                           pl.col("_vnum"))).otherwise(pl.col("_visit"))
        parts.append((domain, F.raw_query(bad, title, pl.col("_visit"),
                                          pl.lit("a visit of the subject that took place"),
                                          pl.format("{} record(s) on {} for visit {}, which the visit form (sv) does "
                                                    "not record as having taken place", pl.col("_n"), pl.lit(domain),
                                                    where))))
    return run_parts(parts)


@check("IC-NO-CONSENT", "Treated subject without a consent record", "deviation", None, ("ic", "ld", "ex"),
       "A subject who received lymphodepletion (ld) or KN5601-K (ex) has no informed consent record (ic) with a "
       "consent date: treatment without documented consent. Reported once per subject, on the first treatment "
       "record (ex, else ld).", reference="NCT07283315 general inclusion 1; ICH E6(R3) 2.8",
       fields=("ICDAT", "EXSTDAT", "LDDAT"))
def treated_without_consent(ctx: Context) -> Findings:
    ic = _rows(ctx, "ic")
    consented = [] if ic is None else ic.filter(pl.col("icdat").is_not_null()).select(pl.col("_subj").unique()) \
        .collect(engine=F.ENGINE)["_subj"].to_list()
    parts: list = []
    seen: list[str] = []
    for domain, date in (("ex", "exstdat"), ("ld", "lddat")):
        d = _rows(ctx, domain)
        if d is None:
            continue
        # collected here: the next form leaves out the subjects this one reports
        bad = _first_of(d.filter(pl.col("_subj").is_not_null() & ~pl.col("_subj").is_in(consented)
                                 & ~pl.col("_subj").is_in(seen)), "_subj").collect(engine=F.ENGINE)
        seen += bad["_subj"].to_list()
        title = ctx.model.forms[domain].item(date).title
        parts.append((domain, F.raw_query(bad.lazy(), title, pl.col(date),
                                          pl.lit("an informed consent record (ic) before it"),
                                          pl.format("subject {} was treated ({} on {}) but has no informed consent "
                                                    "record", pl.col("_subj"), pl.lit(domain), pl.col(date)))))
    return run_parts(parts)
