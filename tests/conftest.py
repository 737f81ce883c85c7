"""Shared fixtures: the study model and the CLI (helpers for writing exports are in helpers.py)."""

from __future__ import annotations

import json
from pathlib import Path
import os

import pytest
from click.testing import CliRunner

from ecrf.cli.main import main
from ecrf.model import load_model
from helpers import assert_valid_report


@pytest.fixture(scope="session", autouse=True)
def _model_cache_in_a_temporary_folder(tmp_path_factory):
    """Tests load many throw-away schemas: their compiled models go to a folder of this run, not the user's cache."""
    before = os.environ.get("ECRF_CACHE_DIR")
    os.environ["ECRF_CACHE_DIR"] = str(tmp_path_factory.mktemp("ecrf-cache"))
    yield
    if before is None:
        os.environ.pop("ECRF_CACHE_DIR", None)
    else:
        os.environ["ECRF_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        args = [str(a) for a in args]
        res = runner.invoke(main, args, catch_exceptions=False)
        if args[:1] == ["validate"] and res.exit_code in (0, 1) and _option(args, "--format") == "json":
            out = _option(args, "--output", "-o")
            assert_valid_report(json.loads(Path(out).read_text(encoding="utf-8") if out else res.stdout))
        return res

    return invoke


def _option(args, *names):
    for i, a in enumerate(args[:-1]):
        if a in names:
            return args[i + 1]
    for a in args:
        for n in names:
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None


@pytest.fixture
def cli_raw():
    """The CLI without the JSON report check (for tests that look at broken output on purpose)."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
