"""Clinical seeds for referential integrity and derived items (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ecrf.example.seedkit import FULL_DATE as _FULL_DATE
from ecrf.example.seedkit import IE_ANSWERS
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f
from ecrf.params import enum_annotations

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


# --- consent, eligibility record and treatment assignment ---------------------------------------------------------

def _band_rows(ex, assent: bool) -> pl.Expr:
    """dm rows whose age at consent (AGE) falls in a minor's band with or without assent required."""
    bands = [a for a in enum_annotations(ex.model, "ConsentAgeBand").values()
             if "GUARDIAN" in str(a["givers"]).split(",") and (str(a["assent"]).lower() == "true") == assent]
    age = pl.col("AGE").cast(pl.Int64, strict=False)
    # AGE is the age on the one consent date the example records, the date the band is judged on.
    return pl.any_horizontal([(age >= int(a["min_age"])) & (age < int(a["max_age"])) for a in bands])


def _minor_signed_alone(ex, subject, rng):
    row = ex.pick("ic", subject, rng)
    ex.set("ic", row["_i"], ICGIVER="PARTICIPANT")
    return [("IC-GIVER", "ic", "ICGIVER", "PARTICIPANT")]


def _no_assent(ex, subject, rng):
    row = ex.pick("ic", subject, rng, pl.col("ASNT") == "Y")
    ex.set("ic", row["_i"], ASNT="N", ASNTDAT="")
    return [("IC-ASSENT", "ic", "ASNT", "N")]


def _unchecked_criteria(ex) -> list[str]:
    """Criteria only the form answers (no check tests them): dropping one disturbs no other check."""
    c = ex.protocol.criteria()
    tested = set(c.filter(pl.col("check_id").is_not_null())["ietestcd"].to_list())
    return sorted(set(c["ietestcd"].to_list()) - tested)


def _criterion_dropped(ex, subject, rng):
    row = ex.pick("ie", subject, rng, pl.col("IETESTCD").is_in(_unchecked_criteria(ex)))
    ex.drop("ie", row["_i"])
    return [("ELIG-CRITERIA-MISSING", "ie", "IETESTCD", row["IETESTCD"])]


def _confirmed_after_ld(ex, subject, rng):
    first_ld = ex.rows("ld", pl.col("SUBJID") == subject)["LDDAT"].min()
    late = (date.fromisoformat(first_ld) + timedelta(days=1)).isoformat()
    row = ex.pick("ie", subject, rng)
    ex.set("ie", row["_i"], IEDAT=late)
    return [("ELIG-CONFIRMED-LATE", "ie", "IEDAT", late)]


def _echo_abnormal(ex, subject, rng):
    row = ex.pick("echo", subject, rng, pl.col("VISIT") == ex.protocol.screening_visit)
    ex.set("echo", row["_i"], ECHOABN="Y")
    return [("ELIG-ECHO-ABNORMAL", "echo", "ECHOABN", "Y")] + ex.contradicted(subject, "ELIG-ECHO-ABNORMAL")


def _background_agents(ex) -> list[str]:
    return [x.strip() for a in enum_annotations(ex.model, "BackgroundTherapy").values()
            for x in str(a["agents"]).split(",")]


def _no_background(ex, subject, rng):
    for i in sorted(ex.rows("cm", (pl.col("SUBJID") == subject)
                            & pl.col("CMDECOD").is_in(_background_agents(ex)))["_i"].to_list(), reverse=True):
        ex.drop("cm", i)
    return [("ELIG-BACKGROUND-THERAPY", "ie", "IEORRES", "Y")]


def _other_level(ex, subject, rng):
    row = ex.pick("ex", subject, rng, pl.col("EXNUM") == "1")
    levels = ex.protocol.dose_levels()
    other = next(lv for lv in levels if lv != row["EXDOSELV"])
    # The dose follows the level infused, as the pharmacy prepared it: only the level differs from the assignment.
    dose = f"{levels[other].cells_per_kg:.1e}".replace("e+0", "e")
    ex.set("ex", row["_i"], EXDOSELV=other, EXDOSE=dose)
    return [("SCHED-EX-LEVEL", "ex", "EXDOSELV", other)]


def _background_candidates(ex) -> list[str]:
    met = ex.subjects("ie", pl.col("IETESTCD").is_in([str(a["criterion"]) for a in
                                                      enum_annotations(ex.model, "BackgroundTherapy").values()])
                      & (pl.col("IEORRES") == "Y"))
    return [s for s in ex.subjects("cm", pl.col("CMDECOD").is_in(_background_agents(ex))) if s in met]


CLINICAL_RECORD = (
    # Assent first: its candidates (minors of the assent band) are fewer than those of IC-GIVER (every minor).
    Clinical("IC-ASSENT", _f("ic"), _f("dm"),
             lambda ex: [s for s in ex.subjects("dm", _band_rows(ex, True)) if s in ex.subjects("ic", pl.col("ASNT") == "Y")],
             _no_assent, "assent not obtained from a minor of the age that requires it"),
    Clinical("IC-GIVER", _f("ic"), _f("dm"), lambda ex: ex.subjects("dm", _band_rows(ex, False) | _band_rows(ex, True)),
             _minor_signed_alone, "a minor's consent signed by the participant alone, without the guardian"),
    Clinical("ELIG-CRITERIA-MISSING", _f("ie:unchecked"), _f("dm", "ld", "ex"),
             lambda ex: ex.subjects("ie", pl.col("IETESTCD").is_in(_unchecked_criteria(ex))), _criterion_dropped,
             "a criterion of the cohort left off the eligibility form of a treated subject"),
    Clinical("ELIG-CONFIRMED-LATE", _f("ie:IEDAT"), _f("ld", "ex", "ic"), lambda ex: ex.subjects("ld"), _confirmed_after_ld,
             "eligibility confirmed the day after the first lymphodepletion dose"),
    Clinical("ELIG-ECHO-ABNORMAL", _f("echo"), _f(IE_ANSWERS),
             lambda ex: ex.subjects("echo", pl.col("VISIT") == ex.protocol.screening_visit), _echo_abnormal,
             "structural heart abnormality on the screening echocardiography"),
    Clinical("ELIG-BACKGROUND-THERAPY", _f("cm"), _f(IE_ANSWERS, "sv", "dm"), _background_candidates, _no_background,
             "IgA nephropathy without the ACE inhibitor the criterion requires in the medication history"),
    Clinical("SCHED-EX-LEVEL", _f("ex"), _f("dm"), lambda ex: ex.subjects("ex", pl.col("EXNUM") == "1"), _other_level,
             "infusion at a dose level other than the one assigned (dose as for the level infused)"),
)
