"""Opening the playground from every code example and every task editor of the real catalogue,
with the requests the site sends (docs/site-compatibility.md): each one is answered 200 with
`user_code`. The site reads the chapter through get_chapter, finds the examples in its text and
sends each as the pseudo task `<chapter_id>_task_0000`, with the example's id only for the
numbered `{.example_for_playground .example_for_playground_NNN}` blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from sqlalchemy import Engine

from handyman_store.catalogue_import import import_catalogue
from handyman_store.course_folder import read_course_folder
from tests.http.conftest import Api, build_api, encoded

USER = 1
EMPTY_EDITOR = " "
"""What the site sends for an editor with nothing in it."""

_FENCE = re.compile(r"^```\s*(?P<language>\w+)\s*(?P<attributes>\{[^}]*\})?\s*$")
_NUMBERED_EXAMPLE = re.compile(r"\.(example_for_playground_[0-9]+)\b")
_TASK_SOURCE = re.compile(r"#([a-z0-9]+_chapter_[0-9]{4}_task_[0-9]{4})\b")


@frozen
class Block:
    attributes: str
    code: str


@frozen
class CodeExample:
    chapter_id: str
    example_id: str
    """Empty for a plain `{.example_for_playground}` block, as the site sends it."""
    code: str


def fenced_blocks(text: str) -> Iterator[Block]:
    lines = iter(text.splitlines())
    for line in lines:
        opening = _FENCE.match(line)
        if opening is None:
            continue
        body = []
        for inner in lines:
            if inner.startswith("```"):
                break
            body.append(inner)
        yield Block(opening["attributes"] or "", "\n".join(body))


def is_code_example(block: Block) -> bool:
    return ".example_for_playground" in block.attributes.strip("{}").split()


def chapter_pages(api: Api) -> Iterator[dict[str, Any]]:
    """Every chapter as the site gets it: courses, their chapters, each chapter's page."""
    for course in api.post("/get_courses", {"status": "all"}).json:
        for row in api.post("/get_chapters", {"course_id": course["course_id"]}).json:
            if "chapter_" not in row["chapter_id"]:
                continue
            page = api.post("/get_chapter", {"chapter_id": row["chapter_id"]})
            assert page.status_code == 200, page.text
            yield page.json


@frozen
class SiteView:
    examples: tuple[CodeExample, ...]
    editors: tuple[tuple[str, str], ...]
    """(task id, the starting code the chapter text gives its editor, maybe empty)"""


@pytest.fixture(scope="module")
def real_api(module_engine: Engine, real_catalogue_path: Path) -> Iterator[Api]:
    api = build_api(module_engine)
    import_catalogue(module_engine, read_course_folder(real_catalogue_path), "real catalogue")
    yield api
    api.finish_runs()


@pytest.fixture(scope="module")
def site_view(real_api: Api) -> SiteView:
    examples: list[CodeExample] = []
    editors: list[tuple[str, str]] = []
    for page in chapter_pages(real_api):
        chapter_id = page["chapter_id"]
        blocks = list(fenced_blocks(page["content"]))
        sources = {
            match[1]: block.code
            for block in blocks
            if ".task_source" in block.attributes
            and (match := _TASK_SOURCE.search(block.attributes))
        }
        for block in filter(is_code_example, blocks):
            numbered = _NUMBERED_EXAMPLE.search(block.attributes)
            examples.append(CodeExample(chapter_id, numbered[1] if numbered else "", block.code))
        for task in page["tasks"]:
            editors.append((task["task_id"], sources.get(task["task_id"], "")))
    return SiteView(tuple(examples), tuple(editors))


def open_playground(api: Api, task_id: str, solution_text: str, example_id: str) -> str | None:
    """The problem with the answer, or None when it is 200 with a `user_code` string."""
    response = api.post(
        "/inject_playground_code",
        {"task_id": task_id, "solution_text": solution_text, "example_id": example_id},
        user_id=USER,
    )
    if response.status_code == 200 and isinstance(response.json.get("user_code"), str):
        return None
    return f"{task_id} {example_id!r}: {response.status_code} {response.text[:200]}"


def test_the_site_finds_every_code_example_of_the_catalogue(site_view: SiteView) -> None:
    """907 blocks: 486 plain, 421 numbered (one more line of the texts carries the class
    outside a code block and is no example)."""
    plain = [e for e in site_view.examples if not e.example_id]
    assert (len(site_view.examples), len(plain)) == (907, 486)


def test_every_task_of_the_catalogue_has_an_editor(site_view: SiteView) -> None:
    assert len(site_view.editors) == 537


def test_every_code_example_opens_in_the_playground(real_api: Api, site_view: SiteView) -> None:
    problems = [
        open_playground(
            real_api,
            f"{example.chapter_id}_task_0000",
            encoded(example.code) if example.code else EMPTY_EDITOR,
            example.example_id,
        )
        for example in site_view.examples
    ]
    assert [problem for problem in problems if problem] == []


def test_every_task_editor_with_code_opens_in_the_playground(
    real_api: Api, site_view: SiteView
) -> None:
    problems = [
        open_playground(real_api, task_id, encoded(code or "42"), "")
        for task_id, code in site_view.editors
    ]
    assert [problem for problem in problems if problem] == []


def test_every_empty_task_editor_opens_in_the_playground(
    real_api: Api, site_view: SiteView
) -> None:
    problems = [
        open_playground(real_api, task_id, EMPTY_EDITOR, "") for task_id, _ in site_view.editors
    ]
    assert [problem for problem in problems if problem] == []
