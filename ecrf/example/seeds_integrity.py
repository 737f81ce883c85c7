"""Clinical seeds for referential integrity and derived items (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

from datetime import date

import polars as pl

from ecrf.example.seedkit import FULL_DATE as _FULL_DATE
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f

# An unscheduled visit is numbered after the visit it follows (CDASH: decimals for unplanned visits).
_UNSCHEDULED = "UNS"
_COPIED_VISIT = "D28"
_RENUMBERED_VISIT = "M6"
_WRONG_VISITNUM = "40"


def _unknown_subject(ex, subject: str) -> str:
    """A well-formed subject number of the same site that no record uses: a typing error the pattern lets pass."""
    site = subject[:2]
    used = set(ex.rows("dm")["SUBJID"].to_list()) | set(ex.rows("cm")["SUBJID"].to_list())
    return next(f"{site}-{n:03d}" for n in range(999, 0, -1) if f"{site}-{n:03d}" not in used)


def _record_of_unknown_subject(ex, subject, rng):
    row = ex.pick("cm", subject, rng, pl.col("CMINDC") == "PREMEDICATION")
    other = _unknown_subject(ex, subject)
    ex.insert_after("cm", row["_i"], {k: v for k, v in row.items() if k != "_i"} | {"SUBJID": other})
    return [("REF-SUBJECT", "cm", "SUBJID", other, other)]


def _visit_never_held(ex, subject, rng):
    row = ex.rows("vs", (pl.col("SUBJID") == subject) & (pl.col("VISIT") == _COPIED_VISIT)).row(0, named=True)
    num = f"{float(row['VISITNUM']) + 0.1:.1f}"
    ex.insert_after("vs", row["_i"], {k: v for k, v in row.items() if k != "_i"} | {"VISIT": _UNSCHEDULED,
                                                                                     "VISITNUM": num})
    return [("REF-VISIT", "vs", "VISIT", _UNSCHEDULED)]


def _no_consent(ex, subject, rng):
    for i in sorted(ex.rows("ic", pl.col("SUBJID") == subject)["_i"].to_list(), reverse=True):
        ex.drop("ic", i)
    exstdat = ex.rows("ex", (pl.col("SUBJID") == subject) & (pl.col("EXNUM") == "1"))["EXSTDAT"][0]
    return [("IC-NO-CONSENT", "ex", "EXSTDAT", exstdat)]


def _age_off(ex, subject, rng):
    row = ex.pick("dm", subject, rng)
    age = str(int(row["AGE"]) + 1)  # candidates stay under the adult age, so no age band changes with it
    ex.set("dm", row["_i"], AGE=age)
    return [("DERIVED-AGE", "dm", "AGE", age)]


def _birth_after_consent(ex, subject, rng):
    row = ex.pick("dm", subject, rng)
    consent = date.fromisoformat(ex.rows("ic", pl.col("SUBJID") == subject)["ICDAT"].min())
    born = f"{consent.year + 1}-{row['BRTHDAT'][5:7]}"  # the consent's next year typed for the birth year
    ex.set("dm", row["_i"], BRTHDAT=born)
    return [("DERIVED-BIRTH", "dm", "BRTHDAT", born)]


def _vasage_off(ex, subject, rng):
    row = ex.pick("vas", subject, rng, _same_side(ex, "VASAGE") & (pl.col("VISIT") == _RENUMBERED_VISIT))
    age = str(int(row["VASAGE"]) + 1)
    ex.set("vas", row["_i"], VASAGE=age)
    return [("DERIVED-AGE-AT-DATE", "vas", "VASAGE", age)]


def _ldday_off(ex, subject, rng):
    row = ex.pick("ld", subject, rng)
    day = str(int(row["LDDAY"]) - 1)
    ex.set("ld", row["_i"], LDDAY=day)
    return [("DERIVED-STUDY-DAY", "ld", "LDDAY", day)]


def _visitnum_off(ex, subject, rng):
    row = ex.pick("vs", subject, rng, pl.col("VISIT") == _RENUMBERED_VISIT)
    ex.set("vs", row["_i"], VISITNUM=_WRONG_VISITNUM)
    return [("DERIVED-VISITNUM", "vs", "VISITNUM", ex.reported("vs", "VISITNUM", _WRONG_VISITNUM))]


def _young(ex, item: str) -> pl.Expr:
    """The age `item` plus one stays under the adult age of the vasculitis instruments (and of consent)."""
    return pl.col(item).cast(pl.Int64, strict=False) + 1 < int(ex.protocol.param("vas_adult_age"))


def _same_side(ex, item: str) -> pl.Expr:
    """The age `item` plus one stays on the same side of the adult age (the instrument due does not change)."""
    return pl.col(item).cast(pl.Int64, strict=False) + 1 != int(ex.protocol.param("vas_adult_age"))


def _minors(ex, form: str, item: str, where: pl.Expr):
    return ex.subjects(form, _young(ex, item) & where)


CLINICAL = (
    Clinical("IC-NO-CONSENT", _f("ic"), _f("ex", "ld"), lambda ex: ex.subjects("ex", pl.col("EXNUM") == "1"),
             _no_consent, "treated subject whose informed consent record is missing"),
    Clinical("REF-SUBJECT", _f(), _f("cm"), lambda ex: ex.subjects("cm", pl.col("CMINDC") == "PREMEDICATION"),
             _record_of_unknown_subject,
             "premedication record filed under a subject number no demographics record has"),
    Clinical("REF-VISIT", _f("vs:UNS"), _f("sv", "vs:" + _COPIED_VISIT),
             lambda ex: ex.subjects("vs", pl.col("VISIT") == _COPIED_VISIT), _visit_never_held,
             "vital signs filed under an unscheduled visit the visit form does not record"),
    # Only AGE changes (the birth date stays complete, which the age-dependent checks read first).
    Clinical("DERIVED-AGE", _f("dm:AGE"), _f("ic", "vas"),
             lambda ex: _minors(ex, "dm", "AGE", pl.col("BRTHDAT").str.contains(_FULL_DATE)), _age_off,
             "age at consent one year above the one the birth and consent dates give"),
    # On a year-month birth date, which the checks needing a full one (vital-sign bands, eGFR, ICANS tool) skip.
    Clinical("DERIVED-BIRTH", _f("dm"), _f("ic"),
             lambda ex: ex.subjects("dm", (pl.col("COHORT") != "AAV") & pl.col("BRTHDAT").str.contains(r"^\d{4}-\d{2}$")),
             _birth_after_consent, "birth year typed as the year after consent"),
    Clinical("DERIVED-AGE-AT-DATE", _f("vas:" + _RENUMBERED_VISIT), _f("dm"),
             lambda ex: ex.subjects("vas", _same_side(ex, "VASAGE") & (pl.col("VISIT") == _RENUMBERED_VISIT)),
             _vasage_off,
             "vasculitis score recorded with an age one year above the birth date's"),
    Clinical("DERIVED-STUDY-DAY", _f("ld"), _f("ex"), lambda ex: ex.subjects("ld"), _ldday_off,
             "lymphodepletion study day one below its date's"),
    Clinical("DERIVED-VISITNUM", _f("vs:" + _RENUMBERED_VISIT), _f(),
             lambda ex: ex.subjects("vs", pl.col("VISIT") == _RENUMBERED_VISIT), _visitnum_off,
             "vital signs of month 6 numbered as no visit of the schedule"),
)
