"""Tests of the `handyman` command line."""
