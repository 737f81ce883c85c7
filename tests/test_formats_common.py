"""The format-independent part of reading: the example export written in each writable format gives the
CSV export's findings (each format's own tests go deeper)."""

from __future__ import annotations

import pytest
from helpers import assert_same_findings

from ecrf.example import write_example
from ecrf.readers import readers

WRITABLE = [n for n, r in readers().items() if r.write is not None and n != "csv"]


@pytest.fixture(scope="module")
def bundled_csv(tmp_path_factory):
    d = tmp_path_factory.mktemp("csv") / "export"
    write_example(d)
    return d


def test_csv_round_trip_through_the_format_writer_path(bundled_csv, tmp_path):
    # The bundled tables re-written as CSV (not copied) give the same findings: the example writers start
    # from the same text frames every other format is written from.
    from ecrf.example import bundled_tables, write_tables

    tables, manifest = bundled_tables()
    write_tables(tmp_path / "rewritten", tables, manifest)
    assert assert_same_findings(bundled_csv, tmp_path / "rewritten") == len(manifest)


@pytest.mark.parametrize("fmt", WRITABLE)
def test_bundled_example_same_findings_in_every_format(bundled_csv, tmp_path, fmt):
    out = tmp_path / fmt
    write_example(out, fmt=fmt)
    assert assert_same_findings(bundled_csv, out) > 0


@pytest.fixture(scope="module")
def generated_csv(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen") / "export"
    write_example(d, subjects=100)
    return d


@pytest.mark.parametrize("fmt", WRITABLE)
def test_generated_export_same_findings_in_every_format(generated_csv, tmp_path, fmt):
    out = tmp_path / fmt
    write_example(out, subjects=100, fmt=fmt)
    assert assert_same_findings(generated_csv, out) > 0
