"""The `ecrf` command line."""
