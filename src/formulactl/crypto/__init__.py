"""The only pyrage/AEAD user (crypto, sealing) and the key-free leak guard (confidential)."""
