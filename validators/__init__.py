"""The checks. Importing this package registers every check in ecrf.registry."""

from ecrf.validators import columns, structure  # noqa: F401
