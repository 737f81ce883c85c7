"""Duplicates beyond the key: one event or medication entered twice under two sequence numbers.

FORM-DUPKEY finds two records with the same key; a record entered again gets a new sequence number, so its key
differs and only its content shows it. What counts as the same record is the form's `duplicate_items` annotation
in the schema (e.g. AdverseEvent: term and dates), so any study can declare it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.model import element_annotation
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import collect

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("DUP-RECORD", "Same record entered twice under another key", "consistency", "warning", (),
       "Two records of one subject agree on every item of the form's duplicate_items (schema annotation; "
       "KN5601-K adverse events: AETERM, AESTDAT, AEENDAT; medications: CMTRT, CMDOSE, CMDOSU, CMDOSFRQ, CMROUTE, "
       "CMSTDAT, CMENDAT) under different keys (AESEQ, CMSEQ). Text is compared ignoring case and repeated spaces. "
       "Each later copy is reported on its key item, naming the first; records that share the key too are "
       "FORM-DUPKEY's.",
       reference="Ordinary data-management practice (duplicate record review); CDISC CDASHIG AE and CM")
def duplicates(ctx: Context) -> Findings:
    parts = []
    for domain, form in ctx.model.forms.items():
        spec = element_annotation(ctx.model.view.get_class(form.name), "duplicate_items")
        t = ctx.table(domain)
        if not spec or t is None or t.n_rows == 0:
            continue
        items = [x.strip() for x in str(spec).split(",")]
        subject = form.find_role("subject") or "subjid"
        keys = [k for k in form.keys if k != subject and k in t.df.columns]
        if not keys or subject not in t.df.columns or not all(i in t.df.columns for i in items):
            continue
        norm = [(pl.col(i).cast(pl.Utf8).str.to_lowercase().str.replace_all(r"\s+", " ") if form.item(i).kind == "string"
                 else pl.col(i)).fill_null("\x00").alias(f"_n{n}") for n, i in enumerate(items)]
        same = [subject, *(f"_n{n}" for n in range(len(items)))]
        key = pl.concat_str([pl.col(k).fill_null("") for k in keys], separator="|")
        d = t.df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64), *norm, key.alias("_key")) \
            .filter(pl.col(items[0]).is_not_null())
        d = d.with_columns(pl.col("_key").first().over(same).alias("_first"))
        bad = d.filter(pl.col("_key") != pl.col("_first"))
        titles = ", ".join(form.item(i).title for i in items)
        ktitle = "|".join(form.item(k).title for k in keys)
        parts.append((domain, F.from_frame(
            bad, ktitle, pl.col("_key"), pl.format(f"a record of its own ({ktitle} {{}} holds the same)", pl.col("_first")),
            pl.format(f"same {titles} as {ktitle} {{}}: probably entered twice", pl.col("_first")))))
    return collect(parts)
