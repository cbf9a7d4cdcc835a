"""handyman_service: the use cases, between the frontends (HTTP, CLI) and the adapters.

Each use case takes a typed command and returns a typed result, reaching the store and the code
runner only through the core's ports (`handyman_core.ports`, `handyman_core.run_protocol`).
"""
