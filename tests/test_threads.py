"""Checks on two threads (ecrf.engine._run): the same findings in the same order as on one thread, shared frames
built once, and a failing check still ends the run with its error."""

from __future__ import annotations

import threading
import time

import pytest

from ecrf import engine, pool
from ecrf.engine import validate
from ecrf.example import write_example
from ecrf.once import BuildOnce
from ecrf.model import load_model
from ecrf.readers import read_export
from ecrf.registry import Check, registered


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("threads") / "bundled"
    write_example(folder)
    return folder


def test_threads_asking_for_one_key_at_once_get_one_build():
    once, store, built = BuildOnce(), {}, []
    start = threading.Barrier(6)

    def build():
        built.append(threading.get_ident())
        time.sleep(0.05)  # long enough for every other thread to arrive while it builds
        return object()

    got = []

    def ask():
        start.wait()
        got.append(once.get(store, "k", build))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and len(got) == 6 and all(g is got[0] for g in got)


def test_different_keys_build_at_the_same_time():
    once, store = BuildOnce(), {}
    both = threading.Barrier(2, timeout=5)  # each build waits for the other: one lock for all keys would hang

    def build():
        both.wait()
        return threading.get_ident()

    threads = [threading.Thread(target=once.get, args=(store, k, build)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(store) == {"a", "b"} and store["a"] != store["b"]


def test_a_build_that_fails_is_not_kept_and_is_built_again():
    once, store, calls = BuildOnce(), {}, []

    def build():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first build fails")
        return "built"

    with pytest.raises(RuntimeError):
        once.get(store, "k", build)
    assert "k" not in store
    assert once.get(store, "k", build) == "built" and len(calls) == 2


def _run(model, export, monkeypatch, threaded: bool):
    monkeypatch.setattr(engine, "THREADED_ROWS", 10**12 if threaded else -1)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    used: list[int] = []
    real = pool.ThreadPoolExecutor

    class Counting(real):  # type: ignore[misc, valid-type]
        def submit(self, fn, /, *args, **kwargs):
            used.append(1)
            return super().submit(fn, *args, **kwargs)

    tables = read_export(export, model)  # (read before counting: the reader has a pool of its own)
    monkeypatch.setattr(pool, "ThreadPoolExecutor", Counting)
    return validate(model, tables), len(used)


def test_two_threads_and_one_give_the_same_findings_in_the_same_order(model, export, monkeypatch):
    one, pooled_one = _run(model, export, monkeypatch, threaded=False)
    two, pooled_two = _run(model, export, monkeypatch, threaded=True)
    assert pooled_one == 0 and pooled_two > 100  # every check and runner went through the pool
    assert one.findings.height > 100
    assert one.findings.equals(two.findings)  # same rows, same order, same fingerprints
    assert [c.id for c in one.checks_run] == [c.id for c in two.checks_run]
    assert sorted(one.seconds) == sorted(two.seconds)
    assert [(n.check.id, n.reason) for n in one.not_applicable] == [(n.check.id, n.reason) for n in two.not_applicable]


def test_the_bundled_export_runs_on_two_threads_and_a_large_one_on_one(model, export, monkeypatch):
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    small = read_export(export, model)
    assert engine._threads(small) == 2
    monkeypatch.setattr(engine, "THREADED_ROWS", sum(t.n_rows for t in small.tables.values()) - 1)
    assert engine._threads(small) == 1
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(engine, "THREADED_ROWS", 10**12)
    assert engine._threads(small) == 1  # one core: nothing to gain


def test_a_check_that_fails_ends_a_threaded_run_with_its_error(model, export, monkeypatch):
    monkeypatch.setattr(engine, "THREADED_ROWS", 10**12)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)

    def broken(ctx):
        raise ZeroDivisionError("a defect in a check")

    boom = Check("XX-BROKEN", "t", "consistency", "error", ("dm",), "d", func=broken)
    checks = [c for c in registered() if c.func is not None][:20] + [boom]
    with pytest.raises(ZeroDivisionError, match="a defect in a check"):
        validate(model, read_export(export, model), checks=checks)


def test_progress_counts_up_in_order_on_two_threads(model, export, monkeypatch):
    monkeypatch.setattr(engine, "THREADED_ROWS", 10**12)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    seen: list[tuple[int, int]] = []
    validate(model, read_export(export, model), progress=lambda d, t, label: seen.append((d, t)))
    assert [d for d, _ in seen] == list(range(1, len(seen) + 1)) and seen[-1][0] == seen[-1][1]


def test_a_shared_frame_is_built_once_while_checks_run_on_two_threads(model, export, monkeypatch):
    monkeypatch.setattr(engine, "THREADED_ROWS", 10**12)
    monkeypatch.setattr(engine.os, "cpu_count", lambda: 2)
    builds: list[str] = []
    real = engine.Table._build_typed

    def counted(self):
        builds.append(self.form.name)
        time.sleep(0.01)  # widen the window in which a second thread would build it again
        return real(self)

    monkeypatch.setattr(engine.Table, "_build_typed", counted)
    result = validate(model, read_export(export, model))
    assert result.findings.height > 100
    assert builds and len(builds) == len(set(builds))  # each form's typed view once



def test_the_real_schema_view_is_built_once_for_threads_asking_together():
    from ecrf.model_view import LiteView, snapshot

    built = []
    start = threading.Barrier(4)

    def factory():
        built.append(1)
        time.sleep(0.05)
        return object()

    view = LiteView(snapshot(load_model().view), factory)
    got = []

    def ask():
        start.wait()
        got.append(view.full())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and all(g is got[0] for g in got)


def test_no_check_runs_python_inside_a_polars_query():
    # A Python function inside a query runs on polars' threads and needs the interpreter's lock, which the
    # check on the other thread may hold while it waits for polars: a hang waiting to happen. Format or map
    # the few values found in Python after collecting instead (as SCHED-EX-DOSE does).
    from pathlib import Path

    import ecrf.validators

    folder = Path(ecrf.validators.__file__).parent
    offending = [(p.name, udf) for p in sorted(folder.glob("*.py"))
                 for udf in ("map_elements", "map_batches", "map_groups") if udf in p.read_text(encoding="utf-8")]
    assert offending == []
