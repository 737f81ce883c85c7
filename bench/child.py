"""Child processes timed for the benchmarks: wall clock, peak resident memory and CPU seconds."""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system) of one child process. On a shared machine
    the CPU seconds move less than the wall clock."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - start
    rss, user, system = done.stderr.strip().splitlines()[-1].split()
    return wall, int(rss) / 1024, float(user) + float(system), done


@functools.cache  # once per benchmark process: the checkout does not change while it runs
def compile_sources() -> None:
    """Byte-compile the checkout's modules before timing. A wheel installs them compiled; an editable install
    run with PYTHONDONTWRITEBYTECODE set compiles every module changed since its last .pyc on each start
    (about 0.1 s a run after a change to many modules), which a user never pays."""
    dirs = [str(ROOT / d) for d in ("ecrf", "cli", "validators") if (ROOT / d).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], check=True, capture_output=True)


Timed = tuple[float, float, float, subprocess.CompletedProcess]


def best(cmd: list[str], runs: int, ok: tuple[int, ...] | None = None) -> Timed:
    """Best wall and CPU seconds and the highest peak over `runs` runs, with the last run's result; with `ok`,
    a run exiting with another code stops the benchmark."""
    return alternating([cmd], runs, ok)[0]


def alternating(cmds: list[list[str]], runs: int, ok: tuple[int, ...] | None = None) -> list[Timed]:
    """`best` of each command, the commands run in turn `runs` times (a, b, a, b, ...), so that a slow spell of
    a shared machine falls on all of them alike rather than on whichever ran then."""
    compile_sources()
    results: list[list[Timed]] = [[] for _ in cmds]
    for _ in range(runs):
        for mine, cmd in zip(results, cmds):
            r = timed(cmd)
            if ok is not None and r[3].returncode not in ok:
                raise SystemExit(f"{cmd[0]} failed:\n{r[3].stderr}")
            mine.append(r)
    return [(min(r[0] for r in rs), max(r[1] for r in rs), min(r[2] for r in rs), rs[-1][3]) for rs in results]
