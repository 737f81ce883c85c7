"""The CSV reader's two paths (polars' reader, the csv module) give the same tables, and the fast one is used."""

from __future__ import annotations

import ecrf.readers.csv_folder as csv_folder
from ecrf.example import write_example
from ecrf.model import load_model


def test_polars_and_csv_module_paths_read_the_same_tables(tmp_path, monkeypatch):
    folder = tmp_path / "export"
    write_example(folder)
    (folder / "ae.csv").write_bytes((folder / "ae.csv").read_bytes().replace(b"\n", b"\r\n"))  # CRLF too
    model = load_model()
    used = []
    real = csv_folder._read_fast

    def spy(p):
        got = real(p)
        if got is not None:
            used.append(p.name)
        return got

    monkeypatch.setattr(csv_folder, "_read_fast", spy)
    fast = csv_folder.read_csv_folder(folder, model)
    assert {"lb.csv", "ae.csv", "dm.csv"} <= set(used)
    monkeypatch.setattr(csv_folder, "_read_fast", lambda p: None)
    slow = csv_folder.read_csv_folder(folder, model)
    assert fast.tables.keys() == slow.tables.keys()
    for d, t in slow.tables.items():
        assert t.df.equals(fast.tables[d].df), d
