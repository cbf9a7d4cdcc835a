"""handyman_runner."""
