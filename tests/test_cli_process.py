"""The `ecrf` command as its own process: it ends without the interpreter's shutdown, so every byte of its output
and its exit code must still arrive as they do from `main` in process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecrf.cli import ALLOCATOR, POLARS_OWN, allocator_settings
from ecrf.cli.main import main
from ecrf.example import write_example

ECRF = Path(sys.executable).with_name("ecrf")


def _ecrf(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # outside the source tree, so the installed ecrf runs (a wheel in CI)
    return subprocess.run([str(ECRF), *args], capture_output=True, text=True, cwd=cwd)


def test_the_console_command_ends_through_the_fast_exit():
    # the command installed as `ecrf` is `run`: the checks below test that path, not click's own exit
    text = ECRF.read_text()
    assert "from ecrf.cli.main import run" in text


def test_a_report_on_stdout_arrives_whole_with_its_exit_code(tmp_path, cli):
    export = tmp_path / "export"
    write_example(export)
    done = _ecrf("validate", str(export), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)  # a truncated report would not parse
    in_process = json.loads(cli("validate", export, "--format", "json").output)
    assert len(report["findings"]) == len(in_process["findings"]) > 100
    assert [f["fingerprint"] for f in report["findings"]] == [f["fingerprint"] for f in in_process["findings"]]


def test_a_report_written_to_a_file_is_complete_when_the_command_ends(tmp_path):
    export = tmp_path / "export"
    write_example(export)
    out = tmp_path / "findings.csv"
    done = _ecrf("validate", str(export), "--format", "csv", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = out.read_text().splitlines()
    assert len(lines) > 100 and lines[-1].count(",") >= lines[0].count(",")


def test_an_input_error_exits_2_with_one_line_and_fail_on_never_exits_0(tmp_path):
    done = _ecrf("validate", str(tmp_path / "missing"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1 and "missing" in done.stderr
    export = tmp_path / "export"
    write_example(export)
    assert _ecrf("validate", str(export), "--fail-on", "never", "-q", cwd=tmp_path).returncode == 0


def test_help_and_a_usage_error_keep_their_exit_codes(tmp_path):
    help_ = _ecrf("--help", cwd=tmp_path)
    assert help_.returncode == 0 and "validate" in help_.stdout and help_.stdout.endswith("\n")
    usage = _ecrf("validate", "--no-such-option", cwd=tmp_path)
    assert usage.returncode == 2 and "no such option" in usage.stderr.lower()


def test_a_reader_closing_the_pipe_early_gets_no_traceback(tmp_path):
    export = tmp_path / "export"
    write_example(export)
    with subprocess.Popen([str(ECRF), "validate", str(export), "--format", "json"], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()  # as `| head -c 10` does
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Traceback" not in err


def test_main_in_process_still_raises_systemexit(tmp_path):
    # `main` itself (as tests and embedding programs call it) keeps click's behaviour: no process exit
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0


def test_validating_a_csv_export_imports_no_library_of_another_format(tmp_path):
    """Each reader imports its format's library when it reads (or writes) that format: a CSV run pays for none
    of them (lxml for ODM, openpyxl for Excel, ...), nor for LinkML once the model is cached."""
    export = tmp_path / "export"
    write_example(export)
    code = (
        "import sys\n"
        "from ecrf.cli.main import main\n"
        "try:\n"
        f"    main(['validate', {str(export)!r}, '--format', 'json', '-o', {str(tmp_path / 'r.json')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = {"ECRF_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    for _ in range(2):  # the first run fills the model cache
        done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "polars" in loaded
    assert loaded.isdisjoint({"lxml", "openpyxl", "pandera", "jsonschema", "pyreadstat", "linkml_runtime", "pandas"})


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != ALLOCATOR} | env
    # outside the source tree, so the installed ecrf is imported (a wheel in CI: the tree has no ecrf/cli)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean,
                          cwd=Path(sys.executable).parent)


OURS = f"dirty_decay_ms:250,muzzy_decay_ms:0,narenas:{os.cpu_count()}"
SHOW = ("import os, sys\nimport ecrf.cli.main\n"
        f"print(os.environ.get({ALLOCATOR!r}), 'polars' in sys.modules)\n")


@pytest.mark.parametrize("inherited, expected", [
    (None, OURS),
    (POLARS_OWN, OURS),  # from a parent process that imported polars: polars' choice, not the user's
    (f"{POLARS_OWN},thp:always,metadata_thp:always", f"{OURS},thp:always,metadata_thp:always"),  # POLARS_THP=1
    ("dirty_decay_ms:5000", f"{OURS},dirty_decay_ms:5000"),  # the user's own: last, so it wins
    (OURS, OURS),  # from a parent that had imported ecrf.cli
    (f"{POLARS_OWN},{OURS}", OURS),  # ... and then polars
])
def test_allocator_settings_put_ours_before_the_users_own(inherited, expected):
    assert allocator_settings(inherited, os.cpu_count()) == expected


def test_the_command_sets_the_allocator_before_polars_loads():
    # jemalloc reads its settings once, when polars loads: set after that, they would do nothing
    for inherited in ({}, {ALLOCATOR: POLARS_OWN}):
        done = _python(SHOW, **inherited)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [OURS, "False"]


def test_polars_still_puts_its_own_settings_first():
    # what POLARS_OWN strips: if a polars upgrade changes it, an inherited value would pass for the user's
    done = _python("import os, polars\nprint(os.environ['_RJEM_MALLOC_CONF'])\n")
    assert done.stdout.strip() == POLARS_OWN


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="polars uses jemalloc on Linux")
@pytest.mark.parametrize("inherited", [{}, {ALLOCATOR: POLARS_OWN}, {ALLOCATOR: "dirty_decay_ms:5000"}])
def test_polars_allocator_runs_with_the_settings(inherited):
    # jemalloc prints the options it runs with when the process ends (stats_print), and names a pair it does not
    # know: ours are in force behind polars' own, and the user's own wins
    work = (f"import os\nimport ecrf.cli.main\nos.environ[{ALLOCATOR!r}] += ',stats_print:true'\n"
            "import polars as pl\npl.DataFrame({'a': list(range(1000))}).sort('a')\n")
    done = _python(work, **inherited)
    assert done.returncode == 0 and "<jemalloc>" not in done.stderr, done.stderr[:500]
    decay = "5000" if inherited.get(ALLOCATOR) == "dirty_decay_ms:5000" else "250"
    for option in (f"opt.dirty_decay_ms: {decay}", "opt.muzzy_decay_ms: 0", f"opt.narenas: {os.cpu_count()}"):
        assert option in done.stderr, option
