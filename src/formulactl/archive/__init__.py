"""The customer archive at work: duplicate matching, merges, owners and contact cadence."""
