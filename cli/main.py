"""`ecrf`: validate eCRF exports against the study's LinkML model, and generate artifacts from it."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ecrf.reports import FORMATS as REPORT_FORMATS
from ecrf.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, InputError



class EcrfGroup(click.Group):
    """Turns input errors into one line on stderr and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as err:
            click.echo(f"ecrf: error: {err}", err=True)
            ctx.exit(EXIT_INPUT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as err:  # a defect in ecrf, not in the data: say so, keep the traceback opt-in
            if os.environ.get("ECRF_DEBUG"):
                raise
            click.echo(f"ecrf: internal error ({type(err).__name__}: {err}); rerun with ECRF_DEBUG=1 "
                       "and report it", err=True)
            ctx.exit(EXIT_INTERNAL_ERROR)


def schema_option(func):
    """`--schema FILE` (or $ECRF_SCHEMA): the study's LinkML schema; the bundled KN5601-K schema by default."""
    return click.option("--schema", "schema", envvar="ECRF_SCHEMA", type=click.Path(path_type=Path, dir_okay=False),
                        help="The study's LinkML schema (default: $ECRF_SCHEMA, else the bundled KN5601-K "
                             "schema).")(func)


@click.group(cls=EcrfGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ecrf")
def main():
    """Check eCRF data exports of the KN5601-K trial (NCT07283315) against its LinkML model.

    \b
    Typical run:
      ecrf example demo_export          # copy the bundled example export
      ecrf validate demo_export         # check it; exit 1 when errors are found
      ecrf generate jsonschema -o kn5601k.schema.json

    Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 input or usage error,
    3 internal error.
    """


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--input-format", help="Read PATH as this format instead of detecting it from the content "
              "(see `ecrf formats`).")
@click.option("--format", "fmt", type=click.Choice(list(REPORT_FORMATS)), default="table", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of the terminal.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True,
              help="Exit with 1 when a finding of this severity or worse is found (accepted findings never fail).")
@click.option("--category", multiple=True,
              type=click.Choice(["structure", "range", "consistency", "deviation"]),
              help="Run only checks of this category (repeatable).")
@click.option("--ledger", type=click.Path(path_type=Path, dir_okay=False),
              help="Record this run in the ledger FILE (SQLite, created if absent) and give each finding its "
                   "status: new, open, reopened, accepted; findings gone since the last run are resolved.")
@click.option("--group-by", type=click.Choice(["check", "subject", "form"]),
              help="Terminal report: list the findings under one heading per check, subject or form.")
@click.option("--color/--no-color", default=None,
              help="Colour severities in the terminal report (default: on a terminal, unless NO_COLOR is set).")
@click.option("--width", type=click.IntRange(0), help="Fit the terminal report to this many columns (0: no "
              "limit; default: the terminal's width, $COLUMNS, or no limit in a pipe or a file).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary; the exit code says the rest.")
@click.option("--split-by", type=click.Choice(["site"]),
              help="xlsx report: one findings sheet per site (to send each site its own queries).")
@click.option("--output-inside-export", is_flag=True,
              help="Allow --output inside the export folder (never over one of its files). A later run of the "
                   "same folder will list the report as an unknown file.")
@click.option("--max-file-size", callback=lambda c, p, v: _size(p, v), metavar="SIZE",
              help="Refuse an input file larger than this (bytes, or e.g. 512M, 2G; default 256M, "
                   "or ECRF_MAX_FILE_SIZE).")
@click.option("--max-cell-length", callback=lambda c, p, v: _size(p, v), metavar="N",
              help="Refuse a cell longer than this many characters (default 131072, or ECRF_MAX_CELL_LENGTH).")
@schema_option
def validate(path, input_format, fmt, output, fail_on, category, ledger, group_by, color, width, quiet,
             split_by, output_inside_export, max_file_size, max_cell_length, schema):
    """Validate the export at PATH: a folder with one file per form (dm.csv, ae.csv, ...), one workbook, or a
    folder mixing formats. The format is detected from the content; --input-format forces one.

    \b
    Formats (`ecrf formats` lists every reader):
      CSV        a folder of dm.csv, ae.csv, ...
      Excel      .xlsx, one sheet per form (dm, ae, ...)
      SAS        transport .xpt (v5, v8) or .sas7bdat, one dataset per form (dm.xpt, ...)
      Dataset-JSON  CDISC Dataset-JSON 1.1 .json, .ndjson, .dsjc, one per form
      Parquet    .parquet, one file per form
      zip        a zip of any of these (unpack limits: ECRF_MAX_UNPACKED_MB, ECRF_MAX_PACK_RATIO)

    Every row read is checked; the report shows rows read and rows checked per form, then one finding per
    problem with its check id, subject, visit, field, value seen and value expected.

    \b
    Examples:
      ecrf validate export/
      ecrf validate export/ --format json --output findings.json
      ecrf validate export/ --fail-on warning      # for CI: warnings fail too
      ecrf validate export/ --ledger study.ledger  # new / open / resolved against the last delivery
      ecrf validate export/ --group-by subject
      ecrf validate export/ --format junit -o ecrf-junit.xml   # for the CI server
      ecrf validate export/ --ledger study.ledger --format xlsx -o queries.xlsx --split-by site
      ecrf validate export/ --ledger study.ledger --format html -o review.html
      ecrf validate sdtm/ --schema studies/cdisc-msg2/msg2.yaml   # another study

    Checks the study's model cannot support (a form, item, role or parameter it lacks) are listed as not
    applicable in the report.
    """
    from ecrf.audit import Run
    from ecrf.engine import validate as run_checks
    from ecrf.model import load_model
    from ecrf.readers import read_export
    from ecrf.registry import registered
    from ecrf.reports import BINARY, console, render
    from ecrf.reports.console import Progress
    from ecrf.writer import check_target, protect, write_bytes, write_text

    if fmt in BINARY and not output and not quiet:
        raise click.UsageError(f"--format {fmt} needs --output FILE")
    if split_by and fmt != "xlsx":
        raise click.UsageError("--split-by applies to --format xlsx")
    from ecrf import limits

    limits.reset()
    limits.set_limits(max_file_size, max_cell_length)
    model = load_model(schema)
    protect(path)
    if ledger:
        check_target(ledger)  # refuse a ledger over or inside the export before doing any work
    if output:
        check_target(output, allow_inside_input=output_inside_export)
        if ledger and output.resolve() == ledger.resolve():
            raise click.UsageError("--output and --ledger name the same file")
    options = {"format": fmt, "fail_on": fail_on, "category": sorted(category), "input_format": input_format,
               "ledger": str(ledger) if ledger else None, "output": str(output) if output else None,
               "group_by": group_by, "split_by": split_by}
    started = datetime.now(timezone.utc)
    export = read_export(path, model, input_format)
    # Every file a reader took is an input: never written over, even with --output-inside-export.
    protect(*(t.path for t in export.tables.values()),
            *(Path(path) / n for n in export.unknown_files if Path(path).is_dir()))
    if output:
        check_target(output, allow_inside_input=output_inside_export)
    checks = [c for c in registered() if not category or c.category in category]
    progress = Progress()
    try:
        result = run_checks(model, export, checks, progress=progress)
    finally:
        progress.close()
    run = Run(source=path, result=result, options=options, started=started, input_format=export.format,
              schema=Path(model.path))
    if ledger:
        from ecrf import ledger as L

        L.record(ledger, run)
    if quiet and not output:
        fmt = "table"  # -q prints the summary only; a report file is still written in full
    view = {}
    if fmt == "table":
        view = {"width": console.width(width, bool(output)), "group_by": group_by,
                "color": console.use_color(color, bool(output)), "quiet": quiet}
    elif fmt == "xlsx":
        view = {"split_by": split_by}
    report = render(fmt, run, **view)
    if output:
        (write_bytes if isinstance(report, bytes) else write_text)(output, report, output_inside_export)
        click.echo(f"{run.findings.height} findings written to {output}", err=True)
    else:
        click.echo(report, nl=False, color=bool(view.get("color")))
    sys.exit(EXIT_FINDINGS if run.failing().height else EXIT_CLEAN)


def _size(param, value):
    if value is None:
        return None
    from ecrf.limits import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


@main.command()
@click.argument("artifact", type=click.Choice(["jsonschema", "pandera", "odm", "docs", "assumptions", "redcap",
                                              "redcap-arms", "redcap-events", "redcap-mapping",
                                              "redcap-repeating"]))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write (default: standard output).")
@click.option("--site", "sites", multiple=True, metavar="SITEID[=NAME]",
              help="odm only: add the site to the study build as an AdminData Location LOC.<SITEID> (repeat it).")
@schema_option
def generate(artifact, output, schema, sites):
    """Generate ARTIFACT from the schema: jsonschema, pandera (a Python module), odm (CDISC ODM 1.3.2 study
    metadata for building the study in an EDC), docs (data dictionary), assumptions (the register of [CONV]
    defaults the study team must confirm), redcap (REDCap data dictionary) and redcap-arms, redcap-events,
    redcap-mapping, redcap-repeating (the longitudinal set-up of the REDCap project; docs/redcap.md).

    \b
    Examples:
      ecrf generate jsonschema -o kn5601k.schema.json
      ecrf generate pandera -o kn5601k_pandera.py
      ecrf generate odm -o kn5601k-odm.xml
      ecrf generate odm --site 01="Site 01" --site 02 -o kn5601k-odm.xml
      ecrf generate docs -o docs/data-dictionary.md
      ecrf generate assumptions -o docs/assumptions.md
      ecrf generate redcap -o kn5601k-redcap.csv
      ecrf generate redcap-mapping -o kn5601k-mapping.csv
    """
    from ecrf.generators import build
    from ecrf.model import load_model
    from ecrf.writer import write_text

    model = load_model(schema)
    if sites and artifact != "odm":
        raise click.BadParameter("sites go into the ODM study build only", param_hint="--site")
    text = build(artifact, model, _sites(model, sites))
    if output:
        write_text(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _sites(model, given) -> list[tuple[str, str]]:
    """`--site 01=Name` as (SITEID, name); each SITEID must match the schema's SITEID pattern."""
    import re

    pattern = next((i.pattern for f in model.forms.values() for i in f.items if i.role == "site" and i.pattern),
                   None)
    out = []
    for text in given:
        code, _, name = text.partition("=")
        code = code.strip()
        if not code or (pattern and not re.search(pattern, code)):
            raise click.BadParameter(f"{code!r} is not a SITEID" + (f" (pattern {pattern})" if pattern else ""),
                                     param_hint="--site")
        out.append((code, name.strip()))
    if len({c for c, _ in out}) != len(out):
        raise click.BadParameter("a site is given twice", param_hint="--site")
    return out


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--subjects", type=click.IntRange(1), help="Generate this many subjects instead of copying the bundled export "
              "(at most 98,901: SITEID has two digits, the subject number in SUBJID three).")
@click.option("--seed", type=int, default=20251203, show_default=True, help="Random seed for generation.")
@click.option("--clean", is_flag=True, help="Generate without seeded errors.")
@click.option("--format", "fmt", default="csv", show_default=True,
              help="Export format to write (csv, or another format of `ecrf formats` that can be written).")
def example(directory, subjects, seed, clean, fmt):
    """Write an example export to DIRECTORY.

    Without options, copies the bundled KN5601-K example (12 subjects, all five cohorts) with its seeded
    errors listed in seeded_errors.json. With --subjects, generates a fresh export of that size.

    \b
    Examples:
      ecrf example demo_export
      ecrf example big_export --subjects 1000 --clean
    """
    from ecrf.example import write_example
    from ecrf.example.subjects import MAX_SUBJECTS

    if subjects is not None and subjects > MAX_SUBJECTS:
        raise click.BadParameter(f"at most {MAX_SUBJECTS:,} subjects fit the SITEID (NN) and SUBJID (NN-NNN) formats",
                                 param_hint="--subjects")
    n = write_example(directory, subjects=subjects, seed=seed, clean=clean, fmt=fmt)
    click.echo(f"wrote {n} files to {directory}", err=True)


@main.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def init(directory):
    """Scaffold a new study in DIRECTORY: a schema skeleton (study.yaml) with the roles the generic checks read,
    a config (ecrf.env, sets ECRF_SCHEMA), a README and a tiny example export.

    \b
    Examples:
      ecrf init my-study && ecrf validate my-study/example_export --schema my-study/study.yaml
    """
    from ecrf.scaffold import init_study

    written = init_study(directory)
    click.echo(f"wrote {len(written)} files to {directory}; next: see {directory}/README.md", err=True)


@main.command()
def formats():
    """List the export formats `ecrf validate` reads (detected from the content; --input-format forces one)."""
    from ecrf.readers import readers

    for r in readers().values():
        click.echo(f"{r.name:14} {r.description}")


from ecrf.cli.catalogue import checks_command  # noqa: E402

from ecrf.cli.ledger import ledger_command  # noqa: E402

main.add_command(checks_command)
main.add_command(ledger_command)


def run() -> None:
    """The `ecrf` command: `main`, then the process ends as soon as its output is flushed.

    The interpreter's orderly shutdown (every module, polars' tables and thread pool freed one by one) adds
    about 50 ms to each run, some 8% of validating the bundled example, and does nothing the user needs: every
    file ecrf writes is closed and in place before `main` returns (the writer renames it there), and ecrf
    registers no exit hook. A traceback asked for with ECRF_DEBUG=1 propagates as usual."""
    try:
        main()
        status: object = 0
    except SystemExit as done:
        status = done.code
    if status is not None and not isinstance(status, int):  # as the interpreter does with sys.exit("message")
        print(status, file=sys.stderr)
    code = status if isinstance(status, int) else 0 if status is None else 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that closed the pipe early (`ecrf ... | head`): nothing to deliver
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
