"""XF-AE-SERIOUSNESS: a serious adverse event meets at least one ICH E2A criterion, a non-serious one none."""

from helpers import check_findings, write_export

KEY = {"STUDYID": "KN5601-K", "SITEID": "01"}
CRITERIA = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")


def ae(subjid, seq, ser="N", met=(), blank=True):
    crit = {c: ("Y" if c in met else ("" if blank else "N")) for c in CRITERIA}
    return KEY | {"SUBJID": subjid, "AESEQ": str(seq), "AETERM": "Nausea", "AECAT": "OTHER", "AESTDAT": "2026-01-02",
                  "AEENDAT": "2026-01-05", "AEONGO": "N", "AETOXGR": "1", "AESER": ser, "AEAWDAT": "2026-01-02",
                  "AERPTDAT": "2026-01-02", "AEOUT": "RECOVERED/RESOLVED"} | crit


CLEAN = [ae("01-001", 1), ae("01-001", 2, blank=False), ae("01-002", 1, "Y", ("AESHOSP",), blank=False),
         ae("01-002", 2, "Y", ("AESLIFE", "AESMIE"))]


def test_criteria_agree_with_seriousness(tmp_path):
    assert check_findings(write_export(tmp_path, {"ae": CLEAN}), "XF-AE-SERIOUSNESS").is_empty()


def test_serious_without_criterion_and_non_serious_with_one(tmp_path):
    folder = write_export(tmp_path, {"ae": CLEAN + [ae("01-003", 1, "Y", blank=False), ae("01-004", 1, "Y"),
                                                    ae("01-005", 1, "N", ("AESDTH", "AESCONG"))]})
    f = check_findings(folder, "XF-AE-SERIOUSNESS")
    assert sorted(f.select("subject", "field", "value").rows()) == [
        ("01-003", "AESER", "Y"), ("01-004", "AESER", "Y"), ("01-005", "AESER", "N")]
    msg = dict(zip(f["subject"], f["message"]))
    assert "AESDTH, AESCONG" in msg["01-005"]
    assert "without a seriousness criterion" in msg["01-004"]


def test_seriousness_undecided_is_left_to_the_codelist_checks(tmp_path):
    # AESER empty: neither serious nor non-serious, nothing to compare (COL-REQUIRED / review decide).
    folder = write_export(tmp_path, {"ae": CLEAN + [ae("01-006", 1, "", ("AESHOSP",))]})
    assert check_findings(folder, "XF-AE-SERIOUSNESS").is_empty()
