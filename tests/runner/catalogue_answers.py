"""The real catalogue's own answers: each chapter text shows a task's starting code in a
`{.task_source #<task id>}` block and, after the hints, its answer in a `{.task_answer}` block.
A `consoleoutput` source marks a "what does this print?" task (`plain_text`), and
`.run_static_type_checker` a task the site runs with `mypy --strict`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from attrs import frozen

from handyman_core.catalogue import Catalogue
from handyman_core.run_protocol import Language, RunRequest, container_type_for
from handyman_core.solution import normalize_code
from handyman_core.task_runs import prepare_task_run

_FENCED_BLOCK = re.compile(
    r"^(?P<fence>```+)[ \t]*(?P<language>\w*)[ \t]*\{(?P<attributes>[^{}\n]*)\}[ \t]*\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TASK_ID = re.compile(r"#(\w+)")
_COMMENT = {
    Language.PYTHON: "# not solved yet",
    Language.GOLANG: "// not solved yet",
    Language.RUST: "// not solved yet",
    Language.CPP: "// not solved yet",
    Language.HASKELL: "-- not solved yet",
}


@frozen
class CatalogueAnswer:
    task_id: str
    language: Language
    plain_text: bool
    type_check: bool
    answer: str
    starting_code: str

    @property
    def wrong_answer(self) -> str:
        """What a learner who has not solved the task would send: the starting code, or (when
        there is none, or it is the answer already) an answer that defines nothing; for a
        "what does this print?" task, the answer with a word too many."""
        if self.plain_text:
            return f"{self.answer.strip()} surely"
        starting = self.starting_code.strip()
        if starting and starting != self.answer.strip():
            return self.starting_code
        return self.empty_answer

    @property
    def empty_answer(self) -> str:
        """An answer that defines nothing: only a comment."""
        return _COMMENT[self.language]

    def request(self, catalogue: Catalogue, code: str) -> RunRequest:
        """The run the site asks for when a learner sends `code` for this task (an answer typed
        into a one-line field for a plain-text task)."""
        return prepare_task_run(
            catalogue,
            self.task_id,
            normalize_code(code.strip() if self.plain_text else code),
            task_type="plain_text" if self.plain_text else "code",
            type_check=self.type_check,
        )


def catalogue_answers(root: Path) -> Iterator[CatalogueAnswer]:
    for text in sorted(root.glob("*/*/text.md")):
        yield from _answers_in(text.read_text(encoding="utf-8"))


def _answers_in(text: str) -> Iterator[CatalogueAnswer]:
    source: tuple[str, str, bool, bool] | None = None
    for block in _FENCED_BLOCK.finditer(text):
        attributes = block["attributes"]
        if ".task_source" in attributes:
            task_id = _TASK_ID.search(attributes)
            if task_id is None:
                continue
            plain = block["language"] == "consoleoutput"
            checked = ".run_static_type_checker" in attributes
            source = (task_id[1], block["body"], plain, checked)
        elif ".task_answer" in attributes and source is not None:
            task_id, starting_code, plain, checked = source
            language = container_type_for(task_id)
            if language is not None:
                yield CatalogueAnswer(
                    task_id, language, plain, checked, block["body"], starting_code
                )
            source = None
