"""Preparing runs from site requests and the catalogue (original §2.13, §2.18-§2.21, §3.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from hypothesis import assume, given
from hypothesis import strategies as st

from handyman_core.catalogue import (
    Catalogue,
    Chapter,
    Course,
    Example,
    PracticeProject,
    ProjectFile,
    Task,
    Wrappers,
)
from handyman_core.errors import InvalidInput, NotFound
from handyman_core.ids import ChapterId, CourseId, ExampleId, ProjectId, TaskId, course_of_chapter
from handyman_core.injection import INJECT_ESCAPED_MARKER, INJECT_MARKER, inject_playground
from handyman_core.project_tree import (
    MAX_PROJECT_BYTES,
    MAX_PROJECT_DEPTH,
    MAX_PROJECT_ENTRIES,
    ProjectTree,
    parse_project_tree,
    render_project_tree,
)
from handyman_core.run_protocol import Language, RunKind, RunLimits
from handyman_core.task_runs import (
    MISSING_RUN_WRAPPER,
    MISSING_TEST_WRAPPER,
    cmd_line_args_for,
    prepare_playground_injection,
    prepare_playground_run,
    prepare_practice_run,
    prepare_task_run,
)

M = INJECT_MARKER


def course(course_id: str, fallbacks: Wrappers | None = None) -> Course:
    return Course(
        id=CourseId(course_id),
        title=course_id,
        tags="{}",
        description="",
        fallbacks=fallbacks or Wrappers(),
    )


def chapter(chapter_id: str) -> Chapter:
    return Chapter(
        id=ChapterId(chapter_id),
        course_id=course_of_chapter(ChapterId(chapter_id)),
        title="",
        text="",
    )


def task(task_id: str, **wrappers: str) -> Task:
    return Task(
        id=TaskId(task_id), chapter_id=ChapterId(task_id[:-10]), wrappers=Wrappers(**wrappers)
    )


def example(chapter_id: str, example_id: str, **wrappers: str) -> Example:
    return Example(
        id=ExampleId(example_id), chapter_id=ChapterId(chapter_id), wrappers=Wrappers(**wrappers)
    )


CATALOGUE = Catalogue(
    courses=(
        course("python", Wrappers(run=f"{M}")),
        course("cpp", Wrappers(test=f"cpp-test {M}", run=f"cpp-run {M}")),
        course("rust", Wrappers(run=f"fn main() {{\n{M}\n}}", playground=f"{M}\n\nfn main() {{}}")),
    ),
    chapters=(
        chapter("python_chapter_0010"),
        chapter("cpp_chapter_0010"),
        chapter("rust_chapter_0020"),
    ),
    tasks=(
        task(
            "python_chapter_0010_task_0010",
            test=f'src = r"""{INJECT_ESCAPED_MARKER}"""\n{M}',
            run=f"own-run {M}",
        ),
        task("python_chapter_0010_task_0020", test=f"test {M}"),
        task("cpp_chapter_0010_task_0010"),
        task("rust_chapter_0020_task_0010", test=f"t {M}", playground=f"fn main() {{\n    {M}\n}}"),
        task("rust_chapter_0020_task_0020", test=f"t {M}"),
    ),
    examples=(
        example(
            "python_chapter_0010",
            "example_for_playground_001",
            test=f"ex-test {M}",
            playground=f"ex-play {M}",
        ),
        example("cpp_chapter_0010", "example_for_playground_002"),
        example("rust_chapter_0020", "example_for_playground_003", playground="complete"),
    ),
)


def fields_of(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return error.value.fields


# --- cmd_line_args ---------------------------------------------------------------------------


def test_cmd_line_args_with_colour_and_type_check() -> None:
    assert cmd_line_args_for(True, True, "code") == ["-c always", "-t strict", "-v code"]


def test_cmd_line_args_without_colour_or_type_check() -> None:
    assert cmd_line_args_for(False, False, "plain_text") == ["-c never", "-v plain_text"]


@given(st.booleans(), st.booleans(), st.text())
def test_cmd_line_args_always_end_with_the_task_type(
    color: bool, type_check: bool, task_type: str
) -> None:
    args = cmd_line_args_for(color, type_check, task_type)
    assert args[0] in {"-c always", "-c never"}
    assert args[-1] == f"-v {task_type}"
    assert ("-t strict" in args) is type_check


# --- prepare_task_run ------------------------------------------------------------------------


def test_a_task_run_injects_into_the_tasks_own_wrappers() -> None:
    request = prepare_task_run(CATALOGUE, "python_chapter_0010_task_0010", 'x = """')
    assert request.kind is RunKind.TASK
    assert request.language is Language.PYTHON
    assert request.source_run == 'own-run x = """'
    assert request.source_test == 'src = """x = \\"\\"\\""""\nx = """'


def test_a_task_run_carries_the_options() -> None:
    limits = RunLimits(cpu_seconds=1.0)
    request = prepare_task_run(
        CATALOGUE, "python_chapter_0010_task_0020", "x", color=True, type_check=True, limits=limits
    )
    assert (request.color, request.type_check, request.task_type) == (True, True, "code")
    assert request.limits == limits


def test_a_task_without_its_own_run_wrapper_uses_the_course_fallback() -> None:
    request = prepare_task_run(CATALOGUE, "rust_chapter_0020_task_0010", "let a = 1;")
    assert request.source_run == "fn main() {\nlet a = 1;\n}"


def test_a_task_without_its_own_test_wrapper_uses_the_course_fallback() -> None:
    request = prepare_task_run(CATALOGUE, "cpp_chapter_0010_task_0010", "int x;")
    assert request.source_test == "cpp-test int x;"
    assert request.language is Language.CPP


def test_plain_text_tasks_run_no_user_program_but_are_tested() -> None:
    request = prepare_task_run(
        CATALOGUE, "cpp_chapter_0010_task_0010", "true", task_type="plain_text"
    )
    assert request.source_run == ""
    assert request.source_test == "cpp-test true"
    assert request.task_type == "plain_text"


def test_an_empty_task_type_means_code() -> None:
    request = prepare_task_run(CATALOGUE, "python_chapter_0010_task_0020", "x", task_type="")
    assert request.task_type == "code"


def test_an_unknown_task_type_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_task_run(CATALOGUE, "python_chapter_0010_task_0020", "x", task_type="weird")
    assert list(fields_of(error)) == ["task_type"]


def test_an_example_id_selects_the_examples_wrappers() -> None:
    request = prepare_task_run(
        CATALOGUE, "python_chapter_0010_task_0020", "x", example_id="example_for_playground_001"
    )
    assert request.source_test == "ex-test x"
    assert request.source_run == "x"


def test_an_example_without_a_test_wrapper_falls_back_to_the_course() -> None:
    request = prepare_task_run(
        CATALOGUE, "cpp_chapter_0010_task_0010", "x", example_id="example_for_playground_002"
    )
    assert request.source_test == "cpp-test x"


def test_an_unknown_example_is_not_found() -> None:
    with pytest.raises(NotFound):
        prepare_task_run(
            CATALOGUE, "python_chapter_0010_task_0020", "x", example_id="example_for_playground_999"
        )


def test_an_unknown_task_is_not_found() -> None:
    with pytest.raises(NotFound):
        prepare_task_run(CATALOGUE, "python_chapter_0010_task_9990", "x")


def test_a_malformed_task_id_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_task_run(CATALOGUE, "../python_chapter_0010_task_0010", "x")
    assert list(fields_of(error)) == ["task_id"]


def test_a_live_task_of_a_course_with_no_container_is_invalid_input_naming_the_chapter() -> None:
    java = Catalogue(
        courses=(course("java"),),
        chapters=(chapter("java_chapter_0010"),),
        tasks=(task("java_chapter_0010_task_0010", test=f"t {M}", run=f"r {M}"),),
    )
    with pytest.raises(InvalidInput) as error:
        prepare_task_run(java, "java_chapter_0010_task_0010", "x")
    assert fields_of(error) == {
        "task_id": "Couldn't specify container for chapter java_chapter_0010"
    }


def test_an_unknown_task_is_not_found_whatever_its_course() -> None:
    with pytest.raises(NotFound):
        prepare_task_run(CATALOGUE, "java_chapter_0010_task_0010", "x")


def test_no_test_wrapper_and_no_fallback_is_not_found_with_the_original_message() -> None:
    with pytest.raises(NotFound, match=MISSING_TEST_WRAPPER):
        prepare_task_run(
            CATALOGUE, "rust_chapter_0020_task_0010", "x", example_id="example_for_playground_003"
        )


def test_no_run_wrapper_and_no_fallback_is_not_found_for_code_tasks() -> None:
    catalogue = Catalogue(
        courses=(course("python"),),
        chapters=(chapter("python_chapter_0010"),),
        tasks=(task("python_chapter_0010_task_0010", test=M),),
    )
    with pytest.raises(NotFound, match=MISSING_RUN_WRAPPER):
        prepare_task_run(catalogue, "python_chapter_0010_task_0010", "x")


def test_no_run_wrapper_is_fine_for_plain_text_tasks() -> None:
    catalogue = Catalogue(
        courses=(course("python"),),
        chapters=(chapter("python_chapter_0010"),),
        tasks=(task("python_chapter_0010_task_0010", test=M),),
    )
    request = prepare_task_run(
        catalogue, "python_chapter_0010_task_0010", "x", task_type="plain_text"
    )
    assert request.source_test == "x"


# --- prepare_playground_injection ------------------------------------------------------------


def test_playground_injection_indents_into_the_tasks_wrapper() -> None:
    code = prepare_playground_injection(
        CATALOGUE, "rust_chapter_0020_task_0010", "let a = 1;\nlet b = 2;"
    )
    assert code == "fn main() {\n    let a = 1;\n    let b = 2;\n}"


def test_playground_injection_falls_back_to_the_course_playground_wrapper() -> None:
    code = prepare_playground_injection(CATALOGUE, "rust_chapter_0020_task_0020", "let a = 1;")
    assert code == "let a = 1;\n\nfn main() {}"


def test_playground_injection_without_any_wrapper_is_the_code() -> None:
    code = prepare_playground_injection(CATALOGUE, "python_chapter_0010_task_0020", "x = 1")
    assert code == "x = 1"


def test_playground_injection_of_an_example_needs_only_the_chapter() -> None:
    code = prepare_playground_injection(
        CATALOGUE, "python_chapter_0010_task_0000", "x", "example_for_playground_001"
    )
    assert code == "ex-play x"


def test_a_complete_example_wrapper_is_shown_as_it_is() -> None:
    code = prepare_playground_injection(
        CATALOGUE, "rust_chapter_0020_task_0000", "x", "example_for_playground_003"
    )
    assert code == "complete"


def test_playground_injection_of_an_example_in_an_unknown_chapter_is_not_found() -> None:
    with pytest.raises(NotFound):
        prepare_playground_injection(
            CATALOGUE, "python_chapter_0990_task_0000", "x", "example_for_playground_001"
        )


def test_playground_injection_of_a_task_in_an_unknown_chapter_is_not_found() -> None:
    with pytest.raises(NotFound):
        prepare_playground_injection(CATALOGUE, "rust_chapter_0990_task_0010", "x")


def test_playground_injection_of_an_unknown_example_falls_back_to_the_course() -> None:
    """Chapter texts name example folders that do not exist; the original answered anyway."""
    code = prepare_playground_injection(
        CATALOGUE, "rust_chapter_0020_task_0000", "let a = 1;", "example_for_playground_404"
    )
    assert code == "let a = 1;\n\nfn main() {}"


def test_playground_injection_of_an_unknown_example_without_a_fallback_is_the_code() -> None:
    code = prepare_playground_injection(
        CATALOGUE, "python_chapter_0010_task_0000", "x = 1", "example_for_playground_404"
    )
    assert code == "x = 1"


def test_an_examples_missing_playground_wrapper_falls_back_to_the_course_not_the_task() -> None:
    catalogue = Catalogue(
        courses=(course("rust", Wrappers(playground=f"course {M}")),),
        chapters=(chapter("rust_chapter_0020"),),
        tasks=(task("rust_chapter_0020_task_0010", playground=f"task {M}"),),
        examples=(example("rust_chapter_0020", "example_for_playground_001"),),
    )
    code = prepare_playground_injection(
        catalogue, "rust_chapter_0020_task_0010", "x", "example_for_playground_001"
    )
    assert code == "course x"


def test_playground_injection_of_the_sites_plain_example_uses_the_course_fallback() -> None:
    """A plain `{.example_for_playground}` block comes as `<chapter>_task_0000` and no example."""
    code = prepare_playground_injection(CATALOGUE, "rust_chapter_0020_task_0000", "let a = 1;")
    assert code == "let a = 1;\n\nfn main() {}"


def test_playground_injection_of_the_sites_plain_example_without_a_fallback_is_the_code() -> None:
    assert prepare_playground_injection(CATALOGUE, "python_chapter_0010_task_0000", "x") == "x"


@given(
    st.sampled_from([c.id for c in CATALOGUE.chapters]),
    st.integers(0, 9999),
    st.one_of(st.just(""), st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True)),
    st.text(),
)
def test_playground_injection_answers_for_any_task_and_example_of_a_live_chapter(
    chapter_id: str, number: int, example_id: str, code: str
) -> None:
    """Never refused: the answer is the code put into one of the chapter's playground
    wrappers or its course's fallback, or the code alone."""
    result = prepare_playground_injection(
        CATALOGUE, f"{chapter_id}_task_{number:04}", code, example_id
    )
    course_id = course_of_chapter(ChapterId(chapter_id))
    items = [*CATALOGUE.tasks_of(chapter_id), *CATALOGUE.examples, *CATALOGUE.courses]
    wrappers = [
        item.fallbacks.playground if isinstance(item, Course) else item.wrappers.playground
        for item in items
        if item.id == course_id or getattr(item, "chapter_id", None) == chapter_id
    ]
    assert result in {inject_playground(wrapper, code) for wrapper in [None, *wrappers]}


@given(st.integers(0, 9999), st.integers(0, 9999))
def test_playground_injection_in_a_chapter_not_in_the_catalogue_is_not_found(
    chapter_number: int, task_number: int
) -> None:
    chapter_id = f"python_chapter_{chapter_number:04}"
    assume(CATALOGUE.chapter(chapter_id) is None)
    with pytest.raises(NotFound):
        prepare_playground_injection(CATALOGUE, f"{chapter_id}_task_{task_number:04}", "x")


def test_playground_injection_checks_the_container_type_of_a_live_chapter() -> None:
    java = Catalogue(courses=(course("java"),), chapters=(chapter("java_chapter_0010"),))
    with pytest.raises(InvalidInput) as error:
        prepare_playground_injection(java, "java_chapter_0010_task_0000", "x", "e")
    assert list(fields_of(error)) == ["task_id"]


def test_playground_injection_into_an_unknown_chapter_is_not_found_whatever_its_course() -> None:
    with pytest.raises(NotFound):
        prepare_playground_injection(CATALOGUE, "java_chapter_0010_task_0000", "x", "e")


# --- practice and playground runs ------------------------------------------------------------

PROJECT = PracticeProject(
    id=ProjectId("python_calculator"),
    course_id=CourseId("python"),
    title="",
    chapter_id=ChapterId("python_chapter_0150"),
    main_file="calc.py",
    default_cmd_line_args="",
    text="",
    hint="",
    files=(ProjectFile("calc.py", "stub"), ProjectFile("test_calc.py", "course tests")),
)


def tree(*children: dict[str, Any], name: str = "project") -> dict[str, Any]:
    return {"name": name, "children": list(children)}


def file(name: str, contents: str = "", main: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"name": name, "contents": contents}
    if main:
        node["is_main_file"] = True
    return node


def directory(name: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "children": list(children)}


def test_a_practice_run_takes_the_files_and_the_marked_main_file() -> None:
    contents = tree(file("calc.py", "print(1)", main=True), directory("src", file("a.py", "x")))
    request = prepare_practice_run(PROJECT, json.dumps(contents), "run", "-L 2 ./test_data")
    assert request.kind is RunKind.PRACTICE_RUN
    assert request.language is Language.PYTHON
    assert request.files == (ProjectFile("calc.py", "print(1)"), ProjectFile("src/a.py", "x"))
    assert request.main_file == "calc.py"
    assert request.cmd_line_args == "-L 2 ./test_data"


def test_a_practice_test_is_a_practice_test_run() -> None:
    request = prepare_practice_run(PROJECT, tree(file("calc.py", main=True)), "test", "")
    assert request.kind is RunKind.PRACTICE_TEST


def test_a_practice_test_runs_the_catalogue_tests_over_the_learners_tree() -> None:
    contents = tree(file("calc.py", "solution", main=True))
    request = prepare_practice_run(PROJECT, contents, "test", "")
    assert request.files == (
        ProjectFile("calc.py", "solution"),
        ProjectFile("test_calc.py", "course tests"),
    )
    assert request.test_files == ("test_calc.py",)


def test_a_learners_edit_of_the_course_tests_is_replaced_for_a_test() -> None:
    contents = tree(file("calc.py", main=True), file("test_calc.py", "assert True"))
    request = prepare_practice_run(PROJECT, contents, "test", "")
    assert ProjectFile("test_calc.py", "course tests") in request.files
    assert ProjectFile("test_calc.py", "assert True") not in request.files


def test_a_learners_own_test_module_stays_in_the_tree_but_is_not_run() -> None:
    contents = tree(file("calc.py", main=True), file("test_mine.py", "passes"))
    request = prepare_practice_run(PROJECT, contents, "test", "")
    assert ProjectFile("test_mine.py", "passes") in request.files
    assert request.test_files == ("test_calc.py",)


def test_a_practice_run_keeps_the_learners_tree_as_it_is() -> None:
    contents = tree(file("calc.py", main=True), file("test_calc.py", "mine"))
    request = prepare_practice_run(PROJECT, contents, "run", "")
    assert ProjectFile("test_calc.py", "mine") in request.files
    assert request.test_files == ()


def test_a_python_project_without_course_tests_cannot_be_tested() -> None:
    untested = evolve(PROJECT, files=(ProjectFile("calc.py", "stub"),))
    with pytest.raises(InvalidInput) as error:
        prepare_practice_run(untested, tree(file("calc.py", main=True)), "test", "")
    assert list(fields_of(error)) == ["action"]


def test_a_practice_tree_without_a_mark_uses_the_catalogue_main_file() -> None:
    request = prepare_practice_run(PROJECT, tree(file("calc.py"), file("b.py")), "run", "")
    assert request.main_file == "calc.py"


def test_a_practice_tree_without_any_main_file_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_practice_run(PROJECT, tree(file("other.py")), "run", "")
    assert list(fields_of(error)) == ["project_contents"]


@pytest.mark.parametrize("action", ["save", "tset", ""])
def test_only_run_and_test_are_practice_runs(action: str) -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_practice_run(PROJECT, tree(file("calc.py", main=True)), action, "")
    assert list(fields_of(error)) == ["action"]


def test_practice_arguments_with_nul_are_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_practice_run(PROJECT, tree(file("calc.py", main=True)), "run", "a\x00b")
    assert list(fields_of(error)) == ["user_cmd_line_args"]


def test_a_practice_tree_that_is_not_json_is_refused_on_project_contents() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_practice_run(PROJECT, "{not json", "run", "")
    assert list(fields_of(error)) == ["project_contents"]


def test_a_playground_run_maps_go_to_golang_and_passes_user_code_as_source_run() -> None:
    contents = json.dumps(tree(file("main.go", "package main", main=True)))
    request = prepare_playground_run("go", contents, "fmt.Println()")
    assert request.kind is RunKind.PLAYGROUND
    assert request.language is Language.GOLANG
    assert request.source_run == "fmt.Println()"
    assert request.main_file == "main.go"


def test_a_playground_in_an_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_playground_run("java", json.dumps(tree(file("a", main=True))))
    assert list(fields_of(error)) == ["lang_id"]


def test_an_empty_playground_project_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_playground_run("python", "")
    assert list(fields_of(error)) == ["project"]


def test_a_playground_needs_a_marked_main_file() -> None:
    with pytest.raises(InvalidInput) as error:
        prepare_playground_run("python", json.dumps(tree(file("main.py"))))
    assert list(fields_of(error)) == ["project"]


# --- project trees ---------------------------------------------------------------------------


def test_unknown_keys_such_as_the_editors_node_ids_are_ignored() -> None:
    contents = tree(dict(file("main.py", "x", main=True), id=2))
    contents["id"] = 1
    assert parse_project_tree(contents, "project") == ProjectTree(
        files=(ProjectFile("main.py", "x"),), main_file="main.py"
    )


def test_a_tree_keeps_its_root_name() -> None:
    assert parse_project_tree(tree(name="calc"), "project").root_name == "calc"


def test_an_explicitly_unmarked_file_is_not_the_main_file() -> None:
    contents = tree({"name": "a.py", "contents": "", "is_main_file": False})
    assert parse_project_tree(contents, "project").main_file == ""


def deep_tree(levels: int) -> dict[str, Any]:
    node = file("leaf.py")
    for level in range(levels):
        node = directory(f"d{level}", node)
    return tree(node)


BAD_TREES: dict[str, object] = {
    "not an object": [],
    "a file as root": file("main.py"),
    "root without a name": {"children": []},
    "children not a list": tree() | {"children": "abc"},
    "a name that is a number": tree({"name": 1, "contents": ""}),
    "contents that are a number": tree({"name": "a", "contents": 1}),
    "a child that is not an object": tree("a.py"),  # type: ignore[arg-type]
    "is_main_file that is a number": tree({"name": "a", "contents": "", "is_main_file": 1}),
    "an empty name": tree(file("")),
    "an absolute name": tree(file("/etc/passwd")),
    "a name with a slash": tree(file("src/a.py")),
    "a name with a backslash": tree(file("..\\a.py")),
    "a dot-dot name": tree(directory("..", file("a.py"))),
    "a dot name": tree(file(".")),
    "a name with NUL": tree(file("a\x00")),
    "a bad root name": tree(name=".."),
    "an overlong name": tree(file("a" * 256)),
    "two entries with one name": tree(file("a.py"), directory("a.py")),
    "two main files": tree(file("a.py", main=True), file("b.py", main=True)),
    "a main directory": tree(directory("src") | {"is_main_file": True}),
    "both children and contents": tree(directory("src") | {"contents": ""}),
    "neither children nor contents": tree({"name": "x"}),
    "contents with NUL": tree(file("a.py", "\x00")),
    "too deep": deep_tree(MAX_PROJECT_DEPTH),
    "too many entries": tree(*(file(f"f{n}") for n in range(MAX_PROJECT_ENTRIES + 1))),
    "too large": tree(
        file("a", "x" * (MAX_PROJECT_BYTES // 2 + 1)), file("b", "x" * (MAX_PROJECT_BYTES // 2 + 1))
    ),
}


@pytest.mark.parametrize("contents", BAD_TREES.values(), ids=BAD_TREES.keys())
def test_a_bad_tree_is_invalid_input_on_the_named_field(contents: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_project_tree(contents, "project_contents")
    assert list(fields_of(error)) == ["project_contents"]


def test_a_file_at_the_depth_limit_is_accepted() -> None:
    parsed = parse_project_tree(deep_tree(MAX_PROJECT_DEPTH - 1), "project")
    assert parsed.files[0].path.count("/") == MAX_PROJECT_DEPTH - 1


def test_the_entry_limit_itself_is_accepted() -> None:
    contents = tree(*(file(f"f{n}") for n in range(MAX_PROJECT_ENTRIES)))
    assert len(parse_project_tree(contents, "project").files) == MAX_PROJECT_ENTRIES


def test_json_nested_beyond_any_limit_is_refused_without_recursion() -> None:
    with pytest.raises(InvalidInput):
        parse_project_tree('{"name": "p", "children": ' + "[" * 50_000 + "]" * 50_000 + "}", "p")


def test_a_type_error_names_where_in_the_tree_it_is() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_project_tree(tree(file("a"), {"name": "b", "contents": 7}), "project")
    assert fields_of(error) == {"project": "children[1].contents must be a string"}


def test_rendering_writes_the_format_scene_and_watchman_use() -> None:
    files = (ProjectFile("calc.py", "print(1)"), ProjectFile("src/a.py", "x"))
    assert json.loads(render_project_tree(files, "calc.py")) == tree(
        file("calc.py", "print(1)", main=True), directory("src", file("a.py", "x"))
    )


names = st.sampled_from(["a", "b", "src", "main.py", "дом"])
paths = st.lists(names, min_size=1, max_size=3).map(tuple)


def consistent(path_set: list[tuple[str, ...]]) -> bool:
    """No file may also be a directory of another file."""
    files = set(path_set)
    return not any(path[:depth] in files for path in files for depth in range(1, len(path)))


@given(
    st.lists(paths, min_size=1, max_size=12, unique=True).filter(consistent),
    st.text(max_size=20).filter(lambda text: "\x00" not in text),
    st.data(),
)
def test_a_rendered_tree_parses_back_to_the_same_files(
    path_list: list[tuple[str, ...]], contents: str, data: st.DataObject
) -> None:
    files = tuple(
        ProjectFile("/".join(path), contents + str(n)) for n, path in enumerate(path_list)
    )
    main = data.draw(st.sampled_from(files)).path
    parsed = parse_project_tree(render_project_tree(files, main), "project")
    assert set(parsed.files) == set(files)
    assert parsed.main_file == main
    assert parse_project_tree(render_project_tree(parsed.files, main), "project") == parsed


def test_an_empty_own_wrapper_still_wins_over_the_fallback() -> None:
    catalogue = Catalogue(
        courses=(course("python", Wrappers(run=M, playground=M)),),
        chapters=(chapter("python_chapter_0010"),),
        tasks=(task("python_chapter_0010_task_0010", test="", run="", playground=""),),
    )
    request = prepare_task_run(catalogue, "python_chapter_0010_task_0010", "x")
    assert (request.source_run, request.source_test) == ("", "")
    assert prepare_playground_injection(catalogue, "python_chapter_0010_task_0010", "x") == ""


def test_every_real_practice_project_fits_the_tree_limits(real_catalogue_path: Path) -> None:
    projects = sorted(real_catalogue_path.glob("*/practice/*/project"))
    assert projects
    for root in projects:
        files = tuple(
            ProjectFile(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
            for path in sorted(root.rglob("*"))
            if path.is_file()
        )
        parsed = parse_project_tree(render_project_tree(files, files[0].path), "project")
        assert set(parsed.files) == set(files)
