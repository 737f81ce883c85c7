"""The KN5601-K eCRF model (LinkML YAML). A package only so the YAML ships with `ecrf`."""
