"""Handyman's pure domain: rules that take data and return decisions, with no I/O.

Modelled on h11: adapters (store, HTTP, runner) do the I/O around these plain objects.
"""
