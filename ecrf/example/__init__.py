"""The bundled example export and the generator that makes it.

`ecrf example DIR` copies the bundled export (12 subjects, all five cohorts, seeded errors for every check that
can fire on data, listed in seeded_errors.json); `ecrf example DIR --subjects N` generates one of any size.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import polars as pl

from ecrf.errors import InputError

MANIFEST = "seeded_errors.json"


def write_example(directory, subjects: int | None = None, seed: int = 20251203, clean: bool = False) -> int:
    """Write an example export to `directory` (new or empty, so nothing is overwritten); return files written."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError(directory, "exists and is not empty; choose a new or empty folder")
    if subjects is None:
        return _copy_bundled(directory)
    from ecrf.example.generator import generate

    tables = generate(subjects, seed)
    manifest: list = []
    if not clean:
        from ecrf.example.seeding import seed_errors

        tables, manifest = seed_errors(tables, seed)
    return write_tables(directory, tables, manifest)


def write_tables(directory: Path, tables: dict[str, pl.DataFrame], manifest: list) -> int:
    """One UTF-8 CSV per form (<domain>.csv), missing values as empty fields, plus the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    for domain, df in tables.items():
        df.with_columns(pl.all().replace("", None)).write_csv(directory / f"{domain}.csv")
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return len(tables) + 1


def _copy_bundled(directory: Path) -> int:
    bundled = files("ecrf.example") / "bundled"
    names = sorted(p.name for p in bundled.iterdir() if p.name.endswith((".csv", ".json")))
    if not names:
        raise InputError(str(bundled), "the bundled example is missing from this installation")
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_bytes((bundled / name).read_bytes())
    return len(names)
