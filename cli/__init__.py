"""The `ecrf` command line."""

import os

# polars' allocator (jemalloc, on Linux) keeps freed pages for ten seconds before giving them back. A validation
# frees large frames (a table put in record-key order, a check's intermediates) and soon allocates others, so
# the kept pages add to the peak: returned after 250 ms, the 10,000-subject export peaks some 150 MiB lower in
# the same time (docs/performance.md, "Seventh round"). Read once, when polars loads, so set here, before any
# command imports it; a value of the user's own wins. Elsewhere (another allocator) the variable is unused.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:250,muzzy_decay_ms:0")
