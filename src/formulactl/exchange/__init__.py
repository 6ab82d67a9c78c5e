"""Data in and out: spreadsheets in, exports and SQL out, backups and their restore drill."""
