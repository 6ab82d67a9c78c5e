"""Traceability: where-used, trace both ways, recall, the version in force, QC and release."""
