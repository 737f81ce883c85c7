"""Clinical equations (kidney function, body surface area) with their parameters read from schema/clinical.yaml."""
