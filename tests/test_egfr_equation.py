"""KIDNEY-EGFR recomputes with the equation the record names (LBMETHOD, else the protocol's), and only within the
ages that equation was validated for; outside them KIDNEY-EGFR-EQUATION warns that the equation does not apply."""

from __future__ import annotations

import pytest
from helpers import check_findings, write_export
from test_kidney import KEY, dm, vs

from ecrf.clinical.egfr import applies, ckd_epi_2021, ckid_u25, equation_ages
from ecrf.model import load_model
from ecrf.params import class_parameter

PROTOCOL_EQUATION = class_parameter(load_model(), "KidneyFunctionParameters", "egfr_equation")
SCR_MGDL = 1.2


def lb(subjid, test, result, unit, method=""):
    return KEY | {"SUBJID": subjid, "VISIT": "SCR", "VISITNUM": "1", "LBDAT": "2025-12-11", "LBTESTCD": test,
                  "LBORRES": str(result), "LBORRESU": unit, "LBMETHOD": method}


def export(tmp_path, age: int, egfr: float, method: str = "", height: float = 170):
    return write_export(tmp_path, {
        "dm": [dm("01-001", "M", age)], "vs": [vs("01-001", "SCR", 1, height, 60)],
        "lb": [lb("01-001", "CREAT", SCR_MGDL, "mg/dL"), lb("01-001", "EGFR", round(egfr, 1), "mL/min/1.73m2", method)]})


def both(folder):
    return {c: check_findings(folder, c).select("field", "value").rows() for c in ("KIDNEY-EGFR", "KIDNEY-EGFR-EQUATION")}


def test_validity_ages_come_from_the_schema():
    ages = equation_ages()
    assert ages["CKID_U25"] == (1, 25) and ages["CKD_EPI_2021"] == (18, None)
    assert applies("CKID_U25", 25.9) and not applies("CKID_U25", 26) and not applies("CKD_EPI_2021", 17.99)


def test_an_adult_reported_with_ckd_epi_is_recomputed_with_ckd_epi(tmp_path):
    """CKD-EPI 2021, male 55 years, creatinine 1.2 mg/dL -> 71.4 (Inker 2021 test vector)."""
    value = ckd_epi_2021("M", 55, SCR_MGDL)
    assert round(value, 1) == 71.4
    assert both(export(tmp_path, 55, value, "CKD_EPI_2021")) == {"KIDNEY-EGFR": [], "KIDNEY-EGFR-EQUATION": []}


def test_a_wrong_ckd_epi_value_is_caught(tmp_path):
    f = both(export(tmp_path, 55, ckd_epi_2021("M", 55, SCR_MGDL) + 15, "CKD_EPI_2021"))
    assert f == {"KIDNEY-EGFR": [("LBORRES", "86.4")], "KIDNEY-EGFR-EQUATION": []}


def test_an_18_year_old_may_be_reported_with_either_equation(tmp_path):
    assert both(export(tmp_path / "a", 18, ckd_epi_2021("M", 18, SCR_MGDL), "CKD_EPI_2021")) == {
        "KIDNEY-EGFR": [], "KIDNEY-EGFR-EQUATION": []}
    assert both(export(tmp_path / "b", 18, ckid_u25("M", 18, 170, SCR_MGDL), "CKID_U25")) == {
        "KIDNEY-EGFR": [], "KIDNEY-EGFR-EQUATION": []}


def test_without_lbmethod_the_protocol_equation_is_used(tmp_path):
    assert PROTOCOL_EQUATION == "CKID_U25"
    assert both(export(tmp_path, 12, ckid_u25("M", 12, 150, SCR_MGDL), "", height=150)) == {
        "KIDNEY-EGFR": [], "KIDNEY-EGFR-EQUATION": []}


@pytest.mark.parametrize("age, method, value", [
    (12, "CKD_EPI_2021", "CKD_EPI_2021"),   # the adult equation for a child
    (30, "CKID_U25", "CKID_U25"),           # CKiD U25 past 25 years
    (30, "", PROTOCOL_EQUATION),            # the protocol's equation assumed, and it does not apply
    (19, "BEDSIDE_SCHWARTZ", "BEDSIDE_SCHWARTZ"),
])
def test_outside_its_ages_the_equation_is_reported_not_recomputed(tmp_path, age, method, value):
    """Even a value far from any recomputation gives no KIDNEY-EGFR finding: only the warning."""
    f = both(export(tmp_path, age, 300, method))
    assert f == {"KIDNEY-EGFR": [], "KIDNEY-EGFR-EQUATION": [("LBMETHOD", value)]}


def test_the_warning_says_why(tmp_path):
    f = check_findings(export(tmp_path, 12, 90, "CKD_EPI_2021"), "KIDNEY-EGFR-EQUATION")
    assert f["severity"].to_list() == ["warning"]
    assert "validated for 18 years and over" in f["message"][0] and "aged 12" in f["message"][0]
    assert f["expected"][0] == "CKID_U25 or BEDSIDE_SCHWARTZ"
