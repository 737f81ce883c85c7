"""Cross-form consistency: dates in the order the study runs, medication end dates, and the diagnosis that
matches the cohort. Partial dates are compared only where their order is certain (validators.consistency_dates).

Lymphodepletion after the first infusion is left to SCHED-LD-DAY (every planned day is before day 0), and
procedures before consent to IC-PROCEDURE-BEFORE-CONSENT; these checks do not report them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ecrf.table import keyed_like
from ecrf.params import enum_annotations
from ecrf.protocol import protocol
from ecrf.registry import Findings, check
from ecrf.validators.consistency_dates import before, dated, earliest, first_consent, raw, run_parts

if TYPE_CHECKING:
    from ecrf.engine import Context

CDASH = "CDISC CDASHIG (CM, AE, DS); ICH E6(R3)"


def _is_full(c: pl.Expr) -> pl.Expr:
    return c.cast(pl.Utf8).str.len_chars() == 10


def _eligibility_before_consent(ctx, ic):
    ie = dated(ctx, "ie", "iedat")
    if ie is None:
        return None
    # the columns the finding reads: the join would otherwise copy every column of the 258,000 eligibility rows
    bad = ie.lazy().select("_idx", "subjid", "iedat").join(ic.lazy(), on="subjid") \
        .filter(before(pl.col("iedat"), pl.col("_ic")))
    bad = earliest(bad, "iedat")
    return raw(bad, "IEDAT", pl.col("iedat"), pl.format("on or after {}", pl.col("_ic")),
               pl.format("eligibility assessed on {} ({} record(s)), before informed consent (ic ICDAT {})",
                         pl.col("iedat"), pl.col("_n"), pl.col("_ic")))


def _lymphodepletion_before_screening(ctx):
    sv, ld = dated(ctx, "sv", "svstdat"), dated(ctx, "ld", "lddat")
    if sv is None or ld is None:
        return None
    scr = sv.lazy().filter((pl.col("visit") == protocol(ctx.model).screening_visit) & pl.col("svstdat").is_not_null()) \
        .group_by("subjid").agg(pl.col("svstdat").min().alias("_scr"))
    bad = earliest(ld.lazy().select("_idx", "subjid", "lddat").join(scr, on="subjid")
                   .filter(before(pl.col("lddat"), pl.col("_scr"))), "lddat")
    return raw(bad, "LDDAT", pl.col("lddat"), pl.format("on or after {}", pl.col("_scr")),
               pl.format("lymphodepletion on {} ({} record(s)), before the screening visit (sv SVSTDAT {})",
                         pl.col("lddat"), pl.col("_n"), pl.col("_scr")))


def _ae_before_consent(ctx, ic):
    ae = dated(ctx, "ae", "aestdat")
    if ae is None:
        return None
    bad = ae.lazy().select("_idx", "subjid", "aestdat").join(ic.lazy(), on="subjid") \
        .filter(before(pl.col("aestdat"), pl.col("_ic")))
    return raw(bad, "AESTDAT", pl.col("aestdat"), pl.format("on or after {}", pl.col("_ic")),
               pl.format("adverse event starting {}, before informed consent (ic ICDAT {}): medical history, "
                         "not an adverse event", pl.col("aestdat"), pl.col("_ic")))


def _diagnosis_after_consent(ctx, ic):
    dx = dated(ctx, "dx", "dxdat")
    if dx is None:
        return None
    bad = dx.lazy().select("_idx", "subjid", "dxdat").join(ic.lazy(), on="subjid") \
        .filter(before(pl.col("_ic"), pl.col("dxdat")))
    return raw(bad, "DXDAT", pl.col("dxdat"), pl.format("on or before {}", pl.col("_ic")),
               pl.format("diagnosis dated {}, after informed consent (ic ICDAT {})", pl.col("dxdat"), pl.col("_ic")))


def _medications(ctx, ic):
    """End before start; a prior medication still taken at consent; a concomitant one stopped before it."""
    cm = dated(ctx, "cm", "cmstdat", "cmendat")
    if cm is None:
        return []
    st, en = pl.col("cmstdat"), pl.col("cmendat")
    backwards = cm.lazy().filter(before(en, st))
    out = [raw(backwards, "CMENDAT", en, pl.format("on or after {}", st),
               pl.format("medication end date {} is before its start date (CMSTDAT {})", en, st))]
    if ic is None:
        return out
    d = cm.lazy().select("_idx", "subjid", "cmcat", "cmstdat", "cmendat").join(ic.lazy(), on="subjid") \
        .filter(~before(en, st).fill_null(False))
    ic_d = pl.col("_ic")
    prior = d.filter((pl.col("cmcat") == "PRIOR") & (before(ic_d, en) | ((en == ic_d) & _is_full(en))))
    out.append(raw(prior, "CMENDAT", en, pl.format("before {}, or CMCAT CONCOMITANT", ic_d),
                   pl.format("prior medication ending {}, not before informed consent (ic ICDAT {}): a "
                             "concomitant medication", en, ic_d)))
    conmed = d.filter((pl.col("cmcat") == "CONCOMITANT") & before(en, ic_d))
    out.append(raw(conmed, "CMENDAT", en, pl.format("on or after {}, or CMCAT PRIOR", ic_d),
                   pl.format("concomitant medication ending {}, before informed consent (ic ICDAT {}): "
                             "a prior medication", en, ic_d)))
    return out


@check("XF-DATE-ORDER", "Dates out of order across forms", "consistency", "error",
       ("ic", "ie", "sv", "ld", "ae", "cm", "dx"),
       "Dates must follow the course of the study: informed consent (first ICDAT) on or before the eligibility "
       "assessment (IEDAT); the screening visit on or before lymphodepletion (LDDAT); adverse events starting on "
       "or after consent (earlier ones are medical history); a diagnosis (DXDAT) on or before consent; a PRIOR "
       "medication ended before consent and a CONCOMITANT one not ended before it; a medication ending on or "
       "after its start. Partial dates are compared only where the order is certain. IEDAT and LDDAT are "
       "reported once per subject, on the earliest record.",
       reference=CDASH, fields=("IEDAT", "LDDAT", "AESTDAT", "DXDAT", "CMENDAT"))
def date_order(ctx: Context) -> Findings:
    ic = first_consent(ctx)
    parts = [("ld", _lymphodepletion_before_screening(ctx))]
    parts += [("cm", r) for r in _medications(ctx, ic)]
    if ic is not None:
        parts += [("ie", _eligibility_before_consent(ctx, ic)), ("ae", _ae_before_consent(ctx, ic)),
                  ("dx", _diagnosis_after_consent(ctx, ic))]
    return run_parts(parts)


@check("XF-CM-ONGOING", "Medication ongoing flag contradicts its end date", "consistency", "error", ("cm",),
       "CMONGO Y (ongoing at the last contact) with an end date (CMENDAT), or CMONGO N or empty without one.",
       reference="CDISC CDASHIG CM (CMONGO, CMENDAT)", fields=("CMONGO", "CMENDAT"))
def cm_ongoing(ctx: Context) -> Findings:
    t = ctx.table("cm")
    if t is None or t.n_rows == 0 or not {"cmongo", "cmendat"} <= set(t.df.columns):
        return {}
    d = t.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64), pl.col("cmongo").alias("_ongo"))
    end = pl.col("cmendat")
    ended = d.filter((pl.col("_ongo") == "Y") & end.is_not_null())
    # Only N or empty: a code outside the codelist is reported by the column checks.
    open_ = d.filter(((pl.col("_ongo") == "N") | pl.col("_ongo").is_null()) & end.is_null())
    return run_parts([
        ("cm", raw(ended, "CMONGO", pl.col("_ongo"), pl.lit("N (an end date is recorded)"),
                   pl.format("medication recorded as ongoing but with end date {}", end))),
        ("cm", raw(open_, "CMENDAT", pl.lit(None, pl.Utf8), pl.lit("an end date, or CMONGO Y"),
                   pl.format("medication not recorded as ongoing (CMONGO {}) but without an end date",
                             pl.col("_ongo").fill_null("empty")))),
    ])


@check("XF-DX-COHORT", "Diagnosis does not match the cohort", "consistency", "error", ("dm", "dx"),
       "When the export has a diagnosis form, every subject has a diagnosis record (dx) whose DXTERM is the cohort "
       "of dm COHORT, and whose criteria set (DXCRIT) is one the registration names for that cohort "
       "(DiagnosisCriteria cohort annotation).",
       reference="NCT07283315 cohort inclusion 2 (DiagnosisCriteria annotations)",
       fields=("COHORT", "DXTERM", "DXCRIT"))
def dx_cohort(ctx: Context) -> Findings:
    dm, dx = ctx.table("dm"), ctx.table("dx")
    if dm is None or dm.n_rows == 0 or "cohort" not in dm.df.columns:
        return {}
    cohorts = dm.df.lazy().filter(pl.col("cohort").is_not_null()).group_by("subjid").agg(pl.col("cohort").first())
    if dx is None:  # the diagnosis form is not in this export: nothing to compare
        return {}
    dmi = dm.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))
    have = pl.LazyFrame(schema={"subjid": pl.Utf8})
    parts = []
    if dx.n_rows:
        crit = enum_annotations(ctx.model, "DiagnosisCriteria")
        sets = pl.LazyFrame({"dxcrit": list(crit), "_for": [a.get("cohort") for a in crit.values()]},
                            schema={"dxcrit": pl.Utf8, "_for": pl.Utf8})
        d = dx.df.lazy().with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64)).join(cohorts, on="subjid")
        have = d.select(pl.col("subjid").unique())
        term = d.filter(pl.col("dxterm").is_not_null() & (pl.col("dxterm") != pl.col("cohort")))
        wrong = d.join(keyed_like(sets, d, "dxcrit"), on="dxcrit").filter(pl.col("_for") != pl.col("cohort"))
        parts = [
            ("dx", raw(term, "DXTERM", pl.col("dxterm"), pl.col("cohort"),
                       pl.format("diagnosis {} does not match the subject's cohort (dm COHORT {})",
                                 pl.col("dxterm"), pl.col("cohort")))),
            ("dx", raw(wrong, "DXCRIT", pl.col("dxcrit"), pl.format("a criteria set for {}", pl.col("cohort")),
                       pl.format("criteria set {} belongs to the {} cohort, not to the subject's cohort {}",
                                 pl.col("dxcrit"), pl.col("_for"), pl.col("cohort")))),
        ]
    # subjects without a diagnosis: a marker joined in, in the rows' order (a subject id that is null is none)
    marked = keyed_like(have, dmi, "subjid").with_columns(pl.lit(True).alias("_have"))
    missing = dmi.join(marked, on="subjid", how="left") \
        .filter(pl.col("cohort").is_not_null() & pl.col("subjid").is_not_null() & pl.col("_have").is_null()) \
        .sort("_idx")
    parts.append(("dm", raw(missing, "COHORT", pl.col("cohort"), pl.lit("a diagnosis record (dx) for the cohort"),
                            pl.format("subject in cohort {} has no diagnosis record", pl.col("cohort")))))
    return run_parts(parts)
