"""Properties over generated exports (hypothesis): a clean export gives no finding; one corrupted cell gives a
finding on that cell or an input error naming its file and row, and never an internal error."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecrf.cli.main import main
from ecrf.example import write_example
from ecrf.model import load_model

MODEL = load_model()
CHECKED_KINDS = ("integer", "decimal", "full_date", "partial_date", "enum")
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clean") / "export"
    write_example(folder, subjects=3, seed=11, clean=True)
    return folder


def _validate(folder: Path):
    res = CliRunner().invoke(main, ["validate", str(folder), "--format", "json"])
    return res, (json.loads(res.stdout) if res.exit_code in (0, 1) else None)


@SETTINGS
@given(subjects=st.integers(1, 6), seed=st.integers(0, 2**31))
def test_clean_generated_export_has_no_findings(subjects, seed):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        write_example(folder, subjects=subjects, seed=seed, clean=True)
        res, report = _validate(folder)
        assert res.exit_code == 0, res.output
        assert report["findings"] == [], report["findings"][:3]


# Text that is no number, date or code of any item: a marker the checks cannot accept, then anything at all,
# including what breaks files and terminals (quotes, commas, line breaks, NUL, escape sequences).
_TOKENS = list("9,.-−９ \"'\n\r\t\x00\x1b[=+@;") + ["POSITIVE", "1e309", "2025-02-30"]
CORRUPT = st.lists(st.sampled_from(_TOKENS), max_size=8).map(lambda parts: "zz" + "".join(parts))


@SETTINGS
@given(data=st.data(), value=CORRUPT)
def test_single_corrupted_cell_is_found_or_named(clean, data, value):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        shutil.copytree(clean, folder)
        domain = data.draw(st.sampled_from(sorted(d for d in MODEL.forms if (folder / f"{d}.csv").exists())))
        path = folder / f"{domain}.csv"
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
        header, body = rows[0], rows[1:]
        form = MODEL.forms[domain]
        columns = [j for j, h in enumerate(header)
                   if (i := form.item(h.lower())) is not None and i.kind in CHECKED_KINDS]
        if not body or not columns:
            return
        r = data.draw(st.integers(0, len(body) - 1))
        j = data.draw(st.sampled_from(columns))
        body[r][j] = value
        buf = io.StringIO()
        # CRLF terminator: the writer then quotes any cell holding a CR or LF, so the record stays one record
        csv.writer(buf, lineterminator="\r\n").writerows([header, *body])
        path.write_bytes(buf.getvalue().encode("utf-8"))

        res, report = _validate(folder)
        assert res.exit_code != 3, res.output
        row = r + 2
        if res.exit_code == 2:
            line = res.stderr.strip()
            assert f"{domain}.csv, row {row}" in line and "\n" not in line, line
            return
        assert res.exit_code == 1, res.output
        hits = [f for f in report["findings"] if f["source_file"] == f"{domain}.csv" and f["source_row"] == row
                and f["field"] == header[j]]
        assert hits, (domain, row, header[j], value)
