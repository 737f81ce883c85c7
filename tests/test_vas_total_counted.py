"""ELIG-AAV-VAS reads the PVAS/BVAS total that ProtocolParameters vas_total_counted names ([CONV], listed in
docs/assumptions.md): the new or worse total by default, the persistent total or the higher of both when the study
team sets it so. The parameter is changed in a copy of the schema, as a study team would change it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_deviation_checks import P, baseline, run

from ecrf.model import load_model, resolve_schema

LOW, HIGH = P.param("vas_min") - 3, P.param("vas_min") + 3


def vas_findings(tmp_path, model, vastot: int, vaspers: int):
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = baseline()
    for r in data["vas"]:
        if r["subjid"] == "01-003":
            r.update(vastot=str(vastot), vaspers=str(vaspers))
    f = run(tmp_path, data, model) if model is not None else run(tmp_path, data)
    f = f.filter((f["check_id"] == "ELIG-AAV-VAS") & (f["subject"] == "01-003"))  # the subject whose totals vary
    return f.select("subject", "field", "value").rows()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The default schema with vas_total_counted set to each VasTotalCounted code."""
    src = Path(resolve_schema()).parent
    out = {}
    for code in ("PERSISTENT", "HIGHER"):
        dst = tmp_path_factory.mktemp(code) / "schema"
        shutil.copytree(src, dst)
        p = dst / "protocol.yaml"
        p.write_text(p.read_text(encoding="utf-8").replace("vas_total_counted: NEW_WORSE",
                                                           f"vas_total_counted: {code}"), encoding="utf-8")
        out[code] = load_model(dst / Path(resolve_schema()).name)
    return out


def test_the_default_counts_the_new_or_worse_total(tmp_path):
    assert P.param("vas_total_counted") == "NEW_WORSE"
    assert vas_findings(tmp_path / "a", None, HIGH, 0) == []
    assert vas_findings(tmp_path / "b", None, LOW, HIGH) == [("01-003", "VASTOT", str(LOW))]


def test_persistent_counts_vaspers(tmp_path, models):
    m = models["PERSISTENT"]
    assert vas_findings(tmp_path / "a", m, LOW, HIGH) == []
    assert vas_findings(tmp_path / "b", m, HIGH, LOW) == [("01-003", "VASPERS", str(LOW))]


def test_higher_counts_the_higher_total(tmp_path, models):
    m = models["HIGHER"]
    assert vas_findings(tmp_path / "a", m, LOW, HIGH) == []
    assert vas_findings(tmp_path / "b", m, HIGH, LOW) == []
    assert vas_findings(tmp_path / "c", m, LOW, LOW + 1) == [("01-003", "VASTOT", str(LOW + 1))]
