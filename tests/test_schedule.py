"""Schedule of assessments, missed visits, the pregnancy test before lymphodepletion and prohibited medications.

One subject followed to day 7 with every scheduled assessment (built from the schema's schedule) is clean; each
test breaks one thing and sees its check fire. Numbers come from the schema through ecrf.protocol.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ecrf.model import load_model
from ecrf.protocol import protocol
from helpers import check_findings, minimal_subject, write_export, write_form

P = protocol(load_model())
D0 = date(2026, 2, 1)
SID = "01-001"
KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": SID}
VISITS = {"SCR": -20, "LD": -5, "D0": 0, "D1": 1, "D4": 4, "D7": 7}


def day(n: int) -> str:
    return (D0 + timedelta(days=n)).isoformat()


def export(cohort="SLE", chbrpot="Y") -> dict[str, list[dict]]:
    data = minimal_subject(SID, COHORT=cohort, CHBRPOT=chbrpot, AGE="14")
    data["ic"][0]["ICDAT"] = data["ic"][0]["ASNTDAT"] = day(-25)
    data["sv"] = [KEY | {"VISIT": v, "VISITNUM": str(i + 1), "SVSTDAT": day(d), "SVOCCUR": "Y"}
                  for i, (v, d) in enumerate(VISITS.items())]
    for k in ("vs", "lb", "echo", "sledai", "mrss", "vas", "prot"):
        data[k] = []
    for a in P.schedule():
        if a.cohorts and cohort not in a.cohorts:
            continue
        for v, d in VISITS.items():
            if v not in a.visits:
                continue
            rec = KEY | {"VISIT": v, "VISITNUM": str(list(VISITS).index(v) + 1)}
            if a.tests:
                data["lb"] += [rec | {"LBDAT": day(d), "LBTESTCD": t, "LBORRES": "NEGATIVE" if t in
                                      ("HBSAG", "HBCAB", "HCVAB", "HIVAB", "SYPHILIS") else "1"} for t in a.tests]
            else:
                data[a.form].append(rec | {f"{a.form.upper()}DAT": day(d), "VSDAT": day(d), "PROTMETH": "UPCR_SPOT",
                                           "PROTVAL": "1.5", "PROTU": "mg/mg"})
    data["lb"].append(KEY | {"VISIT": "SCR", "VISITNUM": "1", "LBDAT": day(-20), "LBTESTCD": "HCG",
                             "LBORRES": "NEGATIVE"})
    data["ld"] = [KEY | {"LDSEQ": str(i + 1), "LDTRT": "FLUDARABINE", "LDDAT": day(d), "LDDOSE": "25"}
                  for i, d in enumerate((-5, -4, -3))]
    data["ex"] = [KEY | {"EXNUM": "1", "EXSTDAT": day(0), "EXDOSE": "1e6", "EXDOSU": "cells/kg"}]
    data["cm"] = [KEY | {"CMSEQ": "1", "CMCAT": "VACCINE", "CMTRT": "MMR", "CMSTDAT": day(-200), "CMLIVE": "Y"}]
    return data


def run(tmp_path, data, check_id):
    return check_findings(write_export(tmp_path, data), check_id)


def rows(data, form, **match):
    return [r for r in data[form] if all(r.get(k) == v for k, v in match.items())]


NEW = ("SCHED-VISIT-MISSING", "SCHED-ASSESSMENT-MISSING", "SCHED-PREG-TEST", "CM-PROHIBITED")


@pytest.mark.parametrize("check_id", NEW)
def test_clean_subject_has_no_finding(tmp_path, check_id):
    assert run(tmp_path, export(), check_id).is_empty()


# --- missed visits -------------------------------------------------------------------------------------------

def test_visit_without_record_before_a_later_one_is_missing(tmp_path):
    data = export()
    data["sv"] = [r for r in data["sv"] if r["VISIT"] != "D4"]
    f = run(tmp_path, data, "SCHED-VISIT-MISSING")
    assert f.select("subject", "form", "field", "value", "visit", "severity", "dvcat").rows() == \
        [(SID, "sv", "VISIT", "D4", "D7", "important", "visit schedule")]


def test_visit_recorded_not_done_is_missing(tmp_path):
    data = export()
    rows(data, "sv", VISIT="D4")[0].update(SVOCCUR="N", SVSTDAT="", SVREASOC="family holiday")
    f = run(tmp_path, data, "SCHED-VISIT-MISSING")
    assert f.select("field", "value", "visit").rows() == [("SVOCCUR", "N", "D4")]


def test_visit_whose_window_closed_before_the_last_visit_is_missing(tmp_path):
    data = export()
    data["sv"] = [r for r in data["sv"] if r["VISIT"] not in ("D4", "D7")]
    d7 = P.visit_windows()["D7"]
    data["sv"].append(KEY | {"VISIT": "UNS", "VISITNUM": "99", "SVSTDAT": day(d7.target_day + d7.after + 1),
                             "SVOCCUR": "Y"})
    f = run(tmp_path, data, "SCHED-VISIT-MISSING")
    assert sorted(f["value"]) == ["D4", "D7"] and set(f["visit"]) == {"UNS"}


def test_visits_not_yet_due_are_not_missing(tmp_path):
    data = export()
    data["sv"] = [r for r in data["sv"] if r["VISIT"] not in ("D4", "D7")]
    assert run(tmp_path, data, "SCHED-VISIT-MISSING").is_empty()


# --- missed assessments ----------------------------------------------------------------------------------------

def test_missing_form_at_a_visit_is_reported(tmp_path):
    data = export()
    data["vs"] = [r for r in data["vs"] if r["VISIT"] != "D1"]
    f = run(tmp_path, data, "SCHED-ASSESSMENT-MISSING")
    assert f.select("subject", "form", "visit", "field", "value", "expected", "dvcat").rows() == \
        [(SID, "sv", "D1", "VISIT", "D1", "vs record", "assessment")]


def test_missing_and_not_done_lab_tests_are_reported(tmp_path):
    data = export()
    data["lb"] = [r for r in data["lb"] if not (r["VISIT"] == "D4" and r["LBTESTCD"] == "ALT")]
    rows(data, "lb", VISIT="D4", LBTESTCD="AST")[0].update(LBORRES="", LBSTAT="NOT DONE", LBREASND="haemolysed")
    f = run(tmp_path, data, "SCHED-ASSESSMENT-MISSING")
    assert f.select("visit", "expected").rows() == [("D4", "lb ALT, AST")]


def test_cohort_forms_are_due_only_for_their_cohort(tmp_path):
    data = export(cohort="SLE")
    data["sledai"] = []
    f = run(tmp_path, data, "SCHED-ASSESSMENT-MISSING")
    assert f.select("visit", "expected").rows() == [("SCR", "sledai record")]
    data = export(cohort="SSC")
    data["sledai"] = []
    assert run(tmp_path / "ssc", data, "SCHED-ASSESSMENT-MISSING").is_empty()


def test_visit_not_done_needs_no_assessment(tmp_path):
    data = export()
    rows(data, "sv", VISIT="D1")[0].update(SVOCCUR="N", SVSTDAT="")
    data["vs"] = [r for r in data["vs"] if r["VISIT"] != "D1"]
    data["lb"] = [r for r in data["lb"] if r["VISIT"] != "D1"]
    assert run(tmp_path, data, "SCHED-ASSESSMENT-MISSING").is_empty()


# --- pregnancy test before lymphodepletion ---------------------------------------------------------------------

def test_no_pregnancy_test_is_reported(tmp_path):
    data = export()
    data["lb"] = [r for r in data["lb"] if r["LBTESTCD"] != "HCG"]
    f = run(tmp_path, data, "SCHED-PREG-TEST")
    assert f.select("subject", "form", "field", "value", "severity", "dvcat").rows() == \
        [(SID, "dm", "CHBRPOT", "Y", "important", "assessment")]


def test_pregnancy_test_outside_the_window_is_reported(tmp_path):
    days = P.param("pregnancy_test_days_before_ld")
    data = export()
    rows(data, "lb", LBTESTCD="HCG")[0]["LBDAT"] = day(-5 - days - 1)
    assert run(tmp_path, data, "SCHED-PREG-TEST").height == 1
    rows(data, "lb", LBTESTCD="HCG")[0]["LBDAT"] = day(-5 - days)  # the window's first day counts
    assert run(tmp_path / "edge", data, "SCHED-PREG-TEST").is_empty()


def test_no_test_needed_without_childbearing_potential(tmp_path):
    data = export(chbrpot="NA")
    data["lb"] = [r for r in data["lb"] if r["LBTESTCD"] != "HCG"]
    assert run(tmp_path, data, "SCHED-PREG-TEST").is_empty()


def test_positive_test_is_left_to_the_eligibility_check(tmp_path):
    data = export()
    rows(data, "lb", LBTESTCD="HCG")[0]["LBORRES"] = "POSITIVE"
    assert run(tmp_path, data, "SCHED-PREG-TEST").is_empty()
    assert run(tmp_path / "elig", data, "ELIG-PREGNANCY").height == 1


# --- prohibited medications -----------------------------------------------------------------------------------

def test_live_vaccine_after_screening_is_prohibited(tmp_path):
    data = export()
    data["cm"][0]["CMSTDAT"] = day(60)
    f = run(tmp_path, data, "CM-PROHIBITED")
    assert f.select("subject", "form", "field", "value", "severity", "dvcat").rows() == \
        [(SID, "cm", "CMTRT", "MMR", "important", "prohibited medication")]
    assert "LIVE_VACCINE" in f["message"][0]


def test_investigational_product_is_prohibited(tmp_path):
    data = export()
    data["cm"].append(KEY | {"CMSEQ": "2", "CMCAT": "CONCOMITANT", "CMTRT": "ABC-123", "CMSTDAT": day(10),
                             "CMINVP": "Y"})
    f = run(tmp_path, data, "CM-PROHIBITED")
    assert f["value"].to_list() == ["ABC-123"] and "INVESTIGATIONAL" in f["message"][0]


@pytest.mark.parametrize("start", [day(-21), "2026-03"])
def test_before_screening_or_partial_date_is_not_reported(tmp_path, start):
    data = export()
    data["cm"][0]["CMSTDAT"] = start
    assert run(tmp_path, data, "CM-PROHIBITED").is_empty()


def test_example_generator_follows_the_schedule():
    """The example writes what the schedule makes due: lab panel, serology, eGFR and score visits agree."""
    from ecrf.example import efficacy, visits
    from ecrf.example.plan import study_plan

    plan = study_plan(load_model())
    written = set(plan.schedule)
    by_code = {a.code: a for a in P.schedule()}
    assert set(visits.LAB_VISITS) == set(by_code["LAB_PANEL"].visits) & written
    assert set(visits.LAB_PANEL) == set(by_code["LAB_PANEL"].tests)
    assert set(visits.SEROLOGY) == set(by_code["SEROLOGY"].tests)
    assert set(by_code["VITALS"].visits) & written == written
    for code in ("SLEDAI", "MRSS", "VAS", "PROTEINURIA"):
        assert set(efficacy.SCORE_VISITS) == set(by_code[code].visits) & written, code


NEW_ELIG = ("ELIG-BILIRUBIN", "ELIG-EGFR", "ELIG-BIOPSY", "ELIG-ANTIBODY", "ELIG-PROTEINURIA", "ELIG-SEROLOGY",
            "ELIG-OTHER-TRIAL", "ELIG-IE-CONTRADICTS")


@pytest.mark.parametrize("check_id", NEW + NEW_ELIG)
def test_only_required_columns_do_not_crash(tmp_path, check_id):
    """An export with only the required columns of each form: the checks skip what is not there."""
    model = load_model()
    data = export()
    data["dx"] = [KEY | {"DXSEQ": "1", "DXTERM": "SLE", "DXCRIT": "SLICC_2012"}]
    for domain, recs in data.items():
        form = model.forms[domain]
        write_form(tmp_path, domain, recs, columns=[form.item(k).title for k in form.required_items])
    assert check_findings(tmp_path, check_id).is_empty()
