"""Where the example course we ship lives: inside the installed package, or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "example_courses"
_CHECKOUT = Path(__file__).resolve().parents[2] / "examples" / "courses"
_PACKAGED_SOLUTIONS = Path(__file__).resolve().parent / "example_solutions"
_CHECKOUT_SOLUTIONS = Path(__file__).resolve().parents[2] / "examples" / "solutions"


def example_courses_dir() -> Path:
    for candidate in (_PACKAGED, _CHECKOUT):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the bundled example courses are missing from this installation")


def example_solutions_dir() -> Path | None:
    for candidate in (_PACKAGED_SOLUTIONS, _CHECKOUT_SOLUTIONS):
        if candidate.is_dir():
            return candidate
    return None
