"""Seriousness of an adverse event against its criteria (ICH E2A): serious means at least one criterion is met."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf import findings as F
from ecrf.model import ModelLacks, element_annotation
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import collect
from ecrf.validators.safety import fatal_outcome

if TYPE_CHECKING:
    from ecrf.engine import Context


@check("XF-AE-SERIOUSNESS", "Seriousness and its criteria disagree", "consistency", "error", (),
       "A serious adverse event (the item with role serious, KN5601-K AESER Y) meets at least one seriousness "
       "criterion (items with role seriousness: AESDTH, AESLIFE, AESHOSP, AESDISAB, AESCONG, AESMIE) recorded Y; a "
       "non-serious event (AESER N) has none recorded Y. Reported on AESER.",
       reference="ICH E2A II.B (serious adverse event); CDISC CDASHIG / SDTMIG AE seriousness criteria",
       roles=("*:serious",))
def seriousness(ctx: Context) -> Findings:
    parts = []
    for domain, form in ctx.model.forms.items():
        flag = form.find_role("serious")
        criteria = [i for i in form.items if i.role == "seriousness"]
        t = ctx.table(domain)
        if flag is None or not criteria or t is None or t.n_rows == 0 or flag not in t.df.columns:
            continue
        d = t.df.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
        met = [pl.col(c.name) == "Y" for c in criteria if c.name in d.columns]
        titles = ", ".join(c.title for c in criteria)
        met_list = pl.concat_str([pl.when(pl.col(c.name) == "Y").then(pl.lit(c.title)) for c in criteria
                                  if c.name in d.columns], separator=", ", ignore_nulls=True)
        d = d.with_columns(pl.any_horizontal(met).fill_null(False).alias("_met") if met else pl.lit(False).alias("_met"),
                           met_list.alias("_which") if met else pl.lit("").alias("_which"))
        title = form.item(flag).title
        none = d.filter((pl.col(flag) == "Y") & ~pl.col("_met"))
        some = d.filter((pl.col(flag) == "N") & pl.col("_met"))
        parts.append((domain, F.from_frame(none, title, pl.col(flag), pl.lit(f"N, or Y with one of {titles} Y"),
                                           pl.lit(f"serious adverse event without a seriousness criterion "
                                                  f"({titles} none Y)"))))
        parts.append((domain, F.from_frame(some, title, pl.col(flag), pl.lit("Y (a seriousness criterion is met)"),
                                           pl.format("adverse event recorded not serious, but meets {}",
                                                     pl.col("_which")))))
    return collect(parts)


@check("XF-AE-DEATH", "Death criterion and outcome disagree", "consistency", "error", ("ae",),
       "The seriousness criterion 'results in death' (the AE form's death_criterion annotation, KN5601-K AESDTH) "
       "is Y exactly when the outcome implies death (AEOutcome implies_death: FATAL): Y with another outcome, or "
       "a fatal outcome without it, is reported on AESDTH. An event without an outcome yet is not judged.",
       reference="ICH E2A II.B (results in death); CDISC SDTMIG AE (AESDTH, AEOUT)", fields=("AESDTH",))
def death_criterion(ctx: Context) -> Findings:
    form = ctx.model.forms["ae"]
    name = element_annotation(ctx.model.view.get_class(form.name), "death_criterion")
    if not name or not form.has(name):
        raise ModelLacks("the study model has no death criterion item on the AE form (annotation death_criterion)")
    found = fatal_outcome(ctx.model, form)
    if found is None:
        raise ModelLacks("the study model has no AE outcome codelist marking death (annotation implies_death)")
    outcome, fatal = found
    d = ctx.indexed("ae")
    if d is None:
        return {}
    title, out_title = form.item(name).title, form.item(outcome).title
    is_fatal = pl.col(outcome).is_in(fatal)
    said_death = pl.col(name) == "Y"
    judged = d.filter(pl.col(outcome).is_not_null())
    wrong_y = judged.filter(said_death & ~is_fatal)
    missing_y = judged.filter(is_fatal & ~said_death.fill_null(False))
    fatal_words = " or ".join(fatal)
    return collect([
        ("ae", F.from_frame(wrong_y, title, pl.col(name), pl.lit(f"N, or Y with {out_title} {fatal_words}"),
                            pl.format(f"{title} Y (results in death) but {out_title} is {{}}", pl.col(outcome)))),
        ("ae", F.from_frame(missing_y, title, pl.col(name).fill_null(""), pl.lit("Y"),
                            pl.format(f"{out_title} {{}} but {title} is not Y: a fatal event is serious by the death "
                                      "criterion", pl.col(outcome)))),
    ])
