"""SAFE-ICANS-TOOL: ICE from 12 years, CAPD below, judged on the assessment date from the full birth date."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


def dm(subjid, birth):
    return KEY | {"SUBJID": subjid, "BRTHDAT": birth, "SEX": "F", "COHORT": "SLE"}


def icans(subjid, day, tool):
    score = {"ICESCORE": "8"} if tool == "ICE" else {"CAPDSCORE": "4"}
    return KEY | {"SUBJID": subjid, "AESEQ": "1", "ICANSDAT": day, "ICANSGR": "1", "ICANSTOOL": tool} | score


def rows_of(f):
    return sorted(f.select("subject", "field", "value", "expected").rows())


def test_tool_for_age_clean(tmp_path):
    folder = write_export(tmp_path, {
        "dm": [dm("01-001", "2014-03-10"), dm("01-002", "2014-03-10"), dm("01-003", "2014")],
        "icans": [icans("01-001", "2026-03-10", "ICE"),     # 12th birthday: ICE
                  icans("01-002", "2026-03-09", "CAPD"),    # the day before: still 11, CAPD
                  icans("01-003", "2026-03-09", "ICE")]})   # partial birth date: not judged
    assert check_findings(folder, "SAFE-ICANS-TOOL").is_empty()


def test_tool_for_age_seeded(tmp_path):
    folder = write_export(tmp_path, {
        "dm": [dm("01-001", "2018-05-01"), dm("01-002", "2012-05-01")],
        "icans": [icans("01-001", "2026-03-10", "ICE"),     # 7 years old assessed with ICE
                  icans("01-002", "2026-03-10", "CAPD")]})  # 13 years old assessed with CAPD
    f = check_findings(folder, "SAFE-ICANS-TOOL")
    assert rows_of(f) == [("01-001", "ICANSTOOL", "ICE", "CAPD"), ("01-002", "ICANSTOOL", "CAPD", "ICE")]
    assert "at age 7" in f.filter(f["subject"] == "01-001")["message"][0]


def crs(subjid, day, fever, tmax):
    return KEY | {"SUBJID": subjid, "AESEQ": "1", "CRSDAT": day, "CRSGR": "1", "CRSFEVER": fever, "CRSTMAX": tmax,
                  "CRSHYPO": "N", "CRSVASO": "0", "CRSVSPRS": "N", "CRSOXY": "NONE"}


def test_crs_fever_clean(tmp_path):
    folder = write_export(tmp_path, {"crs": [crs("01-001", "2026-01-02", "Y", "38.0"),
                                             crs("01-001", "2026-01-03", "N", "37.9"),
                                             crs("01-001", "2026-01-04", "Y", "")]})  # no temperature: not judged
    assert check_findings(folder, "SAFE-CRS-FEVER").is_empty()


def test_crs_fever_contradicts_temperature(tmp_path):
    folder = write_export(tmp_path, {"crs": [crs("01-001", "2026-01-02", "Y", "37.6"),
                                             crs("01-002", "2026-01-02", "N", "38.5")]})
    f = check_findings(folder, "SAFE-CRS-FEVER")
    assert sorted(f.select("subject", "field", "value", "expected").rows()) == [
        ("01-001", "CRSFEVER", "Y", "N, or a fever masked by treatment"), ("01-002", "CRSFEVER", "N", "Y (fever)")]


def test_crs_fever_masked_by_treatment_is_not_queried(tmp_path):
    """Fever Y below 38 C on a day with an antipyretic or an anti-cytokine drug: masked, not queried; with fluids
    only (no masking treatment) it is."""
    folder = write_export(tmp_path, {"crs": [
        crs("01-001", "2026-01-02", "Y", "37.6") | {"CRSTRT": "ANTIPYRETIC"},
        crs("01-002", "2026-01-02", "Y", "37.4") | {"CRSTRT": "TOCILIZUMAB,CORTICOSTEROID"},
        crs("01-003", "2026-01-02", "Y", "37.6") | {"CRSTRT": "IV_FLUIDS"},
        crs("01-004", "2026-01-02", "N", "38.6") | {"CRSTRT": "ANTIPYRETIC"}]})  # fever N at 38.6: still wrong
    f = check_findings(folder, "SAFE-CRS-FEVER")
    assert sorted(f.select("subject", "value").rows()) == [("01-003", "Y"), ("01-004", "N")]


def _treated(subjid, trt, **items):
    return crs(subjid, "2026-01-02", "Y", "38.4") | {"CRSTRT": trt} | items


def test_crs_treatment_agrees_with_support_clean(tmp_path):
    folder = write_export(tmp_path, {"crs": [
        _treated("01-001", "ANTIPYRETIC"),
        _treated("01-002", "TOCILIZUMAB,OXYGEN,ANTIPYRETIC", CRSGR="2", CRSOXY="LOW_FLOW_CANNULA", CRSFLOW="2"),
        _treated("01-003", "VASOPRESSOR", CRSGR="3", CRSHYPO="Y", CRSVASO="1"),
        _treated("01-004", "VASOPRESSOR", CRSGR="3", CRSHYPO="Y", CRSVASO="0", CRSVSPRS="Y"),
        _treated("01-005", "", CRSGR="2", CRSOXY="BLOW_BY")]})  # no treatment recorded: not judged
    assert check_findings(folder, "SAFE-CRS-TREATMENT").is_empty()


def test_crs_treatment_contradicts_support(tmp_path):
    folder = write_export(tmp_path, {"crs": [
        _treated("01-001", "VASOPRESSOR,ANTIPYRETIC"),                       # listed, none recorded
        _treated("01-002", "TOCILIZUMAB", CRSGR="3", CRSHYPO="Y", CRSVASO="1"),  # recorded, not listed
        _treated("01-003", "OXYGEN"),                                         # oxygen listed, CRSOXY NONE
        _treated("01-004", "ANTIPYRETIC", CRSGR="2", CRSOXY="BLOW_BY")]})    # oxygen given, not listed
    f = check_findings(folder, "SAFE-CRS-TREATMENT")
    assert rows_of(f) == [
        ("01-001", "CRSTRT", "VASOPRESSOR,ANTIPYRETIC", "no VASOPRESSOR, or the vasopressor recorded"),
        ("01-002", "CRSTRT", "TOCILIZUMAB", "VASOPRESSOR among the treatments"),
        ("01-003", "CRSTRT", "OXYGEN", "no OXYGEN, or the oxygen recorded"),
        ("01-004", "CRSTRT", "ANTIPYRETIC", "OXYGEN among the treatments")]
    msg = dict(zip(f["subject"], f["message"]))
    assert msg["01-001"] == "CRSTRT lists VASOPRESSOR but CRSVASO 0, CRSVSPRS N"
    assert msg["01-004"] == "CRSOXY BLOW_BY recorded but CRSTRT does not list OXYGEN"
