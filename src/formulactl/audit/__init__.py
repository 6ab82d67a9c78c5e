"""History read from git: history rules, the trail (log, blame, diff, show@V), audit verify,
export."""
