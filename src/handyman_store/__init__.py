"""handyman_store."""
