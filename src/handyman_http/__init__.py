"""handyman_http."""
