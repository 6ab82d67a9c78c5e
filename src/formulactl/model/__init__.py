"""Plain data and rules of the domain: kinds, settings, team, workflow steps, sealed values,
SSH keys. No I/O."""
