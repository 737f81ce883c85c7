"""JUnit XML for CI: a testsuite per category, a testcase per check that ran, failures with count and findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import clean_export, minimal_subject, write_export
from lxml import etree

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("junit.xsd"))))


def _junit(cli, export, tmp_path, *extra):
    out = tmp_path / "junit.xml"
    res = cli("validate", export, "--format", "junit", "-o", out, *extra)
    doc = etree.parse(str(out), etree.XMLParser(resolve_entities=False, no_network=True))
    XSD.assertValid(doc)
    return res, doc


@pytest.fixture
def export(tmp_path):
    forms = minimal_subject()
    forms["dm"][0]["SEX"] = "X\x1b[31m"  # an escape sequence from the export must not break the XML
    forms["dm"][0]["AGE"] = "99"
    forms["dm"][0]["HEIGHT"] = "140\ufffe"  # a non-character XML 1.0 cannot carry
    return write_export(tmp_path / "e", forms)


def test_suites_cases_and_failures(cli, export, tmp_path):
    from ecrf.registry import all_checks

    res, doc = _junit(cli, export, tmp_path)
    assert res.exit_code == 1
    suites = doc.getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["structure", "range", "consistency", "deviation"]
    cases = doc.getroot().findall(".//testcase")
    assert len(cases) == len(all_checks()) == int(doc.getroot().get("tests"))
    failed = {c.get("name").split(":")[0]: c.find("failure") for c in cases if c.find("failure") is not None}
    assert "COL-CODELIST" in failed
    fail = failed["COL-CODELIST"]
    assert fail.get("message").startswith("1 finding (error)")
    assert "01-001" in fail.text and "SEX" in fail.text and "\\x1b" in fail.text
    assert int(doc.getroot().get("failures")) == sum(int(s.get("failures")) for s in suites) == len(failed)
    props = {p.get("name"): p.get("value") for p in suites[0].find("properties")}
    assert {"tool_version", "schema", "run_time", "inputs", "options"} <= set(props)


def test_findings_below_the_threshold_do_not_fail(cli, tmp_path):
    export = clean_export(tmp_path / "e")
    (export / "notes.csv").write_text("A\n1\n")  # a warning only
    res, doc = _junit(cli, export, tmp_path)
    assert res.exit_code == 0 and doc.getroot().get("failures") == "0"
    out = [c.find("system-out").text for c in doc.getroot().iter("testcase") if c.find("system-out") is not None]
    assert any("notes.csv" in t for t in out)
    res, doc = _junit(cli, export, tmp_path, "--fail-on", "warning")
    assert res.exit_code == 1 and doc.getroot().get("failures") == "1"


def test_only_checks_that_ran_are_cases(cli, export, tmp_path):
    _, doc = _junit(cli, export, tmp_path, "--category", "range")
    assert [s.get("name") for s in doc.getroot().findall("testsuite")] == ["range"]
