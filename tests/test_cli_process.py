"""The `ecrf` command as its own process: it ends without the interpreter's shutdown, so every byte of its output
and its exit code must still arrive as they do from `main` in process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean)


ALLOCATOR = "_RJEM_MALLOC_CONF"
SHOW = ("import os, sys\nimport ecrf.cli.main\n"
        f"print(os.environ.get({ALLOCATOR!r}), 'polars' in sys.modules)\n")


def test_the_command_sets_the_allocators_page_return_before_polars_loads():
    # jemalloc reads its settings once, when polars loads: set after that, they would do nothing
    done = _python(SHOW)
    assert done.returncode == 0, done.stderr
    setting, polars_loaded = done.stdout.split()
    assert setting == f"dirty_decay_ms:250,muzzy_decay_ms:0,narenas:{os.cpu_count()}"
    assert polars_loaded == "False"


def test_a_users_own_allocator_setting_is_kept():
    done = _python(SHOW, **{ALLOCATOR: "dirty_decay_ms:5000"})
    assert done.stdout.split() == ["dirty_decay_ms:5000", "False"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="polars uses jemalloc on Linux")
def test_polars_allocator_reads_the_setting_and_accepts_it():
    # jemalloc names a pair it does not know on stderr: the variable is polars' allocator's, and ours is valid
    work = "import ecrf.cli.main, polars as pl\npl.DataFrame({'a': list(range(1000))}).sort('a')\n"
    bogus = _python(work, **{ALLOCATOR: "no_such_option:1"})
    assert "<jemalloc>" in bogus.stderr and "no_such_option" in bogus.stderr
    ours = _python(work)
    assert ours.returncode == 0 and "<jemalloc>" not in ours.stderr, ours.stderr
