"""Record and store rules: validate and fmt."""
