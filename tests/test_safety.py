"""Safety grading checks on small exports: clean data gives no finding, seeded errors are caught."""

from helpers import check_findings, write_export


KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


findings = check_findings


def rows_of(f):
    return sorted(f.select("subject", "field", "value").rows())


def ae(subjid, seq, grade, cat="OTHER", start="2026-01-02", end="", out="RECOVERED/RESOLVED"):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "AETERM": cat, "AECAT": cat, "AESTDAT": start,
                  "AEENDAT": end, "AETOXGR": str(grade), "AEOUT": out}


def dd(subjid):
    return KEY | {"SUBJID": subjid, "DTHDAT": "2026-02-01", "DTHCAUS": "CRS"}


def crs(subjid, day, grade, fever="Y", hypo="N", vaso="0", vsprs="N", oxy="NONE", seq=1, flow=""):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "CRSDAT": f"2026-01-{day:02d}", "CRSGR": str(grade),
                  "CRSFEVER": fever, "CRSHYPO": hypo, "CRSVASO": vaso, "CRSVSPRS": vsprs, "CRSOXY": oxy, "CRSFLOW": flow}


CRS_CLEAN = [
    crs("01-001", 1, 1),                                              # fever only
    crs("01-001", 2, 2, hypo="Y", oxy="LOW_FLOW_CANNULA"),           # hypotension without vasopressors
    crs("01-001", 3, 3, hypo="Y", vaso="1", vsprs="Y", oxy="FACEMASK"),
    crs("01-001", 4, 4, hypo="Y", vaso="2", oxy="CPAP"),
    crs("01-001", 5, 2, hypo=""),                                     # hypotension not recorded: 1 or 2 accepted
    crs("01-001", 6, 3, hypo="Y", vaso="0", vsprs="Y"),               # vasopressin alone = one vasopressor
    crs("01-002", 1, 5, hypo="Y", vaso="3", oxy="MECHANICAL_VENTILATION"),  # death, with a death record
]


def test_crs_grade_clean(tmp_path):
    folder = write_export(tmp_path, {"crs": CRS_CLEAN, "dd": [dd("01-002")]})
    assert findings(folder, "SAFE-CRS-GRADE").is_empty()


def test_crs_grade_reads_the_cannula_flow(tmp_path):
    """ASTCT 2019: a nasal cannula above 6 L/min is high-flow (grade 3), whichever cannula box was ticked."""
    folder = write_export(tmp_path, {"crs": [
        crs("01-001", 1, 2, oxy="LOW_FLOW_CANNULA", flow="6"),       # low-flow at the limit: clean
        crs("01-001", 2, 3, oxy="LOW_FLOW_CANNULA", flow="8"),       # 8 L/min is high-flow: clean
        crs("01-001", 3, 3, oxy="HIGH_FLOW_CANNULA", flow="40"),     # clean
        crs("01-002", 1, 2, oxy="LOW_FLOW_CANNULA", flow="8"),       # 8 L/min recorded as grade 2
        crs("01-003", 1, 3, oxy="HIGH_FLOW_CANNULA", flow="4"),      # 4 L/min is low-flow: grade 2
    ]})
    f = findings(folder, "SAFE-CRS-GRADE")
    assert rows_of(f) == [("01-002", "CRSGR", "2"), ("01-003", "CRSGR", "3")]
    assert "at 8.0 L/min" in f["message"][0] or "at 8 L/min" in f["message"][0]


def test_crs_grade_seeded(tmp_path):
    folder = write_export(tmp_path, {"crs": [
        crs("01-001", 1, 2),                                  # fever only -> 1
        crs("01-003", 1, 3, hypo="Y", vaso="2"),              # several vasopressors -> 4
        crs("01-004", 1, 5, hypo="Y", vaso="2"),              # grade 5 without a death record
        crs("01-005", 1, 2, oxy="BIPAP"),                     # positive pressure -> 4
    ], "dd": [dd("01-002")]})
    assert rows_of(findings(folder, "SAFE-CRS-GRADE")) == [
        ("01-001", "CRSGR", "2"), ("01-003", "CRSGR", "3"), ("01-004", "CRSGR", "5"), ("01-005", "CRSGR", "2")]


def icans(subjid, day, grade, tool="ICE", ice="", capd="", con="NORMAL", seiz="N", oed="N", mot="N", seq=2):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "ICANSDAT": f"2026-01-{day:02d}", "ICANSGR": str(grade),
                  "ICANSTOOL": tool, "ICESCORE": ice, "CAPDSCORE": capd, "ICANSCON": con, "ICANSSEIZ": seiz,
                  "ICANSOED": oed, "ICANSMOT": mot}


ICANS_CLEAN = [
    icans("01-001", 1, 1, ice="8", con="AWAKENS_SPONTANEOUSLY"),
    icans("01-001", 2, 2, ice="5", con="AWAKENS_TO_VOICE"),
    icans("01-001", 3, 1, tool="CAPD", capd="5"),
    icans("01-001", 4, 2, tool="CAPD", capd="5"),       # CAPD 1-8: grade 1 or 2
    icans("01-001", 5, 3, tool="CAPD", capd="12"),
    icans("01-001", 6, 3, ice="10", seiz="Y"),          # rapidly resolving seizure
    icans("01-001", 7, 4, ice="2", mot="Y"),            # deep focal motor weakness
]


def test_icans_grade_clean(tmp_path):
    folder = write_export(tmp_path, {"icans": ICANS_CLEAN})
    assert findings(folder, "SAFE-ICANS-GRADE").is_empty()


def test_icans_grade_seeded(tmp_path):
    folder = write_export(tmp_path, {"icans": [
        icans("01-001", 1, 3, ice="8"),                  # ICE 8, all else normal -> 1
        icans("01-002", 1, 3, tool="CAPD", capd="5"),    # CAPD 5 -> 1 or 2
        icans("01-003", 1, 3, ice="9", mot="Y"),         # motor weakness -> 4
        icans("01-004", 1, 1, ice="4", con="AWAKENS_TO_VOICE"),  # -> 2
    ]})
    assert rows_of(findings(folder, "SAFE-ICANS-GRADE")) == [
        ("01-001", "ICANSGR", "3"), ("01-002", "ICANSGR", "3"), ("01-003", "ICANSGR", "3"), ("01-004", "ICANSGR", "1")]


def test_ae_dates_clean(tmp_path):
    folder = write_export(tmp_path, {"ae": [
        ae("01-001", 1, 1, start="2026-01-02", end="2026-01-10"),
        ae("01-001", 2, 1, start="2026-03", end="2026-03-05"),     # cannot be ordered
        ae("01-001", 3, 1, start="2026-03-05", end="2026-03"),     # cannot be ordered
        ae("01-001", 4, 1, start="2026-03-05", end=""),            # ongoing
        ae("01-001", 5, 1, start="2026-03-05", end="2026-03-05"),
    ]})
    assert findings(folder, "SAFE-AE-DATES").is_empty()


def test_ae_dates_seeded(tmp_path):
    folder = write_export(tmp_path, {"ae": [
        ae("01-001", 1, 1, start="2026-03-05", end="2026-03-01"),
        ae("01-002", 1, 1, start="2026-03-05", end="2026-02"),
        ae("01-003", 1, 1, start="2026-03-05", end="2026-13-01"),  # invalid date: reported by the column checks
    ]})
    assert rows_of(findings(folder, "SAFE-AE-DATES")) == [("01-001", "AEENDAT", "2026-03-01"),
                                                          ("01-002", "AEENDAT", "2026-02")]


def test_ae_death_clean(tmp_path):
    folder = write_export(tmp_path, {"ae": [ae("01-001", 1, 2), ae("01-002", 1, 5, out="FATAL")],
                                     "dd": [dd("01-002")]})
    assert findings(folder, "SAFE-AE-DEATH").is_empty()


def test_ae_death_seeded(tmp_path):
    folder = write_export(tmp_path, {"ae": [
        ae("01-001", 1, 5, out="FATAL"),        # no death record
        ae("01-002", 1, 4, out="FATAL"),        # fatal outcome, no death record
        ae("01-003", 1, 3),                     # death record without a fatal AE
    ], "dd": [dd("01-003")]})
    assert rows_of(findings(folder, "SAFE-AE-DEATH")) == [
        ("01-001", "AETOXGR", "5"), ("01-002", "AEOUT", "FATAL"), ("01-003", "DTHDAT", "2026-02-01")]


def test_ae_maxgrade_clean(tmp_path):
    folder = write_export(tmp_path, {
        "ae": [ae("01-001", 1, 4, cat="CRS"), ae("01-001", 2, 4, cat="ICANS")],
        "crs": CRS_CLEAN[:6], "icans": ICANS_CLEAN})
    assert findings(folder, "SAFE-AE-MAXGRADE").is_empty()


def test_ae_maxgrade_seeded(tmp_path):
    folder = write_export(tmp_path, {
        "ae": [ae("01-001", 1, 3, cat="CRS"), ae("01-001", 2, 4, cat="ICANS")],
        "crs": CRS_CLEAN[:6], "icans": ICANS_CLEAN})
    assert rows_of(findings(folder, "SAFE-AE-MAXGRADE")) == [("01-001", "AETOXGR", "3")]
