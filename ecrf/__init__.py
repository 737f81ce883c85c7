"""ecrf: define an eCRF once in LinkML and check every data export against it."""

__version__ = "0.1.0"
