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
from ecrf.writer import make_folder, write_bytes, write_text

MANIFEST = "seeded_errors.json"


def write_example(directory, subjects: int | None = None, seed: int = 20251203, clean: bool = False,
                  fmt: str = "csv") -> int:
    """Write an example export to `directory` (new or empty, so nothing is overwritten) in the export format
    `fmt` (a reader's name); return the files written."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InputError(directory, "exists and is not empty; choose a new or empty folder")
    if subjects is None and clean:  # the bundled subjects, as generated before the errors were seeded
        from ecrf.example.generator import BUNDLED_SEED, BUNDLED_SUBJECTS

        subjects, seed = BUNDLED_SUBJECTS, BUNDLED_SEED
    if subjects is None and fmt == "csv":
        return _copy_bundled(directory)
    if subjects is None:
        tables, manifest = bundled_tables()
    else:
        from ecrf.example.generator import generate

        tables = generate(subjects, seed)
        manifest: list = []
        if not clean:
            from ecrf.example.seeding import seed_errors

            tables, manifest = seed_errors(tables, seed)
    if fmt == "csv":
        return write_tables(directory, tables, manifest)
    return write_in_format(directory, tables, manifest, fmt)


def write_in_format(directory: Path, tables: dict[str, pl.DataFrame], manifest: list, fmt: str) -> int:
    """The export in another format (the reader of that name writes it), plus the manifest."""
    from ecrf.model import load_model
    from ecrf.readers import readers

    known = {n: r for n, r in readers().items() if r.write is not None}
    if fmt not in known:
        raise InputError(directory, f"cannot write format {fmt}; one of csv, {', '.join(n for n in known if n != 'csv')}")
    _make_folder(directory)
    known[fmt].write(directory, tables, load_model())
    write_text(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return sum(1 for _ in directory.iterdir())


def bundled_tables() -> tuple[dict[str, pl.DataFrame], list]:
    """The bundled export as text frames (columns as exported, null for empty cells) and its manifest."""
    bundled = files("ecrf.example") / "bundled"
    tables = {}
    for p in sorted(bundled.iterdir(), key=lambda p: p.name):
        if p.name.endswith(".csv"):
            tables[p.name[:-4]] = pl.read_csv(p.read_bytes(), infer_schema=False)
    return tables, json.loads((bundled / MANIFEST).read_text(encoding="utf-8"))


def write_tables(directory: Path, tables: dict[str, pl.DataFrame], manifest: list) -> int:
    """One UTF-8 CSV per form (<domain>.csv), missing values as empty fields, plus the manifest."""
    _make_folder(directory)
    for domain, df in tables.items():
        write_text(directory / f"{domain}.csv", df.with_columns(pl.all().replace("", None)).write_csv())
    write_text(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return len(tables) + 1


def _copy_bundled(directory: Path) -> int:
    bundled = files("ecrf.example") / "bundled"
    names = sorted(p.name for p in bundled.iterdir() if p.name.endswith((".csv", ".json")))
    if not names:
        raise InputError(str(bundled), "the bundled example is missing from this installation")
    _make_folder(directory)
    for name in names:
        write_bytes(directory / name, (bundled / name).read_bytes())
    return len(names)


def _make_folder(directory: Path) -> None:
    """Create the target folder; a parent that is a file or not writable is the user's problem (exit 2)."""
    make_folder(directory)
