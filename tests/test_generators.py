"""Generated artifacts: valid, deterministic, and the committed copies in docs/ are not stale."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import jsonschema
import pytest

from ecrf.generators import build
from ecrf.model import schema_path

DOCS = Path(__file__).resolve().parent.parent / "docs"
COMMITTED = {"jsonschema": DOCS / "artifacts" / "kn5601k.schema.json",
             "pandera": DOCS / "artifacts" / "kn5601k_pandera.py",
             "docs": DOCS / "data-dictionary.md",
             "assumptions": DOCS / "assumptions.md"}


def test_schema_passes_linkml_lint():
    linkml = shutil.which("linkml", path=str(Path(sys.executable).parent)) or shutil.which("linkml")
    assert linkml, "the linkml command is installed with ecrf"
    res = subprocess.run([linkml, "lint", str(schema_path())], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "error" not in res.stdout.lower()


def test_json_schema_passes_its_metaschema():
    schema = json.loads(build("jsonschema"))
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    assert set(schema["properties"]) >= {"dm", "ae", "lb", "crs", "icans", "ex", "ld"}


def test_json_schema_rejects_a_bad_record_and_accepts_a_good_one():
    schema = json.loads(build("jsonschema"))
    good = {"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001", "COHORT": "SLE", "SEX": "F",
            "BRTHDAT": "2015-03", "AGE": 10}
    v = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())
    def form(name):
        return v.evolve(schema={"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"})

    record = form("Demographics")
    assert not list(record.iter_errors(good))
    assert list(record.iter_errors(good | {"AGE": 200}))
    ic = form("InformedConsent")
    assert list(ic.iter_errors({"STUDYID": "KN5601-K", "SITEID": "01", "SUBJID": "01-001", "ICSEQ": 1,
                                "ICGIVER": "GUARDIAN", "ICDAT": "2025-02-30"}))
    # An empty export, or one without the forms every subject has, is not valid.
    assert list(v.iter_errors({})) and list(v.iter_errors({"dm": []}))


def test_pandera_module_imports_standalone():
    module = types.ModuleType("kn5601k_pandera")
    exec(compile(build("pandera"), "kn5601k_pandera.py", "exec"), module.__dict__)
    from ecrf.model import load_model

    assert set(module.SCHEMAS) == set(load_model().forms)


@pytest.mark.parametrize("artifact", sorted(COMMITTED))
def test_generation_is_deterministic_and_committed_copy_is_fresh(artifact):
    first = build(artifact)
    assert first == build(artifact)
    path = COMMITTED[artifact]
    assert path.read_text(encoding="utf-8") == first, (
        f"{path} is stale: regenerate with `ecrf generate {artifact} -o {path.relative_to(DOCS.parent)}`")


def test_assumption_register_names_the_protocol_defaults_and_where_to_change_them():
    from ecrf.generators.assumptions import assumptions
    from ecrf.model import load_model

    rows = assumptions(load_model())
    where = {(r["file"], r["element"]) for r in rows}
    # The registration is silent on the visit grid, the dose levels and the lymphodepletion regimen.
    for file, element in [("schema/codelists.yaml", "VisitCode"), ("schema/codelists.yaml", "DoseLevel"),
                          ("schema/codelists.yaml", "LymphodepletionDrug")]:
        assert (file, element) in where
    for r in rows:
        assert "[CONV]" in r["text"] and (DOCS.parent / r["file"]).is_file()
