"""The CSV folder reader reads two files at a time: the tables are those of reading one file after another, and
of several unreadable files the error is the first one's in file order, every time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import minimal_subject, write_export

from ecrf.errors import InputError
from ecrf.model import load_model
from ecrf.readers import csv_folder
from ecrf.readers.csv_folder import read_csv_folder

MODEL = load_model()


def _tables(folder):
    export = read_csv_folder(folder, MODEL)
    return {d: t.df for d, t in export.tables.items()}, dict(export.unknown_files)


def test_two_at_a_time_gives_the_tables_of_one_at_a_time(tmp_path, monkeypatch):
    forms = minimal_subject()
    forms["vs"] = [{"SUBJID": "01-001", "VISIT": "SCR", "VSDAT": "2025-01-0%d" % (i % 9 + 1), "WEIGHT": str(20 + i)}
                   for i in range(40)]
    folder = write_export(tmp_path / "e", forms)
    (folder / "notes.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")  # not a form: counted, not checked
    two = _tables(folder)
    monkeypatch.setattr(csv_folder.os, "cpu_count", lambda: 1)
    one = _tables(folder)
    assert two[1] == one[1] == {"notes.csv": 2}
    assert list(two[0]) == list(one[0]) and len(two[0]) >= 5
    for domain in one[0]:
        assert two[0][domain].equals(one[0][domain]), domain


@pytest.mark.parametrize("attempt", range(5))
def test_of_several_bad_files_the_first_in_order_is_named(tmp_path, attempt):
    folder = write_export(tmp_path / "e", minimal_subject())
    # ae.csv sorts first: a ragged row at row 3; sv.csv, later, is unreadable in another way
    (folder / "ae.csv").write_text("SUBJID,AESEQ,AETERM\n01-001,1,Nausea\n01-001,2\n", encoding="utf-8")
    (folder / "sv.csv").write_bytes(b"SUBJID,VISIT\n01-001,\xff\xfe\n")
    with pytest.raises(InputError) as err:
        read_csv_folder(folder, MODEL)
    assert Path(err.value.file).name == "ae.csv" and err.value.row == 3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_after_a_bad_file_is_never_opened(tmp_path):
    """check_entry runs before a file is opened, in the worker that reads it: a FIFO named like a form is
    refused, never opened (opening one would block the reader)."""
    folder = write_export(tmp_path / "e", minimal_subject())
    (folder / "dm.csv").write_text("SUBJID,SEX\n01-001\n", encoding="utf-8")  # ragged, before the FIFO
    os.mkfifo(folder / "vs.csv")
    with pytest.raises(InputError) as err:
        read_csv_folder(folder, MODEL)
    assert Path(err.value.file).name == "dm.csv"
    (folder / "dm.csv").unlink()
    with pytest.raises(InputError, match="not a regular file"):
        read_csv_folder(folder, MODEL)


def test_the_reader_reads_two_files_ahead_at_most_and_keeps_none_it_handed_on(tmp_path, monkeypatch):
    """A file's cells as read are dropped once the canonical table is built from them (a padded file is
    trimmed into a copy), and no more than two files are read ahead of the one being built (with no budget for
    small files beyond two)."""
    import gc
    import threading
    import weakref

    class Cells:  # stands in for a file's cells; a weak reference tells whether anything still holds it
        pass

    paths = [tmp_path / f"f{i}.csv" for i in range(8)]
    for p in paths:
        p.write_text("A,B\n1,2\n", encoding="utf-8")
    lock, read, handed = threading.Lock(), [], []

    def fake(path):
        with lock:
            read.append(path)
        return Cells()

    monkeypatch.setattr(csv_folder, "read_csv_cells", fake)
    monkeypatch.setattr(csv_folder.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(csv_folder, "READ_AHEAD_BYTES", 0)
    gen = csv_folder._cells_in_order(tmp_path, paths)
    refs = []
    for n, cells in enumerate(gen):
        refs.append(weakref.ref(cells))
        del cells
        gc.collect()
        with lock:
            assert len(read) <= n + 3  # this one and two ahead
        assert all(r() is None for r in refs[:-1])  # the ones handed on before are gone
        handed.append(n)
    assert handed == list(range(8)) and sorted(read) == sorted(paths)


@pytest.mark.parametrize("budget, small_ahead", [(0, 2), (40, 4)])
def test_small_files_are_read_while_a_large_one_is_parsed_within_the_budget(tmp_path, monkeypatch, budget,
                                                                             small_ahead):
    """While the large file is read (and is the one to hand on next), the other thread reads the small files
    after it: two with no budget (two ahead, as before), and more while their bytes fit the budget; never all."""
    import threading

    sizes = {"a": 10, "big": 100, "c": 10, "d": 10, "e": 10, "f": 10, "g": 10}
    paths = []
    for name, size in sizes.items():
        paths.append(tmp_path / f"{name}.csv")
        paths[-1].write_bytes(b"x" * size)
    lock, started, during = threading.Lock(), [], []
    release = threading.Event()

    def fake(path):
        with lock:
            started.append(path.stem)
        if path.stem == "big":
            release.wait(0.5)  # long enough for the other thread to start whatever it may
            with lock:
                during.extend(started)
        return path.stem

    monkeypatch.setattr(csv_folder, "read_csv_cells", fake)
    monkeypatch.setattr(csv_folder.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(csv_folder, "READ_AHEAD_BYTES", budget)
    assert list(csv_folder._cells_in_order(tmp_path, paths)) == list(sizes)
    small_after = [n for n in during if n not in ("a", "big")]
    assert small_after == ["c", "d", "e", "f"][:small_ahead]
