"""The only git caller (gitio) and in-process SSH signature checks (signatures)."""
