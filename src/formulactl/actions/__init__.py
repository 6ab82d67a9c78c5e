"""One change = one checked, signed commit: records, workflow steps, rekey, import, team."""
