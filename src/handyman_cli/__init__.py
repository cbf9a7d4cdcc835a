"""handyman_cli."""
