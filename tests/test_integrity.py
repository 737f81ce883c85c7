"""Referential integrity and derived items: each error seeded into a clean generated export is caught, and the
clean export gives no finding."""

from __future__ import annotations

import polars as pl
import pytest

from ecrf.example.generator import BUNDLED_SEED, BUNDLED_SUBJECTS, generate
from helpers import check_findings, set_first, write_tables_export

CHECKS = ("REF-SUBJECT", "REF-VISIT", "IC-NO-CONSENT", "DERIVED-AGE", "DERIVED-BIRTH", "DERIVED-AGE-AT-DATE",
          "DERIVED-STUDY-DAY", "DERIVED-VISITNUM")


@pytest.fixture(scope="module")
def clean():
    return generate(BUNDLED_SUBJECTS, BUNDLED_SEED)


@pytest.mark.parametrize("check_id", CHECKS)
def test_clean_export_gives_nothing(tmp_path, clean, check_id):
    assert check_findings(write_tables_export(tmp_path, clean), check_id).is_empty()


def test_record_of_a_subject_absent_from_demographics(tmp_path, clean):
    t = dict(clean)
    stray = t["lb"].filter(pl.col("SUBJID") == "01-001").head(3).with_columns(pl.lit("01-777").alias("SUBJID"))
    t["lb"] = pl.concat([t["lb"], stray])
    f = check_findings(write_tables_export(tmp_path, t), "REF-SUBJECT")
    assert f.height == 1  # once per subject and form
    assert f.select("subject", "form", "field", "value").rows() == [("01-777", "lb", "SUBJID", "01-777")]
    assert "3 record(s)" in f["message"][0]
    # The stray records are not also reported as filed under a visit the (unknown) subject never had.
    assert check_findings(write_tables_export(tmp_path / "again", t), "REF-VISIT").is_empty()


def test_record_for_a_visit_never_held(tmp_path, clean):
    t = dict(clean)
    t["sv"] = set_first(t["sv"], (pl.col("SUBJID") == "01-002") & (pl.col("VISIT") == "M3"), SVOCCUR="N")
    d28 = t["vs"].filter((pl.col("SUBJID") == "01-001") & (pl.col("VISIT") == "D28"))
    t["vs"] = pl.concat([t["vs"], d28.with_columns(pl.lit("UNS").alias("VISIT"), pl.lit("10.1").alias("VISITNUM"))])
    f = check_findings(write_tables_export(tmp_path, t), "REF-VISIT").sort("subject", "form")
    got = set(zip(f["subject"], f["form"], f["value"]))
    # M3 not done: its vital signs, labs and scores are reported, once per form; the unscheduled vital signs too.
    assert ("01-002", "vs", "M3") in got and ("01-002", "lb", "M3") in got and ("01-001", "vs", "UNS") in got
    assert f.filter(pl.col("form") == "lb").height == 1
    # An unscheduled visit that the visit form records (same VISITNUM) is fine.
    sv_uns = t["sv"].filter((pl.col("SUBJID") == "01-001") & (pl.col("VISIT") == "D28")) \
        .with_columns(pl.lit("UNS").alias("VISIT"), pl.lit("10.1").alias("VISITNUM"))
    t["sv"] = pl.concat([t["sv"], sv_uns])
    f = check_findings(write_tables_export(tmp_path / "b", t), "REF-VISIT")
    assert "01-001" not in f["subject"].to_list()


def test_treated_subject_without_consent(tmp_path, clean):
    t = dict(clean)
    t["ic"] = t["ic"].filter(pl.col("SUBJID") != "01-003")
    f = check_findings(write_tables_export(tmp_path, t), "IC-NO-CONSENT")
    assert f.select("subject", "form", "field").rows() == [("01-003", "ex", "EXSTDAT")]
    assert f["severity"][0] == "important" and f["dvcat"][0] == "informed consent"


def test_age_against_birth_and_consent(tmp_path, clean):
    t = dict(clean)
    dm = t["dm"].filter(pl.col("BRTHDAT").str.len_chars() == 10).row(0, named=True)
    t["dm"] = set_first(t["dm"], pl.col("SUBJID") == dm["SUBJID"], AGE=str(int(dm["AGE"]) + 2))
    f = check_findings(write_tables_export(tmp_path, t), "DERIVED-AGE")
    assert f.select("subject", "value", "expected").rows() == [(dm["SUBJID"], str(int(dm["AGE"]) + 2), dm["AGE"])]


def test_partial_birth_date_allows_either_age(tmp_path):
    from helpers import minimal_subject, write_export

    # Born in March 2015, consented 10 December 2025: 10 whatever the day; consented 15 March 2025: 9 or 10.
    s = minimal_subject(BRTHDAT="2015-03", AGE="10")
    assert check_findings(write_export(tmp_path / "a", s), "DERIVED-AGE").is_empty()
    s = minimal_subject(BRTHDAT="2015-03", AGE="9")
    s["ic"][0]["ICDAT"] = s["ic"][0]["ASNTDAT"] = "2025-03-15"
    s["sv"][0]["SVSTDAT"] = "2025-03-16"
    assert check_findings(write_export(tmp_path / "b", s), "DERIVED-AGE").is_empty()
    s = minimal_subject(BRTHDAT="2015-03", AGE="11")
    f = check_findings(write_export(tmp_path / "c", s), "DERIVED-AGE")
    assert f.select("value", "expected").rows() == [("11", "10")]


def test_birth_after_consent(tmp_path, clean):
    t = dict(clean)
    t["dm"] = set_first(t["dm"], pl.col("SUBJID") == "01-001", BRTHDAT="2027-02")
    f = check_findings(write_tables_export(tmp_path, t), "DERIVED-BIRTH")
    assert f.select("subject", "field", "value").rows() == [("01-001", "BRTHDAT", "2027-02")]
    # The age is not judged against a birth date after consent.
    assert check_findings(write_tables_export(tmp_path / "b", t), "DERIVED-AGE").is_empty()


def test_age_at_an_assessment(tmp_path, clean):
    t = dict(clean)
    row = t["vas"].row(1, named=True)
    t["vas"] = set_first(t["vas"], (pl.col("SUBJID") == row["SUBJID"]) & (pl.col("VISIT") == row["VISIT"]),
                    VASAGE=str(int(row["VASAGE"]) - 3))
    f = check_findings(write_tables_export(tmp_path, t), "DERIVED-AGE-AT-DATE")
    assert f.select("subject", "visit", "field", "value").rows() == \
        [(row["SUBJID"], row["VISIT"], "VASAGE", str(int(row["VASAGE"]) - 3))]


def test_study_day_against_dose_and_infusion_dates(tmp_path, clean):
    t = dict(clean)
    row = t["ld"].row(0, named=True)
    t["ld"] = set_first(t["ld"], (pl.col("SUBJID") == row["SUBJID"]) & (pl.col("LDSEQ") == row["LDSEQ"]),
                   LDDAY=str(int(row["LDDAY"]) + 1))
    # Moving the infusion moves day 0: every study day of another subject is then off.
    other = t["ld"].filter(pl.col("SUBJID") != row["SUBJID"])["SUBJID"][0]
    ex = t["ex"].filter(pl.col("SUBJID") == other).row(0, named=True)
    t["ex"] = set_first(t["ex"], pl.col("SUBJID") == other, EXSTDAT=_plus_days(ex["EXSTDAT"], 1))
    f = check_findings(write_tables_export(tmp_path, t), "DERIVED-STUDY-DAY")
    assert f.filter(pl.col("subject") == row["SUBJID"]).select("value", "expected").rows() == \
        [(str(int(row["LDDAY"]) + 1), row["LDDAY"])]
    assert f.filter(pl.col("subject") == other).height == t["ld"].filter(pl.col("SUBJID") == other).height


def _plus_days(iso: str, n: int) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(iso) + timedelta(days=n)).isoformat()


@pytest.mark.parametrize("by_runs", [False, True])  # a large form is first judged on its runs of one visit
def test_visitnum_against_the_schedule(tmp_path, clean, by_runs, monkeypatch):
    if by_runs:
        from ecrf.validators import derived

        monkeypatch.setattr(derived, "DISTINCT_ROWS", 0)
        assert check_findings(write_tables_export(tmp_path / "clean", clean), "DERIVED-VISITNUM").is_empty()
    t = dict(clean)
    t["lb"] = set_first(t["lb"], (pl.col("SUBJID") == "01-001") & (pl.col("VISIT") == "D14") & (pl.col("LBTESTCD") == "ALT"),
                   VISITNUM="9")
    uns = t["vs"].filter((pl.col("SUBJID") == "01-001") & (pl.col("VISIT") == "D28"))
    t["vs"] = pl.concat([t["vs"], uns.with_columns(pl.lit("UNS").alias("VISIT"), pl.lit("12").alias("VISITNUM"))])
    f = check_findings(write_tables_export(tmp_path, t), "DERIVED-VISITNUM").sort("form")
    assert f.select("form", "visit", "value", "expected").rows() == \
        [("lb", "D14", "9.0", "8"), ("vs", "UNS", "12.0", "a decimal number (unscheduled)")]


def test_schedule_numbers_read_as_written():
    from ecrf.validators.derived import _number

    got = pl.DataFrame({"n": [3.0, 1.5, 99.0]}).select(_number("n"))["n"].to_list()
    assert got == ["3", "1.5", "99"]


def test_a_visit_never_held_counted_over_interleaved_records(tmp_path, clean):
    """A subject's records of one visit need not sit together: half of a held visit's lab records relabelled with
    a visit not held alternate, in record-key order, with the others. All of them, with the visit's own records,
    are counted on the one finding."""
    t = dict(clean)
    t["sv"] = set_first(t["sv"], (pl.col("SUBJID") == "01-002") & (pl.col("VISIT") == "M3"), SVOCCUR="N")
    lb = t["lb"].with_row_index("_r")
    moved = lb.filter((pl.col("SUBJID") == "01-002") & (pl.col("VISIT") == "D28"))["_r"].to_list()[::2]
    own = lb.filter((pl.col("SUBJID") == "01-002") & (pl.col("VISIT") == "M3")).height
    t["lb"] = lb.with_columns(pl.when(pl.col("_r").is_in(moved)).then(pl.lit("M3")).otherwise(pl.col("VISIT"))
                              .alias("VISIT")).drop("_r")
    f = check_findings(write_tables_export(tmp_path, t), "REF-VISIT").filter(pl.col("form") == "lb")
    assert len(moved) > 2 and f.select("subject", "value").rows() == [("01-002", "M3")]
    assert f"{own + len(moved)} record(s)" in f["message"][0]
