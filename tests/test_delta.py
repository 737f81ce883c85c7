"""Delta checks: height and weight between consecutive measurements of a subject."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}
DATES = ["2026-01-02", "2026-01-20", "2026-04-20", "2026-07-20", "2027-01-20"]  # SCR, LD, M3, M6, M12


def series(subjid, heights=(), weights=()):
    rows = []
    for k, day in enumerate(DATES):
        h = heights[k] if k < len(heights) else ""
        w = weights[k] if k < len(weights) else ""
        if h == "" and w == "":
            continue
        rows.append(KEY | {"SUBJID": subjid, "VISIT": f"V{k}", "VISITNUM": str(k + 1), "VSDAT": day,
                           "HEIGHT": str(h), "WEIGHT": str(w)})
    return rows


def rows_of(f):
    return sorted(f.select("subject", "field", "value").rows())


# Clean: a child growing 8 cm in a year (below the limit, with measurement noise), weight within the band
# (12% in three months), a measurement 1.5 cm shorter than the one before.
CLEAN = series("01-001", (140.0, 139.5, 141.5, 143.0, 148.0), (35.0, 35.4, 39.2, 38.0, 40.5)) + \
    series("01-002", (120.0, 118.5))


def test_clean_growth_gives_nothing(tmp_path):
    folder = write_export(tmp_path, {"vs": CLEAN})
    assert check_findings(folder, "VS-HEIGHT-DELTA").is_empty()
    assert check_findings(folder, "VS-WEIGHT-DELTA").is_empty()


def test_a_single_wrong_height_is_reported_once(tmp_path):
    vs = CLEAN + series("01-003", (140.0, 140.0, 55.1, 141.0, 143.0)) \
        + series("01-004", (140.0, 146.0)) \
        + series("01-005", (14.0, 140.0, 140.5, 141.0))
    folder = write_export(tmp_path, {"vs": vs})
    f = check_findings(folder, "VS-HEIGHT-DELTA")
    # inches at M3 (not the good M6 after it), 6 cm in 18 days, a decimal slip on the first measurement
    assert rows_of(f) == [("01-003", "HEIGHT", "55.1"), ("01-004", "HEIGHT", "146.0"), ("01-005", "HEIGHT", "14.0")]
    msg = f.filter(f["subject"] == "01-003")["message"][0]
    assert "HEIGHT 55.1 cm on 2026-04-20 against 140.0 cm on 2026-01-20" in msg
    assert f.filter(f["subject"] == "01-004")["expected"][0] == "from 138.0 to 142.7 cm"


def test_a_lasting_step_is_reported_where_it_starts(tmp_path):
    folder = write_export(tmp_path, {"vs": CLEAN + series("01-003", weights=(30.0, 30.2, 66.0, 66.5, 67.0))})
    f = check_findings(folder, "VS-WEIGHT-DELTA")
    assert rows_of(f) == [("01-003", "WEIGHT", "66.0")]
    assert "(3.0 month(s) apart)" in f["message"][0]


def test_pounds_for_kilograms_once(tmp_path):
    folder = write_export(tmp_path, {"vs": CLEAN + series("01-003", weights=(30.0, 30.2, 30.6, 67.5, 31.0))})
    f = check_findings(folder, "VS-WEIGHT-DELTA")
    assert rows_of(f) == [("01-003", "WEIGHT", "67.5")]
