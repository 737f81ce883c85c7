"""Every machine-readable report (JSON, CSV, JUnit, xlsx, HTML) opens with the same audit header: tool version,
schema version and hash, run time, options, and each input file's name, rows read and sha256."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook

KEYS = {"tool", "tool_version", "schema", "run_id", "run_time", "source", "input_format", "options", "ledger",
        "inputs"}


def _value(text: str):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["audit"]


def _csv(path: Path) -> dict:
    head = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("# "):
            break
        key, _, value = line[2:].partition(": ")
        head[key] = json.loads(value)
    return head


def _junit(path: Path) -> dict:
    doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    suites = doc.getroot().findall("testsuite")
    heads = [{p.get("name"): _value(p.get("value")) for p in s.find("properties")} for s in suites]
    assert suites and all(h == heads[0] for h in heads)  # every testsuite carries the same header
    return heads[0]


def _xlsx(path: Path) -> dict:
    rows = [r for r in load_workbook(path, read_only=True)["Audit"].iter_rows(values_only=True)]
    head, files, in_files = {}, [], False
    for r in rows[1:]:
        if r[0] == "Input files":
            in_files = True
        elif in_files and r[0] not in (None, "File"):
            files.append({"name": r[0], "rows_read": int(r[1]), "sha256": r[2]})
        elif not in_files and r[0]:
            head[r[0]] = _value(r[1])
    head["inputs"] = files
    return head


def _html(path: Path) -> dict:
    page = path.read_text(encoding="utf-8")
    audit = page.split('<h2 id="audit">')[1]
    head = {html.unescape(k): _value(html.unescape(v))
            for k, v in re.findall(r"<tr><td>([^<]*)</td><td><code>(.*?)</code></td></tr>", audit)}
    head["inputs"] = [{"name": html.unescape(n), "rows_read": int(r), "sha256": s}
                      for n, r, s in re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td><td><code>([0-9a-f]{64})</code>",
                                                audit)]
    return head


READ = {"json": _json, "csv": _csv, "junit": _junit, "xlsx": _xlsx, "html": _html}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from click.testing import CliRunner

    from ecrf.cli.main import main

    d = tmp_path_factory.mktemp("audit")
    assert CliRunner().invoke(main, ["example", str(d / "e")]).exit_code == 0
    CliRunner().invoke(main, ["validate", str(d / "e"), "--format", "json", "-o", str(d / "ref.json")])
    return d / "e", _json(d / "ref.json")


@pytest.mark.parametrize("fmt", sorted(READ))
def test_every_machine_readable_report_carries_the_audit_header(cli, tmp_path, reference, fmt):
    export, ref = reference
    out = tmp_path / f"report.{fmt}"
    res = cli("validate", export, "--format", fmt, "-o", out)
    assert res.exit_code == 1, res.output
    head = READ[fmt](out)
    assert KEYS <= set(head), sorted(KEYS - set(head))
    assert head["tool"] == "ecrf" and head["tool_version"] == ref["tool_version"]
    assert head["schema"] == ref["schema"] and re.fullmatch(r"[0-9a-f]{64}", head["schema"]["sha256"])
    assert head["schema"]["version"] == ref["schema"]["version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", head["run_time"])
    assert head["options"]["format"] == fmt and head["options"]["output"] == str(out)
    assert head["inputs"] == ref["inputs"]  # each file: name, rows read, sha256 of the bytes read
    assert {i["name"] for i in head["inputs"]} >= {"dm.csv", "lb.csv", "seeded_errors.json"}
    assert all(i["rows_read"] > 0 for i in head["inputs"] if i["name"].endswith(".csv"))


def test_audit_names_the_schema_the_run_used(cli, tmp_path, reference):
    """--schema another.yaml: the header's schema hash is that schema's, not the default study's."""
    import hashlib
    import shutil

    from ecrf.model import schema_path

    export, ref = reference
    d = tmp_path / "schema"
    shutil.copytree(schema_path().parent, d, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (d / "kn5601k.yaml").write_text((d / "kn5601k.yaml").read_text(encoding="utf-8") + "# amendment 2\n",
                                    encoding="utf-8")
    out = tmp_path / "r.json"
    cli("validate", export, "--schema", d / "kn5601k.yaml", "--format", "json", "-o", out)
    head = _json(out)
    h = hashlib.sha256()
    for p in sorted(d.glob("*.yaml")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    assert head["schema"]["sha256"] == h.hexdigest() != ref["schema"]["sha256"]
