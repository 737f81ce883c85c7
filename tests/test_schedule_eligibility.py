"""Eligibility criteria checked from screening labs and the diagnosis form: bilirubin with the Gilbert exception,
eGFR with its waiver, renal biopsy, autoantibodies, proteinuria and infection serology."""

from __future__ import annotations

import pytest
from helpers import check_findings, minimal_subject, write_export

from ecrf.model import load_model
from ecrf.protocol import protocol

P = protocol(load_model())
SID = "01-001"
KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": SID}
SCR = KEY | {"VISIT": P.screening_visit, "VISITNUM": "1", "LBDAT": "2025-12-11"}


def export(cohort="SLE", labs=(), dx=None, **dm) -> dict[str, list[dict]]:
    data = minimal_subject(SID, COHORT=cohort, **dm)
    data["lb"] = [SCR | {"LBTESTCD": t, "LBORRES": v, "LBORNRHI": hi} for t, v, hi in labs]
    if dx is not None:
        data["dx"] = [KEY | {"DXSEQ": "1", "DXTERM": cohort, "DXCRIT": "KDIGO_2021"} | dx]
    return data


def run(tmp_path, data, check_id):
    return check_findings(write_export(tmp_path, data), check_id)


ULN = 21.0
K, KG = P.param("bilirubin_uln_max"), P.param("bilirubin_gilbert_uln_max")


@pytest.mark.parametrize("value,gilbert,fires", [
    (K * ULN, "N", False),            # at the limit: allowed
    (K * ULN + 0.1, "N", True),
    (K * ULN + 0.1, "Y", False),      # Gilbert syndrome raises the limit
    (KG * ULN + 0.1, "Y", True),
])
def test_bilirubin_limit_and_gilbert_exception(tmp_path, value, gilbert, fires):
    data = export(labs=[("BILI", f"{value:.1f}", str(ULN))], GILBERT=gilbert)
    f = run(tmp_path, data, "ELIG-BILIRUBIN")
    assert f.height == int(fires)
    if fires:
        assert f.select("form", "field", "severity", "dvcat").rows() == [("lb", "LBORRES", "important", "eligibility")]


def test_egfr_below_minimum_needs_a_waiver(tmp_path):
    low = f"{P.param('egfr_min') - 1:.1f}"
    data = export(labs=[("EGFR", low, "")])
    assert run(tmp_path / "a", data, "ELIG-EGFR")["value"].to_list() == [low]
    data["ie"].append(KEY | {"IETESTCD": "IN04", "IECAT": "INCLUSION", "IEORRES": "N", "IEWAIV": "Y",
                             "IEWAIVR": "benefit outweighs risk"})
    assert run(tmp_path / "b", data, "ELIG-EGFR").is_empty()
    ok = export(labs=[("EGFR", str(P.param("egfr_min")), "")])
    assert run(tmp_path / "c", ok, "ELIG-EGFR").is_empty()
    censored = export(labs=[("EGFR", "<15", "")])
    assert run(tmp_path / "d", censored, "ELIG-EGFR")["value"].to_list() == ["<15"]


@pytest.mark.parametrize("cohort,finding,fires", [
    ("MDR_SRNS", "MCD", False), ("MDR_SRNS", "FSGS", False), ("MDR_SRNS", "OTHER", True),
    ("MDR_SRNS", "NOT_DONE", True), ("IGAN", "IGAN", False), ("IGAN", "MCD", True), ("SLE", "NOT_DONE", False),
])
def test_biopsy_finding_per_cohort(tmp_path, cohort, finding, fires):
    f = run(tmp_path, export(cohort=cohort, dx={"DXBIOPSY": finding}), "ELIG-BIOPSY")
    assert f.height == int(fires)
    if fires:
        assert f.select("form", "field", "value").rows() == [("dx", "DXBIOPSY", finding)]


def test_biopsy_is_judged_per_subject(tmp_path):
    data = export(cohort="MDR_SRNS", dx={"DXBIOPSY": "NOT_DONE"})
    data["dx"].append(data["dx"][0] | {"DXSEQ": "2", "DXBIOPSY": "FSGS"})  # a later biopsy showed FSGS
    assert run(tmp_path / "a", data, "ELIG-BIOPSY").is_empty()
    data["dx"][1]["DXBIOPSY"] = "OTHER"
    f = run(tmp_path / "b", data, "ELIG-BIOPSY")
    assert f.select("field", "value").rows() == [("DXBIOPSY", "NOT_DONE")]


@pytest.mark.parametrize("cohort,abpos,fires", [("SSC", "Y", False), ("SSC", "N", True), ("SSC", "NA", True),
                                                ("SLE", "N", False)])
def test_antibodies_required_in_systemic_sclerosis(tmp_path, cohort, abpos, fires):
    assert run(tmp_path, export(cohort=cohort, dx={"DXABPOS": abpos}), "ELIG-ANTIBODY").height == int(fires)


def _prot(*measures):
    return [KEY | {"VISIT": "SCR", "VISITNUM": "1", "PROTDAT": "2025-12-11", "PROTMETH": m, "PROTVAL": v, "PROTU": u}
            for m, v, u in measures]


def test_proteinuria_below_both_thresholds(tmp_path):
    upcr, h24 = P.param("upcr_min"), P.param("protein_24h_min")
    data = export(cohort="IGAN")
    data["prot"] = _prot(("UPCR_SPOT", str(upcr - 0.1), "mg/mg"), ("URINE_24H", str(h24 - 1), "mg/24h"))
    f = run(tmp_path / "a", data, "ELIG-PROTEINURIA")
    assert f.select("form", "field", "severity").rows() == [("prot", "PROTVAL", "non-important")]
    data["prot"] = _prot(("UPCR_SPOT", str(upcr - 0.1), "mg/mg"), ("URINE_24H", str(h24), "mg/24h"))
    assert run(tmp_path / "b", data, "ELIG-PROTEINURIA").is_empty()  # either branch is enough
    data = export(cohort="MDR_SRNS")
    data["prot"] = _prot(("UPCR_SPOT", "0.1", "mg/mg"))
    assert run(tmp_path / "c", data, "ELIG-PROTEINURIA").is_empty()


@pytest.mark.parametrize("labs,fires", [
    ([("HIVAB", "POSITIVE", "")], True),
    ([("HIVAB", "NEGATIVE", "")], False),
    ([("SYPHILIS", "REACTIVE", "")], True),
    ([("HBSAG", "POSITIVE", ""), ("HBVDNA", "10", "20")], False),   # DNA within the normal range
    ([("HBSAG", "POSITIVE", ""), ("HBVDNA", "500", "20")], True),
    ([("HBCAB", "POSITIVE", "")], True),                            # no DNA result: eligibility not shown
    ([("HBCAB", "POSITIVE", ""), ("HBVDNA", "500", "")], True),     # a DNA number without a range is not negative
    ([("HCVAB", "POSITIVE", ""), ("HCVRNA", "NOT DETECTED", "")], False),
    ([("HBSAG", "POSITIVE", ""), ("HBVDNA", "<20", "")], False),    # below the quantification limit
    ([("HCVAB", "POSITIVE", ""), ("HCVRNA", "<15", "")], False),
    ([("HBSAG", "POSITIVE", ""), ("HBVDNA", "<500", "20")], True),  # censored above the ULN: not shown negative
    ([("CMVDNA", "DETECTED", "")], True),
])
def test_infection_serology(tmp_path, labs, fires):
    f = run(tmp_path, export(labs=labs), "ELIG-SEROLOGY")
    assert f.height == int(fires)
    if fires:
        assert f["value"][0] == labs[0][1]


def test_ie_form_contradicted_by_new_criteria(tmp_path):
    data = export(cohort="SSC", dx={"DXABPOS": "N"})
    data["ie"] = [KEY | {"IETESTCD": "SSC03", "IECAT": "INCLUSION", "IEORRES": "Y"}]
    f = run(tmp_path, data, "ELIG-IE-CONTRADICTS")
    assert f.select("field", "value").rows() == [("IEORRES", "Y")] and "ELIG-ANTIBODY" in f["expected"][0]


@pytest.mark.parametrize("start,end,ongoing,fires", [
    ("2025-09-01", "2025-10-01", "N", True),    # ended 10 weeks before screening
    ("2025-06-01", "2025-08-01", "N", False),   # ended more than 3 months before
    ("2025-06-01", "", "Y", True),              # still taken at screening
    ("2026-01-05", "2026-01-06", "N", False),   # after screening: CM-PROHIBITED's finding
    ("2025-09", "2025-10", "N", False),         # partial dates cannot be placed
])
def test_other_trial_intervention_before_screening(tmp_path, start, end, ongoing, fires):
    data = export()
    data["cm"] = [KEY | {"CMSEQ": "1", "CMCAT": "PRIOR", "CMTRT": "ABC-123", "CMSTDAT": start, "CMENDAT": end,
                         "CMONGO": ongoing, "CMINVP": "Y"}]
    f = run(tmp_path, data, "ELIG-OTHER-TRIAL")
    assert f.height == int(fires)
    if fires:
        assert f.select("form", "field", "value", "dvcat").rows() == [("cm", "CMTRT", "ABC-123", "eligibility")]


@pytest.mark.parametrize("ds,dosed,fires", [
    ("SCREEN FAILURE", False, False),   # a screen failure is listed, not a deviation
    ("SCREEN FAILURE", True, True),     # dosed despite the disposition: a deviation
    ("COMPLETED", False, True),
])
def test_screen_failure_is_not_an_eligibility_deviation(tmp_path, ds, dosed, fires):
    data = export()
    data["ie"] = [KEY | {"IETESTCD": "IN04", "IECAT": "INCLUSION", "IEORRES": "N"}]
    data["ds"] = [KEY | {"DSDECOD": ds, "DSSTDAT": "2026-01-05"}]
    if dosed:
        data["ld"] = [KEY | {"LDTRT": "FLUDARABINE", "LDDAT": "2026-01-10", "LDDOSE": "25", "LDDOSU": "mg/m2"}]
    assert run(tmp_path, data, "ELIG-NOT-MET").height == int(fires)
