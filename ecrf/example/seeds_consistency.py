"""Clinical seeds for the cross-form consistency checks (see ecrf.example.seeding for how seeds are placed)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ecrf.example.coding import ae_coding
from ecrf.example.seedkit import FULL_DATE as _FULL_DATE
from ecrf.example.seedkit import Clinical
from ecrf.example.seedkit import forms as _f
from ecrf.example.seedkit import seriousness
from ecrf.params import class_parameter, enum_annotations


def _first_consent(ex, subject: str) -> date:
    ic = ex.rows("ic", pl.col("SUBJID") == subject)
    return date.fromisoformat(ic["ICDAT"].min())


def _last_date(ex, subject: str) -> date:
    """The latest full date recorded anywhere for the subject."""
    last = None
    for domain, form in ex.model.forms.items():
        df = ex.tables.get(domain)
        if df is None or "SUBJID" not in df.columns:
            continue
        titles = [i.title for i in form.items if i.kind in ("full_date", "partial_date") and i.title in df.columns]
        for t in titles:
            v = df.filter((pl.col("SUBJID") == subject) & pl.col(t).str.contains(_FULL_DATE))[t].max()
            if v is not None and (last is None or v > last):
                last = v
    return date.fromisoformat(last)


def _append(ex, form: str, subject: str, values: dict) -> None:
    """A new record for the subject, after its last one (or at the end of the form)."""
    df = ex.rows(form)
    mine = df.filter(pl.col("SUBJID") == subject)
    at = mine["_i"].max() if mine.height else df.height - 1
    keys = ex.rows("dm", pl.col("SUBJID") == subject).row(0, named=True)
    ex.insert_after(form, at, {"STUDYID": keys["STUDYID"], "SITEID": keys["SITEID"], "SUBJID": subject} | values)


def _next_aeseq(ex, subject: str) -> str:
    seqs = ex.rows("ae", pl.col("SUBJID") == subject)["AESEQ"]
    return str(max((int(x) for x in seqs), default=0) + 1)


def _ae(ex, subject, term, start: date, end: date, grade: str, serious: str, outcome: str) -> None:
    # A serious event is reported to the sponsor the day the investigator learns of it.
    sae = {"AEAWDAT": start.isoformat(), "AERPTDAT": start.isoformat(),
           **seriousness(ex, "aesdth" if outcome == "FATAL" else "aeshosp")} if serious == "Y" else {}
    _append(ex, "ae", subject, {"AESEQ": _next_aeseq(ex, subject), "AETERM": term, **ae_coding(term), "AECAT": "OTHER",
                                "AESTDAT": start.isoformat(), "AEENDAT": end.isoformat(), "AEONGO": "N",
                                "AETOXGR": grade, "AESER": serious, "AEREL": "NOT_RELATED",
                                "AEACN": "NOT APPLICABLE", "AEOUT": outcome} | sae)


def _dx_after_consent(ex, subject, rng):
    row = ex.pick("dx", subject, rng)
    c = _first_consent(ex, subject)
    m = c.year * 12 + c.month  # the month after consent, as a year-month partial date
    when = f"{m // 12:04d}-{m % 12 + 1:02d}"
    ex.set("dx", row["_i"], DXDAT=when, **({"DXBIODAT": when} if row["DXBIODAT"] == row["DXDAT"] else {}))
    return [("XF-DATE-ORDER", "dx", "DXDAT", when)]


def _cm_ended_but_ongoing(ex, subject, rng):
    row = ex.pick("cm", subject, rng, (pl.col("CMONGO") == "Y") & (pl.col("CMENDAT") == ""))
    ex.set("cm", row["_i"], CMENDAT=(_first_consent(ex, subject) + timedelta(days=20)).isoformat())
    return [("XF-CM-ONGOING", "cm", "CMONGO", "Y")]


def _dx_other_cohort(ex, subject, rng):
    row = ex.pick("dx", subject, rng)
    cohort = ex.rows("dm", pl.col("SUBJID") == subject)["COHORT"][0]
    other = sorted(c for c, a in enum_annotations(ex.model, "DiagnosisCriteria").items() if a.get("cohort") != cohort)
    crit = other[rng.randrange(len(other))]
    ex.set("dx", row["_i"], DXCRIT=crit)
    return [("XF-DX-COHORT", "dx", "DXCRIT", crit)]


def _disposition_after_death(ex, subject, rng):
    death = _last_date(ex, subject) + timedelta(days=20)
    _ae(ex, subject, "Sepsis", death - timedelta(days=5), death, "5", "Y", "FATAL")
    _append(ex, "dd", subject, {"DTHDAT": death.isoformat(), "DTHCAUS": "SEPSIS", "DTHAUT": "N"})
    closed = (death + timedelta(days=3)).isoformat()
    _append(ex, "ds", subject, {"DSDECOD": "DEATH", "DSSTDAT": closed, "DSTERM": "Died of sepsis"})
    return [("XF-AFTER-DEATH", "ds", "DSSTDAT", closed)]


def _ae_after_withdrawal(ex, subject, rng):
    end = _last_date(ex, subject) + timedelta(days=1)
    _append(ex, "ds", subject, {"DSDECOD": "WITHDRAWAL BY PARENT/GUARDIAN", "DSSTDAT": end.isoformat(),
                                "DSTERM": "Family moved away"})
    start = end + timedelta(days=10)
    # Its end date after withdrawal is allowed follow-up; its start is not.
    _ae(ex, subject, "Upper respiratory tract infection", start, start + timedelta(days=4), "1", "N", "RECOVERED/RESOLVED")
    return [("XF-AFTER-END", "ae", "AESTDAT", start.isoformat())]


def _sae_late(ex, subject, rng):
    row = ex.pick("ae", subject, rng, (pl.col("AECAT") == "OTHER") & (pl.col("AESER") == "N")
                  & pl.col("AESTDAT").str.contains(_FULL_DATE))
    aware = date.fromisoformat(row["AESTDAT"]) + timedelta(days=1)
    late = (aware + timedelta(days=int(class_parameter(ex.model, "AdverseEvent", "sae_report_days")) + 2)).isoformat()
    ex.set("ae", row["_i"], AESER="Y", AEAWDAT=aware.isoformat(), AERPTDAT=late, **seriousness(ex, "aesmie"))
    return [("SAFE-SAE-LATE", "ae", "AERPTDAT", late)]


def _recovered_sae() -> pl.Expr:
    """A non-serious event with a full start date and an outcome that is not death."""
    return ((pl.col("AECAT") == "OTHER") & (pl.col("AESER") == "N") & pl.col("AESTDAT").str.contains(_FULL_DATE)
            & (pl.col("AEOUT") != "") & (pl.col("AEOUT") != "FATAL"))


def _death_criterion_not_fatal(ex, subject, rng):
    row = ex.pick("ae", subject, rng, _recovered_sae())
    ex.set("ae", row["_i"], AESER="Y", AEAWDAT=row["AESTDAT"], AERPTDAT=row["AESTDAT"], **seriousness(ex, "aesdth"))
    return [("XF-AE-DEATH", "ae", "AESDTH", "Y")]


def _no_disposition(ex) -> list[str]:
    """Subjects still in the study: a second disposition record would be a duplicate key."""
    ended = set(ex.subjects("ds"))
    return [x for x in ex.subjects("dm") if x not in ended]


def _crs_not_reported(ex, subject, rng):
    row = ex.pick("ae", subject, rng, pl.col("AECAT") == "CRS")
    ex.drop("ae", row["_i"])
    return [("SAFE-GRADING-NO-AE", "crs", "AESEQ", row["AESEQ"])]


CLINICAL = (
    Clinical("SAFE-GRADING-NO-AE", _f("ae:CRS"), _f("crs"), lambda ex: ex.subjects("ae", pl.col("AECAT") == "CRS"),
             _crs_not_reported, "CRS graded daily but its adverse event never reported"),
    Clinical("XF-AFTER-DEATH", _f("ae:fatal", "dd", "ds"), _f(), _no_disposition, _disposition_after_death,
             "fatal sepsis after the last visit; disposition dated three days after the death"),
    Clinical("XF-AFTER-END", _f("ae:after-end", "ds"), _f("dd"), _no_disposition, _ae_after_withdrawal,
             "withdrawn by the guardian after the last visit; an infection starting after withdrawal reported"),
    # Reads ds and dd: a serious event's dates after an early end would be records after it.
    Clinical("SAFE-SAE-LATE", _f("ae:OTHER"), _f("ds", "dd"),
             lambda ex: ex.subjects("ae", (pl.col("AECAT") == "OTHER") & (pl.col("AESER") == "N")
                                    & pl.col("AESTDAT").str.contains(_FULL_DATE)),
             _sae_late, "serious adverse event reported to the sponsor three days after awareness"),
    Clinical("XF-DATE-ORDER", _f("dx"), _f("ic"), lambda ex: ex.subjects("dx"), _dx_after_consent,
             "diagnosis dated the month after informed consent"),
    Clinical("XF-DX-COHORT", _f("dx"), _f("dm"), lambda ex: ex.subjects("dx"), _dx_other_cohort,
             "diagnosis criteria set of another cohort"),
    Clinical("XF-CM-ONGOING", _f("cm"), _f(), lambda ex: ex.subjects("cm", pl.col("CMONGO") == "Y"),
             _cm_ended_but_ongoing, "medication recorded as ongoing, with an end date"),
    Clinical("XF-AE-DEATH", _f("ae:OTHER"), _f("ds", "dd"), lambda ex: ex.subjects("ae", _recovered_sae()),
             _death_criterion_not_fatal, "serious event marked 'results in death' although the subject recovered"),
)
