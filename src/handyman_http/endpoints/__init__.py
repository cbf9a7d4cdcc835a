"""One module per group of endpoints; each resource answers exactly one path."""
