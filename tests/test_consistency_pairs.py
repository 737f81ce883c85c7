"""Status/result pairs on the AE form: ongoing with an end date, a serious event without its reporting dates."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}


def ae(subjid, seq, ongo="N", end="2026-01-05", ser="N", aw="", rpt=""):
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "AETERM": "Nausea", "AECAT": "OTHER", "AESTDAT": "2026-01-02",
                  "AEENDAT": end, "AEONGO": ongo, "AETOXGR": "1", "AESER": ser, "AEAWDAT": aw, "AERPTDAT": rpt,
                  "AEOUT": "RECOVERED/RESOLVED"}


def rows_of(f):
    return sorted(f.select("subject", "field", "value").rows())


CLEAN = [ae("01-001", 1), ae("01-001", 2, ongo="Y", end=""),
         ae("01-002", 1, ser="Y", aw="2026-01-02", rpt="2026-01-03")]


def test_pairs_clean(tmp_path):
    folder = write_export(tmp_path, {"ae": CLEAN})
    assert check_findings(folder, "XF-AE-ONGOING").is_empty()
    assert check_findings(folder, "XF-SAE-DATES").is_empty()


def test_ae_ongoing_with_end_date(tmp_path):
    folder = write_export(tmp_path, {"ae": CLEAN + [ae("01-003", 1, ongo="Y", end="2026-01-04")]})
    f = check_findings(folder, "XF-AE-ONGOING")
    assert rows_of(f) == [("01-003", "AEONGO", "Y")]
    assert "2026-01-04" in f["message"][0]


def test_serious_event_without_reporting_dates(tmp_path):
    folder = write_export(tmp_path, {"ae": CLEAN + [ae("01-003", 1, ser="Y", aw="2026-01-02"),
                                                    ae("01-004", 1, ser="Y")]})
    f = check_findings(folder, "XF-SAE-DATES")
    assert rows_of(f) == [("01-003", "AERPTDAT", ""), ("01-004", "AEAWDAT", ""), ("01-004", "AERPTDAT", "")]
