"""formulactl: customer archives and customer formulas as reviewed, signed YAML records in Git."""
