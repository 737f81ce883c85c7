"""The engine runs on the model it is given: `--schema` / $ECRF_SCHEMA, and checks that cannot apply to a study
are listed as not applicable instead of crashing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ecrf.engine import validate
from ecrf.example import write_example
from ecrf.model import load_model, schema_path
from ecrf.readers import read_export
from ecrf.registry import bind_all, registered


@pytest.fixture(scope="module")
def without_echo(tmp_path_factory) -> Path:
    """The KN5601-K schema with the echocardiography form taken out (no longer a form, not in the Export)."""
    d = tmp_path_factory.mktemp("schema")
    for f in schema_path().parent.glob("*.yaml"):
        shutil.copy(f, d / f.name)
    enrol = d / "forms_enrolment.yaml"
    text = enrol.read_text(encoding="utf-8")
    assert "    annotations: {domain: echo, export_required: true}\n" in text
    enrol.write_text(text.replace("    annotations: {domain: echo, export_required: true}\n", ""), encoding="utf-8")
    root = d / "kn5601k.yaml"
    lines = [
        ln for ln in root.read_text(encoding="utf-8").splitlines(keepends=True) if not ln.startswith("      echo:")
    ]
    root.write_text("".join(lines), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("export") / "bundled"
    write_example(d)
    return d


def test_every_check_applies_to_the_default_study_and_runs_on_the_bundled_export(bundled):
    m = load_model()
    assert [b for b in bind_all(m) if not hasattr(b, "id")] == []
    res = validate(m, read_export(bundled, m, None))
    assert res.not_applicable == []
    assert {c.id for c in res.checks_run} == {c.id for c in registered()}


def test_a_form_dropped_from_the_schema_makes_its_checks_not_applicable(without_echo, bundled, cli):
    m = load_model(without_echo)
    assert "echo" not in m.forms and m is not load_model()
    res = validate(m, read_export(bundled, m, None))
    na = {n.check.id: n.reason for n in res.not_applicable}
    assert na, "checks reading the echocardiography form must be not applicable"
    assert all("echo" in r for r in na.values()), na
    assert res.findings.filter(res.findings["form"] == "echo").height == 0
    out = cli("validate", bundled, "--schema", without_echo, "--format", "json")
    assert out.exit_code == 1, out.output
    doc = json.loads(out.output)
    assert {n["check_id"] for n in doc["not_applicable"]} == set(na)
    assert "echo.csv" in {f["file"] for f in doc["forms"]}  # read, reported as a file that is no form


def test_checks_catalogue_lists_applicability_per_schema(without_echo, cli):
    out = cli("checks", "--schema", without_echo, "--format", "csv")
    assert out.exit_code == 0
    rows = [ln for ln in out.output.splitlines() if ",no: " in ln or '"no: ' in ln]
    assert rows and all("echo" in r for r in rows)
    default = cli("checks", "--format", "csv")
    assert "no: " not in default.output


def test_schema_from_the_environment(without_echo, bundled, monkeypatch, cli):
    monkeypatch.setenv("ECRF_SCHEMA", str(without_echo))
    assert "echo" not in load_model().forms
    out = cli("validate", bundled)
    assert out.exit_code == 1 and "Not applicable to this study" in out.output


def test_a_missing_schema_file_is_an_input_error(tmp_path, bundled, cli):
    from click.testing import CliRunner

    from ecrf.cli.main import main

    r = CliRunner().invoke(main, ["validate", str(bundled), "--schema", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 2


def test_generated_json_schema_follows_the_schema_passed(without_echo, cli):
    out = cli("generate", "jsonschema", "--schema", without_echo)
    assert out.exit_code == 0
    doc = json.loads(out.output)
    assert "Echocardiography" in doc["$defs"]  # still a class
    assert "echo" not in doc["properties"]
    assert "dm" in doc["properties"]


def test_init_scaffolds_a_study_that_validates_and_catches_a_seeded_error(tmp_path, cli):
    study = tmp_path / "new-study"
    assert cli("init", study).exit_code == 0
    assert {p.name for p in study.iterdir()} == {"study.yaml", "ecrf.env", "README.md", "example_export"}
    schema = study / "study.yaml"
    assert f"ECRF_SCHEMA={schema.resolve()}" in (study / "ecrf.env").read_text(encoding="utf-8")
    clean = cli("validate", study / "example_export", "--schema", schema)
    assert clean.exit_code == 0 and "0 findings" in clean.output, clean.output
    ae = study / "example_export" / "ae.csv"
    ae.write_text(ae.read_text(encoding="utf-8").replace("2026-01-12", "2025-12-31"), encoding="utf-8")
    out = cli("validate", study / "example_export", "--schema", schema, "--format", "json")
    assert [f["check_id"] for f in json.loads(out.output)["findings"]] == ["SAFE-AE-DATES"]
    again = cli("init", study)
    assert again.exit_code == 2  # never over an existing study


def test_init_refuses_a_non_empty_folder(tmp_path):
    from click.testing import CliRunner

    from ecrf.cli.main import main

    (tmp_path / "x").write_text("keep", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert r.exit_code == 2 and (tmp_path / "x").read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("schema", [None, "studies/cdisc-msg2/msg2.yaml"])
def test_the_export_root_lists_every_form(schema):
    """A new form left out of the Export class would be silently missing from the JSON Schema."""
    m = load_model(Path(__file__).resolve().parents[1] / schema if schema else None)
    roots = [c for c in m.view.all_classes().values() if c.tree_root]
    assert len(roots) == 1
    listed = {n: m.view.induced_slot(n, roots[0].name).range for n in m.view.class_slots(roots[0].name)}
    assert listed == {d: f.name for d, f in m.forms.items()}


def test_the_default_study_annotates_the_roles_the_generic_checks_read():
    m = load_model()
    assert {f.role("subject") for f in m.forms.values()} == {"subjid"}
    assert (m.forms["ae"].role("start_date"), m.forms["ae"].role("end_date")) == ("aestdat", "aeendat")
    assert m.forms["dd"].role("death_date") == "dthdat" and m.forms["ic"].role("consent_date") == "icdat"
    from ecrf.model import ModelLacks

    with pytest.raises(ModelLacks, match="role 'death_date'"):
        m.forms["ae"].role("death_date")
