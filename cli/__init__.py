"""The `ecrf` command line."""

import os

# polars' allocator (jemalloc, on Linux) keeps freed pages a while before giving them back (polars asks for
# 500 ms, then 1 s more before the kernel may reclaim them), and gives each thread one of four arenas per CPU.
# A validation frees large frames (a table put in record-key order, a check's intermediates) on one thread
# while polars' threads allocate the next: pages returned after 250 ms and one arena per CPU, so that freed
# memory is reused rather than fresh pages faulted in, took the 10,000-subject export's peak down by some
# 150 MiB and its time by 0.1-0.2 s (docs/performance.md, "Seventh round"). Read once, when polars loads, so
# set here, before any command imports it. Elsewhere (another allocator) the variable is unused.
ALLOCATOR = "_RJEM_MALLOC_CONF"
# What polars puts first when it loads (polars/__init__.py), and so what a parent process that imported polars
# (a pipeline script, a test run) passes on to `ecrf`: polars' choice, not the user's, so ours replaces it.
POLARS_OWN = "dirty_decay_ms:500,muzzy_decay_ms:1000"


def allocator_settings(current: str | None, cpus: int) -> str:
    """Ours, then what the user set (jemalloc takes the last value of a setting: the user's wins)."""
    ours = f"dirty_decay_ms:250,muzzy_decay_ms:0,narenas:{cpus}"
    users = current or ""
    for inherited in (POLARS_OWN, ours):  # (ours too: `ecrf` started by a process that had imported ecrf.cli)
        if users.startswith(inherited):
            users = users[len(inherited):].lstrip(",")
    return f"{ours},{users}" if users else ours


os.environ[ALLOCATOR] = allocator_settings(os.environ.get(ALLOCATOR), os.cpu_count() or 1)
