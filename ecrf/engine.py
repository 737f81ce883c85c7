"""Run the registered checks over an export and collect one findings table."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field, replace
from collections.abc import Hashable, Iterator
from typing import Any, Callable, TypeVar, cast

import polars as pl

from ecrf import findings as F
from ecrf.model import ModelLacks, StudyModel
from ecrf.params import ParameterError
from ecrf.readers import Export
from ecrf.readers.order import in_record_key_order
from ecrf.once import BuildOnce
from ecrf.pool import in_order
from ecrf.registry import RUNNERS, Check, CheckFunc, Findings, NotApplicable, bind, registered
from ecrf.table import Table

T = TypeVar("T")
Ran = tuple[Findings, str | None, float]  # a check's findings, why it is not applicable (or None), seconds
# (see _threads) the 1,000-subject export has 184,250 rows, the 10,000-subject one 1.8 million
THREADED_ROWS = 500_000

# What a check raises when the study model lacks what it reads: the check is then not applicable to the study.
# (A missing column is one: tables hold exactly the model's items.) The default study's bundled export runs
# every check, and a test says so, so this cannot hide a defect there.
LACKS = (ModelLacks, ParameterError, pl.exceptions.ColumnNotFoundError)


@dataclass
class Context:
    """What a check sees: the study model and the canonical tables of one export."""

    model: StudyModel
    export: Export
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)
    _once: BuildOnce = field(default_factory=BuildOnce, repr=False)  # checks ask from two threads (see _run)

    @property
    def tables(self) -> dict[str, Table]:
        return self.export.tables

    def table(self, domain: str) -> Table | None:
        return self.export.tables.get(domain)

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """What `build` derives from the export, built once per run and shared by the checks that ask for `key`
        (frames are immutable, so sharing them is safe)."""
        return cast(T, self._once.get(self._memo, key, build))

    def indexed(self, domain: str) -> pl.DataFrame | None:
        """The form's typed rows with `_idx` (Int64), the row position findings point back to; None when the
        form is absent or empty. Built once per form and shared by the checks (polars frames are immutable)."""

        def build() -> pl.DataFrame | None:
            t = self.table(domain)
            if t is None or t.n_rows == 0:
                return None
            return t.typed.with_row_index("_idx").with_columns(pl.col("_idx").cast(pl.Int64))

        return self.memo(("indexed", domain), build)


def shared(fn: Callable[[Context], T]) -> Callable[[Context], T]:
    """`fn(ctx)` computed once per run (Context.memo): an eligibility violation is read by its own check and again
    by ELIG-IE-CONTRADICTS, a subject's screening date by a dozen checks."""

    @functools.wraps(fn)
    def once(ctx: Context) -> T:
        return ctx.memo((fn.__module__, fn.__qualname__), lambda: fn(ctx))

    return once


@dataclass
class Result:
    findings: pl.DataFrame
    rows: pl.DataFrame  # per form: file, rows read, rows checked
    checks_run: list[Check]
    # wall time per check id (a runner's shared equally); on two threads (see _threads) the checks' times overlap
    seconds: dict[str, float] = field(default_factory=dict)
    not_applicable: list[NotApplicable] = field(default_factory=list)


def validate(
    model: StudyModel,
    export: Export,
    checks: list[Check] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Result:
    """Run `checks` (default: every registered check) bound to `model` over the export's tables, handed to the
    checks in record-key order so that a check picking "the first" of several rows picks the same record however
    the rows were delivered. Checks the model cannot support are reported as not applicable, never a crash."""
    # Contiguous tables: a table read in parallel chunks can leave a filter with an empty chunk, and polars 2.1
    # panics ("binview: i < self.len()") formatting the strings of such a column, eagerly or in the in-memory
    # engine. Contiguous columns are also faster for the checks to filter and join, hundreds of times a run.
    # Reordering already gathers each column into one chunk; only tables left in place need the copy.
    export = _contiguous(in_record_key_order(export))
    ctx = Context(model, export)
    bound = [bind(c, model) for c in (checks if checks is not None else registered())]
    run = [c for c in bound if isinstance(c, Check)]
    skipped = [c for c in bound if isinstance(c, NotApplicable)]
    by_id = {c.id: c for c in run}
    gathered: dict[str | None, list[pl.LazyFrame]] = {}  # raw findings by form, enriched once per form

    def gather(domain: str | None, rawf: pl.DataFrame | None, check_id: str | None) -> None:
        if rawf is not None and not rawf.is_empty():
            n = sum(map(len, gathered.values()))
            gathered.setdefault(domain, []).append(F.gathered(rawf, check_id, n))

    runners = [(name, [c for c in run if c.runner == name]) for name in RUNNERS]
    runners = [(name, mine) for name, mine in runners if mine]
    steps: list[tuple[str, list[Check], CheckFunc]] = [(c.id, [c], c.func) for c in run if c.func is not None]
    steps += [(name, mine, RUNNERS[name]) for name, mine in runners]
    seconds: dict[str, float] = {}
    # Results are taken in the checks' order whatever thread ran them, so findings and their order do not
    # depend on the threads.
    for done, ((label, mine, _), (produced, lacks, took)) in enumerate(zip(steps, _run(steps, ctx, export)), 1):
        if lacks is not None:
            skipped.extend(NotApplicable(c, lacks) for c in mine)
        for domain, rawf in produced.items():
            if mine[0].func is not None:  # a check's own findings
                gather(domain, rawf, mine[0].id)
            elif rawf is not None:  # a runner's: its frame names its checks; keep those asked for
                gather(domain, rawf.filter(pl.col("check_id").is_in(list(by_id))), None)
        for c in mine:
            seconds[c.id] = took / len(mine)
        if progress:
            progress(done, len(steps), label)
    gone = {n.check.id for n in skipped}
    return Result(
        F.fill_sites(F.finalize(_enriched(gathered, ctx, by_id)), export.tables),
        row_counts(export),
        [c for c in run if c.id not in gone],
        seconds,
        skipped,
    )


def _threads(export: Export) -> int:
    """Checks run on two threads on an export of up to THREADED_ROWS rows: there each check's time is mostly a
    fixed cost, Python building a query while polars (without the interpreter's lock) runs the other thread's,
    which takes the bundled export's checks down by about a third. On larger exports polars' own threads already
    keep the cores busy, and two checks at once would add a second check's frames to the peak memory."""
    rows = sum(t.n_rows for t in export.tables.values())
    return 2 if rows <= THREADED_ROWS and (os.cpu_count() or 1) > 1 else 1


def _run(steps: list[tuple[str, list[Check], CheckFunc]], ctx: Context, export: Export) -> Iterator[Ran]:
    """Each step's (findings, why it is not applicable or None, seconds), in the steps' order."""

    def one(func: CheckFunc) -> Ran:
        t0 = time.perf_counter()
        try:
            return func(ctx) or {}, None, time.perf_counter() - t0
        except LACKS as err:
            return {}, str(err), time.perf_counter() - t0

    funcs = [func for _, _, func in steps]
    yield from (map(one, funcs) if _threads(export) == 1 else in_order(one, funcs))


def _enriched(
    gathered: dict[str | None, list[pl.LazyFrame]], ctx: Context, by_id: dict[str, Check]
) -> list[pl.DataFrame]:
    """Every form's raw findings enriched in one pass, back in the order the checks produced them."""
    raws = pl.collect_all([pl.concat(frames) for frames in gathered.values()], engine=F.ENGINE)
    queries = [
        F.enriched_query(f, by_id, ctx.table(d) if d else None, d) for d, f in zip(gathered, raws) if not f.is_empty()
    ]
    parts = [p for p in pl.collect_all(queries, engine=F.ENGINE) if not p.is_empty()]
    if not parts:
        return []
    return [pl.concat(parts).sort(list(F.ORD)).drop(list(F.ORD))]


def _contiguous(export: Export) -> Export:
    """The export with every table in one chunk per column (tables replaced, not changed: frames are shared)."""
    for name in list(export.tables):  # not items(): a list of the tables would keep each old one alive
        t = export.tables[name]
        if any(n > 1 for n in t.df.n_chunks("all")):
            export.tables[name] = replace(t, df=t.df.rechunk())
    return export


def row_counts(export: Export) -> pl.DataFrame:
    """Rows read and rows checked per file: every row read is checked, and the report says so."""
    rows = [
        {"form": d, "file": t.path.name, "rows_read": t.n_rows, "rows_checked": t.n_rows}
        for d, t in export.tables.items()
    ]
    rows += [
        {"form": None, "file": name, "rows_read": n, "rows_checked": 0} for name, n in export.unknown_files.items()
    ]
    schema = {"form": pl.Utf8, "file": pl.Utf8, "rows_read": pl.Int64, "rows_checked": pl.Int64}
    return pl.DataFrame(rows, schema=schema)
