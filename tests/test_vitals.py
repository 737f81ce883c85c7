"""VS-SOFT: vital signs against the plausible band of the child's age."""

from helpers import check_findings, minimal_subject, write_export

from ecrf.model import load_model
from ecrf.validators.vitals import bands_frame

KEY = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001"}


def vs(visitnum, **values):
    return KEY | {"VISIT": "D7", "VISITNUM": str(visitnum), "VSDAT": "2026-01-20"} | values


NORMAL_10Y = {"TEMP": "36.8", "SYSBP": "105", "DIABP": "65", "PULSE": "90", "RESP": "20"}


def export(tmp_path, rows, age="10"):
    forms = minimal_subject(AGE=age)
    forms["vs"] = rows
    return write_export(tmp_path, forms)


def test_bands_cover_every_age_without_gaps():
    b = bands_frame(load_model()).sort("min_age")
    assert b["min_age"][0] <= 3
    assert b["min_age"][1:].to_list() == b["max_age"][:-1].to_list()
    for item in ("temp", "sysbp", "diabp", "pulse", "resp"):
        assert (b[f"{item}_low"] < b[f"{item}_high"]).all(), item


def test_clean_vitals_give_no_finding(tmp_path):
    assert check_findings(export(tmp_path, [vs(5, **NORMAL_10Y)]), "VS-SOFT").is_empty()


def test_values_outside_the_age_band(tmp_path):
    rows = [vs(5, **(NORMAL_10Y | {"PULSE": "135"})),   # above 115 for 8-<12 years
            vs(6, **(NORMAL_10Y | {"RESP": "10"})),     # below 14
            vs(7, **(NORMAL_10Y | {"SYSBP": "80"})),    # below the PALS threshold 70 + 2 x 8 = 86
            vs(8, **(NORMAL_10Y | {"TEMP": "41.5"})),   # hyperpyrexia, within the hard limit 45
            vs(9, **(NORMAL_10Y | {"TEMP": "48"})),     # beyond the hard limit: COL-RANGE, not VS-SOFT
            vs(10, **(NORMAL_10Y | {"PULSE": "abc"}))]  # not a number: COL-TYPE, not VS-SOFT
    f = check_findings(export(tmp_path, rows), "VS-SOFT")
    assert sorted(f.select("field", "value").rows()) == [("PULSE", "135"), ("RESP", "10"), ("SYSBP", "80"),
                                                         ("TEMP", "41.5")]


def test_band_follows_the_age(tmp_path):
    # A heart rate of 130 is plausible at 4 years (band up to 131) but not at 16 (up to 104).
    row = [vs(5, **(NORMAL_10Y | {"PULSE": "130"}))]
    assert check_findings(export(tmp_path / "a", row, age="4"), "VS-SOFT").is_empty()
    f = check_findings(export(tmp_path / "b", row, age="16"), "VS-SOFT")
    assert f.select("field", "value", "expected").rows() == [("PULSE", "130", "43 to 104 /min")]


def test_missing_age_or_form_is_skipped(tmp_path):
    forms = minimal_subject(AGE="")
    forms["vs"] = [vs(5, **(NORMAL_10Y | {"PULSE": "200"}))]
    assert check_findings(write_export(tmp_path / "a", forms), "VS-SOFT").is_empty()
    assert check_findings(write_export(tmp_path / "b", minimal_subject()), "VS-SOFT").is_empty()


def test_age_at_the_visit_from_a_complete_birth_date(tmp_path):
    # Born 2014-01-15: 11 at consent but 12 on 2026-01-20, so the 12-<15 band applies (pulse up to 108).
    row = [vs(5, **(NORMAL_10Y | {"PULSE": "112"}))]
    f = check_findings(write_export(tmp_path / "a", minimal_subject(AGE="11", BRTHDAT="2014-01-15") | {"vs": row}),
                       "VS-SOFT")
    assert f.select("field", "value").rows() == [("PULSE", "112")]
    # A partial birth date: the recorded age (11, band up to 115) is used.
    f = check_findings(write_export(tmp_path / "b", minimal_subject(AGE="11", BRTHDAT="2014-01") | {"vs": row}),
                       "VS-SOFT")
    assert f.is_empty()


def test_age_before_the_birthday_late_in_the_year(tmp_path):
    # Born 2014-07-28: still 11 on 2026-01-20 (birthday later in the year), so a pulse of 112 fits 8-<12.
    row = [vs(5, **(NORMAL_10Y | {"PULSE": "112"}))]
    forms = minimal_subject(AGE="11", BRTHDAT="2014-07-28") | {"vs": row}
    assert check_findings(write_export(tmp_path, forms), "VS-SOFT").is_empty()
