"""No data after the end: records dated after the subject's death, or after the disposition date of a subject
who left the study early, except the follow-up the schema allows (Disposition follow_up_after_end).

Every date item of every form counts (the model lists them), so a new form is covered without a change here.
Each finding is on the earliest offending record of a subject, form and item, with the number of records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.params import class_parameter, listed
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import before, date_items, dated_lazy, raw

if TYPE_CHECKING:
    from ecrf.engine import Context

# Both checks read every dated form of the study (whatever its model lists); they need only the anchor form.


def _list(ctx, key: str) -> list[str]:
    return listed(class_parameter(ctx.model, "Disposition", key))


def _death_item(ctx) -> tuple[str, str]:
    """(form, item) of the death date: the item annotated role death_date (KN5601-K: dd DTHDAT)."""
    return ctx.model.item_with_role("death_date")


def _death(ctx) -> pl.LazyFrame | None:
    """subjid -> _end, the death date (a query not yet run)."""
    domain, name = _death_item(ctx)
    dd = dated_lazy(ctx, domain, name)
    if dd is None:
        return None
    return dd.filter(pl.col(name).is_not_null()).group_by("subjid").agg(pl.col(name).min().alias("_end"))


def _records(ctx, skip: set[str], subjects: pl.Series):
    """(domain, long query of _idx, subjid, _field, _date) for every dated item not in skip ("form.item"), of the
    `subjects` only: their dates are read for them alone, not for the million rows of the lab form."""
    of_them = pl.col("subjid").is_in(subjects.implode())  # (an eager step: once, not per form)
    for domain, t in ctx.tables.items():
        items = [i for i in date_items(t.form) if f"{domain}.{i}" not in skip and i in t.df.columns]
        d = dated_lazy(ctx, domain, *items) if items else None
        if d is None:
            continue
        d = d.filter(of_them)
        long = pl.concat([d.select("_idx", "subjid", pl.lit(t.form.item(i).title).alias("_field"),
                                   pl.col(i).alias("_date")) for i in items])
        yield domain, long.filter(pl.col("_date").is_not_null())


def _after(ctx, anchor: pl.DataFrame, skip: set[str], what: str, source: str,
           death: pl.LazyFrame | None = None) -> dict:
    """Every form's records after the anchor date, all forms in one query (a query per form costs each form's
    steps again: about 0.5 ms each on a small export)."""
    domains: list[str] = []
    longs: list[pl.LazyFrame] = []
    for domain, long in _records(ctx, skip, anchor["subjid"]):
        longs.append(long.with_columns(pl.lit(len(domains), pl.UInt32).alias("_form"), pl.lit(domain).alias("_domain")))
        domains.append(domain)
    if not longs:
        return {}
    bad = pl.concat(longs).join(anchor.lazy(), on="subjid").filter(before(pl.col("_end"), pl.col("_date")))
    if death is not None:  # also after death: reported by XF-AFTER-DEATH alone
        bad = bad.join(death.rename({"_end": "_dth"}), on="subjid", how="left") \
            .filter(~before(pl.col("_dth"), pl.col("_date")).fill_null(False))
    first = bad.sort("_date", "_idx", maintain_order=True).group_by("_form", "subjid", "_field", maintain_order=True) \
        .agg(pl.all().first(), pl.len().alias("_n")).sort("_form", "_idx", maintain_order=True)
    message = pl.format("{} {} dated {} ({} record(s)), after {} ({} {})", pl.col("_domain"), pl.col("_field"),
                        pl.col("_date"), pl.col("_n"), pl.lit(what), pl.lit(source), pl.col("_end"))
    found = raw(first, pl.col("_field"), pl.col("_date"), pl.format("on or before {}", pl.col("_end")), message,
                keep=("_form",)).collect(engine=F.ENGINE)
    # each form's findings apart, in the order of the forms (the engine numbers findings in the order it gets them)
    return {domains[k]: part for (k,), part in found.partition_by("_form", as_dict=True, include_key=False,
                                                                   maintain_order=True).items()}


@check("XF-AFTER-DEATH", "Record dated after death", "consistency", "error", (),
       "No record of a subject may be dated after the death date (the item with role death_date; KN5601-K dd "
       "DTHDAT): any date item of any form certainly later than it (partial dates only when their whole interval "
       "is later).",
       reference="CDISC CDASHIG DD/DS", roles=("*:death_date",))
def after_death(ctx: Context) -> Findings:
    query = _death(ctx)
    if query is None:
        return {}
    death = query.collect(engine=F.ENGINE)  # the subjects whose records are read
    if death.is_empty():
        return {}
    domain, name = _death_item(ctx)
    return _after(ctx, death, {f"{domain}.{name}"}, "the death", f"{domain} {ctx.model.forms[domain].item(name).title}")


@check("XF-AFTER-END", "Record dated after early end of study", "consistency", "warning", ("ds",),
       "For a subject whose disposition (DSDECOD) is one of Disposition discontinuation_codes, no record may be "
       "dated after DSSTDAT, except the follow-up in Disposition follow_up_after_end (adverse event and "
       "medication end dates, death). Records also after the death date are left to XF-AFTER-DEATH.",
       reference="ICH E6(R3); FDA guidance on data retention when subjects withdraw (2008) [CONV]",
       fields=("DSSTDAT",))
def after_end(ctx: Context) -> Findings:
    ds = dated_lazy(ctx, "ds", "dsstdat")
    if ds is None:
        return {}
    end = ds.filter(pl.col("dsdecod").is_in(_list(ctx, "discontinuation_codes")) & pl.col("dsstdat").is_not_null()) \
        .group_by("subjid").agg(pl.col("dsstdat").min().alias("_end")).collect(engine=F.ENGINE)
    if end.is_empty():
        return {}
    skip = set(_list(ctx, "follow_up_after_end")) | {"ds.dsstdat"}
    return _after(ctx, end, skip, "the end of study", "ds DSSTDAT", death=_death(ctx))
