"""Run the registered checks over an export and collect one findings table."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from collections.abc import Hashable
from typing import Any, Callable, TypeVar, cast

import polars as pl

from ecrf import findings as F
from ecrf.model import ModelLacks, StudyModel
from ecrf.params import ParameterError
from ecrf.readers import Export
from ecrf.readers.order import in_record_key_order
from ecrf.registry import RUNNERS, Check, NotApplicable, bind, registered
from ecrf.table import Table

T = TypeVar("T")

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

    @property
    def tables(self) -> dict[str, Table]:
        return self.export.tables

    def table(self, domain: str) -> Table | None:
        return self.export.tables.get(domain)

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """What `build` derives from the export, built once per run and shared by the checks that ask for `key`
        (frames are immutable, so sharing them is safe)."""
        if key not in self._memo:
            self._memo[key] = build()
        return cast(T, self._memo[key])

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
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per check id (a runner's shared equally)
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
    steps = [(c, c.func) for c in run if c.func is not None]
    total, done = len(steps) + len(runners), 0
    seconds: dict[str, float] = {}
    for chk, func in steps:
        t0 = time.perf_counter()
        try:
            produced = func(ctx) or {}
        except LACKS as err:
            skipped.append(NotApplicable(chk, str(err)))
            produced = {}
        for domain, rawf in produced.items():
            gather(domain, rawf, chk.id)
        seconds[chk.id] = time.perf_counter() - t0
        done += 1
        if progress:
            progress(done, total, chk.id)
    for name, mine in runners:
        t0 = time.perf_counter()
        try:
            produced = RUNNERS[name](ctx) or {}
        except LACKS as err:
            skipped.extend(NotApplicable(c, str(err)) for c in mine)
            produced = {}
        for domain, rawf in produced.items():
            if rawf is not None:
                gather(domain, rawf.filter(pl.col("check_id").is_in(list(by_id))), None)
        for c in mine:
            seconds[c.id] = (time.perf_counter() - t0) / len(mine)
        done += 1
        if progress:
            progress(done, total, name)
    gone = {n.check.id for n in skipped}
    return Result(
        F.fill_sites(F.finalize(_enriched(gathered, ctx, by_id)), export.tables),
        row_counts(export),
        [c for c in run if c.id not in gone],
        seconds,
        skipped,
    )


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
