"""XF-AE-DEATH: the death criterion (AESDTH) is Y exactly when the outcome is fatal."""

import pytest
from helpers import check_findings, write_export
from test_seriousness import ae


def fatal(subjid, seq, **over):
    return ae(subjid, seq, "Y", ("AESDTH",), blank=False) | {"AETOXGR": "5", "AEOUT": "FATAL"} | over


CLEAN = [ae("01-001", 1), ae("01-001", 2, blank=False), ae("01-002", 1, "Y", ("AESHOSP",), blank=False),
         fatal("01-003", 1), ae("01-004", 1, "Y", ("AESDTH",)) | {"AEOUT": ""}]


def test_death_criterion_agrees_with_outcome(tmp_path):
    """Fatal with AESDTH Y, non-fatal without it, and an event with no outcome yet: nothing to report."""
    assert check_findings(write_export(tmp_path, {"ae": CLEAN}), "XF-AE-DEATH").is_empty()


def test_death_criterion_without_fatal_outcome_and_fatal_without_it(tmp_path):
    folder = write_export(tmp_path, {"ae": CLEAN + [
        ae("01-005", 1, "Y", ("AESDTH",), blank=False),                    # results in death, but recovered
        fatal("01-006", 1, AESDTH="N", AESHOSP="Y"),                         # fatal, criterion N
        fatal("01-007", 1, AESDTH="", AESER="N", AESHOSP="")]})              # fatal, criterion left empty
    f = check_findings(folder, "XF-AE-DEATH")
    assert sorted(f.select("subject", "field", "value", "expected").rows()) == [
        ("01-005", "AESDTH", "Y", "N, or Y with AEOUT FATAL"),
        ("01-006", "AESDTH", "N", "Y"),
        ("01-007", "AESDTH", "", "Y")]
    msg = dict(zip(f["subject"], f["message"]))
    assert msg["01-005"] == "AESDTH Y (results in death) but AEOUT is RECOVERED/RESOLVED"
    assert msg["01-006"].startswith("AEOUT FATAL but AESDTH is not Y")


@pytest.mark.parametrize("outcome", ["RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED", "UNKNOWN"])
def test_every_non_fatal_outcome_contradicts_the_death_criterion(tmp_path, outcome):
    folder = write_export(tmp_path, {"ae": [ae("01-008", 1, "Y", ("AESDTH",)) | {"AEOUT": outcome}]})
    assert check_findings(folder, "XF-AE-DEATH")["value"].to_list() == ["Y"]
