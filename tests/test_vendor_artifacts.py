"""The JSON Schema and the pandera module used as a vendor would: the code of docs/vendor-artifacts.md run in a
Python where ecrf cannot be imported (isolated mode, no site hooks, only the installed libraries on sys.path),
on the bundled export and on a clean one."""

from __future__ import annotations

import atexit
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from functools import cache
from pathlib import Path

import pytest

from ecrf.example import write_example

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "vendor-artifacts.md"
ARTIFACTS = ROOT / "docs" / "artifacts"


def _snippet(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(rf"<!-- vendor: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert m, f"no {name} snippet in {DOC}"
    return m.group(1)


@cache
def _site_without_ecrf() -> str:
    # The installed libraries as a vendor has them: every entry of site-packages but ecrf itself (installed as a
    # wheel in CI, as an editable hook in development), linked into a folder of its own.
    site = Path(sysconfig.get_paths()["purelib"])
    folder = Path(tempfile.mkdtemp(prefix="site-without-ecrf-"))
    atexit.register(shutil.rmtree, folder, True)  # links only: removing them leaves the libraries alone
    for entry in site.iterdir():
        if not (entry.name.startswith(("ecrf", "__editable__")) or entry.suffix == ".pth"):
            (folder / entry.name).symlink_to(entry)
    return str(folder)


def _run_without_ecrf(code: str, *args: str):
    # -I: no user site, no cwd, no PYTHON* variables; -S: no site-packages of its own; only the libraries (less
    # ecrf) are put on sys.path, and the guard proves ecrf cannot be imported.
    prelude = (f"import sys; sys.path.append({_site_without_ecrf()!r})\n"
               "try:\n    import ecrf\nexcept ImportError:\n    pass\n"
               "else:\n    raise SystemExit('ecrf is importable')\n")
    p = subprocess.run([sys.executable, "-I", "-S", "-c", prelude + code, *args], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    base = tmp_path_factory.mktemp("vendor")
    write_example(base / "seeded")
    write_example(base / "clean", subjects=8, clean=True)
    manifest = json.loads((base / "seeded" / "seeded_errors.json").read_text(encoding="utf-8"))
    return base / "seeded", base / "clean", manifest


def test_json_schema_on_the_export_without_ecrf(exports, tmp_path):
    seeded, clean, manifest = exports
    schema = str(ARTIFACTS / "kn5601k.schema.json")
    assert _run_without_ecrf(_snippet("json"), schema, str(clean)) == []
    errors = _run_without_ecrf(_snippet("json"), schema, str(seeded))
    where = {(e["path"][0], e["path"][2]) for e in errors if len(e["path"]) > 2}
    # Each seeded cell error of a JSON-checkable kind is reported on its form and column.
    for m in manifest:
        if m["check_id"] in ("COL-TYPE", "COL-RANGE", "COL-CODELIST", "COL-DATE", "COL-PATTERN"):
            assert (m["form"], m["field"]) in where, m
    assert any("CMTRT" in e["message"] and e["path"][0] == "cm" for e in errors)  # COL-REQUIRED
    empty = tmp_path / "empty"
    empty.mkdir()
    assert any("required" in e["message"] for e in _run_without_ecrf(_snippet("json"), schema, str(empty)))


def test_pandera_module_on_the_export_without_ecrf(exports):
    seeded, clean, manifest = exports
    assert not any(_run_without_ecrf(_snippet("pandera"), str(ARTIFACTS), str(clean)).values())
    found = _run_without_ecrf(_snippet("pandera"), str(ARTIFACTS), str(seeded))
    for m in manifest:
        if m["check_id"].startswith("COL-") or m["check_id"] == "FORM-DUPKEY":
            assert m["check_id"] in found[m["form"]], m
