"""The `ecrf` command line."""

import os

# polars' allocator (jemalloc, on Linux) keeps freed pages a while before giving them back, and gives each
# thread one of four arenas per CPU. A validation frees large frames (a table put in record-key order, a check's
# intermediates) on one thread while polars' threads allocate the next: pages returned after 250 ms and one
# arena per CPU, so that freed memory is reused rather than fresh pages faulted in, took the 10,000-subject
# export's peak down by some 150 MiB and its time by 0.1-0.2 s (docs/performance.md, "Seventh round"). Read
# once, when polars loads, so set here, before any command imports it; a value of the user's own wins.
# Elsewhere (another allocator) the variable is unused.
os.environ.setdefault("_RJEM_MALLOC_CONF",
                      f"dirty_decay_ms:250,muzzy_decay_ms:0,narenas:{os.cpu_count() or 1}")
