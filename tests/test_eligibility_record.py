"""Consent by age band, the eligibility form complete and timely, background therapy, echocardiography and dose level:
each error seeded into a clean generated export is caught, and the clean export gives no finding."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from ecrf.example.generator import BUNDLED_SEED, BUNDLED_SUBJECTS, generate
from helpers import check_findings, minimal_subject, set_first, write_export, write_tables_export

CHECKS = ("IC-GIVER", "IC-ASSENT", "ELIG-CRITERIA-MISSING", "ELIG-CONFIRMED-LATE", "ELIG-ECHO-ABNORMAL",
          "ELIG-BACKGROUND-THERAPY", "SCHED-EX-LEVEL")


@pytest.fixture(scope="module")
def clean():
    return generate(BUNDLED_SUBJECTS, BUNDLED_SEED)


@pytest.mark.parametrize("check_id", CHECKS)
def test_clean_export_gives_nothing(tmp_path, clean, check_id):
    assert check_findings(write_tables_export(tmp_path, clean), check_id).is_empty()


def _consent(tmp_path, name, brthdat, age, **ic):
    s = minimal_subject(BRTHDAT=brthdat, AGE=age)
    s["ic"][0].update(ic)
    return write_export(tmp_path / name, s)


def test_consent_giver_by_age(tmp_path):
    # A 10-year-old: the guardian signs (minimal subject); the child alone is a deviation.
    assert check_findings(_consent(tmp_path, "a", "2015-03", "10"), "IC-GIVER").is_empty()
    f = check_findings(_consent(tmp_path, "b", "2015-03", "10", ICGIVER="PARTICIPANT"), "IC-GIVER")
    assert f.select("field", "value", "severity", "dvcat").rows() == \
        [("ICGIVER", "PARTICIPANT", "important", "informed consent")]
    # An 18-year-old signs for themselves: the guardian alone is a deviation, their own signature is not.
    adult = dict(ASNT="NA", ASNTDAT="")
    assert check_findings(_consent(tmp_path, "c", "2007-01-05", "18", ICGIVER="PARTICIPANT", **adult),
                          "IC-GIVER").is_empty()
    f = check_findings(_consent(tmp_path, "d", "2007-01-05", "18", ICGIVER="GUARDIAN", **adult), "IC-GIVER")
    assert f["expected"].to_list() == ["PARTICIPANT or PARTICIPANT_AND_GUARDIAN"]


def test_consent_band_uncertain_with_a_partial_birth_date(tmp_path):
    # Born in 2007, consented 10 December 2025: 17 or 18, so neither giver can be faulted.
    for giver in ("GUARDIAN", "PARTICIPANT"):
        assert check_findings(_consent(tmp_path, giver, "2007", "18", ICGIVER=giver, ASNT="Y"), "IC-GIVER").is_empty()


def test_assent_where_required(tmp_path):
    f = check_findings(_consent(tmp_path, "a", "2015-03", "10", ASNT="N", ASNTDAT=""), "IC-ASSENT")
    assert f.select("field", "value", "expected").rows() == [("ASNT", "N", "Y")]
    f = check_findings(_consent(tmp_path, "b", "2015-03", "10", ASNT="Y", ASNTDAT=""), "IC-ASSENT")
    assert f["field"].to_list() == ["ASNTDAT"]
    # A 5-year-old is below the assent band: NA is right.
    assert check_findings(_consent(tmp_path, "c", "2020-03", "5", ASNT="NA", ASNTDAT=""), "IC-ASSENT").is_empty()


def test_criterion_missing_for_a_treated_subject(tmp_path, clean):
    t = dict(clean)
    sid = t["ie"]["SUBJID"][0]
    cohort = t["dm"].filter(pl.col("SUBJID") == sid)["COHORT"][0]
    own = t["ie"].filter((pl.col("SUBJID") == sid) & pl.col("IETESTCD").str.starts_with(cohort[:3]))["IETESTCD"]
    t["ie"] = t["ie"].filter(~((pl.col("SUBJID") == sid) & pl.col("IETESTCD").is_in(["EX08", own[0]])))
    f = check_findings(write_tables_export(tmp_path, t), "ELIG-CRITERIA-MISSING")
    assert f.select("subject", "form", "field", "value").rows() == \
        [(sid, "ie", "IETESTCD", ", ".join(sorted(["EX08", own[0]])))]


def test_criteria_of_a_screen_failure_are_not_asked_for(tmp_path, clean):
    t = dict(clean)
    sid = t["ie"]["SUBJID"][0]
    t["ie"] = t["ie"].filter(~((pl.col("SUBJID") == sid) & (pl.col("IETESTCD") == "EX08")))
    for form in ("ld", "ex"):  # never treated
        t[form] = t[form].filter(pl.col("SUBJID") != sid)
    assert check_findings(write_tables_export(tmp_path, t), "ELIG-CRITERIA-MISSING").is_empty()


def test_eligibility_confirmed_after_lymphodepletion(tmp_path, clean):
    t = dict(clean)
    sid = t["ld"]["SUBJID"][0]
    first_ld = t["ld"].filter(pl.col("SUBJID") == sid)["LDDAT"].min()
    t["ie"] = set_first(t["ie"], pl.col("SUBJID") == sid, IEDAT=first_ld)  # the same day is still in time
    assert check_findings(write_tables_export(tmp_path / "a", t), "ELIG-CONFIRMED-LATE").is_empty()
    late = (date.fromisoformat(first_ld) + timedelta(days=3)).isoformat()
    t["ie"] = set_first(t["ie"], pl.col("SUBJID") == sid, IEDAT=late)
    f = check_findings(write_tables_export(tmp_path / "b", t), "ELIG-CONFIRMED-LATE")
    assert f.select("subject", "field", "value", "expected").rows() == [(sid, "IEDAT", late, f"on or before {first_ld}")]


def test_structural_abnormality_on_echocardiography(tmp_path, clean):
    t = dict(clean)
    sid = t["echo"]["SUBJID"][0]
    t["echo"] = set_first(t["echo"], pl.col("SUBJID") == sid, ECHOABN="Y")
    folder = write_tables_export(tmp_path, t)
    assert check_findings(folder, "ELIG-ECHO-ABNORMAL").select("subject", "value").rows() == [(sid, "Y")]
    # General inclusion 2 recorded as met is contradicted by it.
    hit = check_findings(folder, "ELIG-IE-CONTRADICTS")
    assert hit.select("subject", "value").rows() == [(sid, "Y")] and "ELIG-ECHO-ABNORMAL" in hit["expected"][0]


def test_background_therapy_of_iga_nephropathy(tmp_path, clean):
    t = dict(clean)
    sid = t["dm"].filter(pl.col("COHORT") == "IGAN")["SUBJID"][0]
    ace = (pl.col("SUBJID") == sid) & (pl.col("CMDECOD") == "ENALAPRIL")
    start = t["cm"].filter(ace)["CMSTDAT"][0]
    scr = t["sv"].filter((pl.col("SUBJID") == sid) & (pl.col("VISIT") == "SCR"))["SVSTDAT"][0]
    # Started a month before screening: too short.
    t["cm"] = set_first(t["cm"], ace, CMSTDAT=(date.fromisoformat(scr) - timedelta(days=30)).isoformat())
    f = check_findings(write_tables_export(tmp_path / "a", t), "ELIG-BACKGROUND-THERAPY")
    assert f.select("subject", "form", "field", "value").rows() == [(sid, "ie", "IEORRES", "Y")]
    assert f["severity"][0] == "non-important"
    # An ARB instead of the ACE inhibitor, started long enough before, is fine.
    t["cm"] = set_first(t["cm"], ace, CMTRT="LOSARTAN", CMDECOD="LOSARTAN", CMSTDAT=start)
    assert check_findings(write_tables_export(tmp_path / "b", t), "ELIG-BACKGROUND-THERAPY").is_empty()
    # A waiver recorded for the criterion: not judged.
    t["cm"] = t["cm"].filter(~((pl.col("SUBJID") == sid) & (pl.col("CMDECOD") == "LOSARTAN")))
    t["ie"] = set_first(t["ie"], (pl.col("SUBJID") == sid) & (pl.col("IETESTCD") == "IGAN03"), IEORRES="N", IEWAIV="Y",
                   IEWAIVR="intolerant of ACE inhibitors")
    assert check_findings(write_tables_export(tmp_path / "c", t), "ELIG-BACKGROUND-THERAPY").is_empty()


def test_infused_dose_level_against_the_assigned(tmp_path, clean):
    t = dict(clean)
    row = t["ex"].row(0, named=True)
    other = "DL2" if row["EXDOSELV"] != "DL2" else "DL1"
    t["ex"] = set_first(t["ex"], pl.col("SUBJID") == row["SUBJID"], EXDOSELV=other)
    f = check_findings(write_tables_export(tmp_path, t), "SCHED-EX-LEVEL")
    assert f.select("subject", "field", "value", "expected").rows() == \
        [(row["SUBJID"], "EXDOSELV", other, row["EXDOSELV"])]
