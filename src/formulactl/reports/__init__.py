"""Read-only reports computed from the signed records at one commit, each with its reasons."""
