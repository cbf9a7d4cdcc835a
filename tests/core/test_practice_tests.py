"""The tree a practice `test` runs: the catalogue's tests laid over the learner's files."""

from __future__ import annotations

from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from handyman_core.catalogue import ProjectFile
from handyman_core.practice_tests import TEST_LAYOUTS, is_test_file, judged_tree
from handyman_core.run_protocol import Language

PYTHON = TEST_LAYOUTS[Language.PYTHON]

names = st.sampled_from(
    ["calc.py", "test_calc.py", "tests", "test_data", "utils.py", "testing.py", "a", "b.txt"]
)
paths = st.lists(names, min_size=1, max_size=3).map("/".join)


def trees(draw_paths: st.SearchStrategy[str] = paths) -> st.SearchStrategy[list[ProjectFile]]:
    """Valid trees: unique paths, no path also used as a directory."""

    def valid(candidates: list[str]) -> list[str]:
        chosen: list[str] = []
        for path in candidates:
            directories = {str(parent) for kept in chosen for parent in PurePosixPath(kept).parents}
            parents = {str(parent) for parent in PurePosixPath(path).parents}
            if path in chosen or path in directories or parents & set(chosen):
                continue
            chosen.append(path)
        return chosen

    return (
        st.lists(draw_paths, max_size=8)
        .map(valid)
        .flatmap(
            lambda chosen: st.tuples(*(st.text(max_size=5) for _ in chosen)).map(
                lambda contents: [
                    ProjectFile(path, text) for path, text in zip(chosen, contents, strict=True)
                ]
            )
        )
    )


def is_valid_tree(files: tuple[ProjectFile, ...]) -> bool:
    all_paths = [file.path for file in files]
    directories = {str(parent) for path in all_paths for parent in PurePosixPath(path).parents}
    return len(set(all_paths)) == len(all_paths) and not directories & set(all_paths)


@given(trees(), trees())
def test_every_course_test_file_is_there_with_the_courses_contents(
    catalogue: list[ProjectFile], learner: list[ProjectFile]
) -> None:
    judged = judged_tree(Language.PYTHON, catalogue, learner)
    for file in catalogue:
        if is_test_file(PYTHON, file.path):
            assert file in judged.files


@given(trees(), trees())
def test_only_the_course_test_modules_are_run(
    catalogue: list[ProjectFile], learner: list[ProjectFile]
) -> None:
    judged = judged_tree(Language.PYTHON, catalogue, learner)
    catalogue_paths = {file.path for file in catalogue}
    assert set(judged.test_files) <= catalogue_paths
    assert all(PurePosixPath(path).name.startswith("test") for path in judged.test_files)
    assert all(path.endswith(".py") for path in judged.test_files)


@given(trees(), trees())
def test_the_judged_tree_is_a_valid_tree(
    catalogue: list[ProjectFile], learner: list[ProjectFile]
) -> None:
    assert is_valid_tree(judged_tree(Language.PYTHON, catalogue, learner).files)


@given(trees(), trees())
def test_learner_files_out_of_the_tests_way_are_kept_unchanged(
    catalogue: list[ProjectFile], learner: list[ProjectFile]
) -> None:
    judged = judged_tree(Language.PYTHON, catalogue, learner)
    judge_paths = {file.path for file in catalogue if is_test_file(PYTHON, file.path)}
    for file in learner:
        related = {file.path, *(str(parent) for parent in PurePosixPath(file.path).parents)}
        in_the_way = related & judge_paths or any(
            file.path in {str(parent) for parent in PurePosixPath(judge).parents}
            for judge in judge_paths
        )
        assert (file in judged.files) is not in_the_way


@given(trees(), trees())
def test_a_language_without_a_rule_keeps_the_learners_tree(
    catalogue: list[ProjectFile], learner: list[ProjectFile]
) -> None:
    judged = judged_tree(Language.BASH, catalogue, learner)
    assert judged.files == tuple(learner)
    assert judged.test_files == ()


def test_fixtures_under_a_test_directory_belong_to_the_tests() -> None:
    assert is_test_file(PYTHON, "test_data/books/a.pdf")
    assert is_test_file(PYTHON, "tests/helpers.py")
    assert not is_test_file(PYTHON, "src/calc.py")
    assert not is_test_file(PYTHON, "my_test.py")


def test_go_and_cpp_tests_are_the_course_s() -> None:
    catalogue = [ProjectFile("cmd/main_test.go", "course"), ProjectFile("cmd/main.go", "start")]
    learner = [ProjectFile("cmd/main_test.go", "mine"), ProjectFile("cmd/main.go", "solved")]
    judged = judged_tree(Language.GOLANG, catalogue, learner)
    assert judged.test_files == ("cmd/main_test.go",)
    assert ProjectFile("cmd/main_test.go", "course") in judged.files
    assert ProjectFile("cmd/main.go", "solved") in judged.files
    cpp = judged_tree(
        Language.CPP, [ProjectFile("tests.cpp", "course")], [ProjectFile("tests.cpp", "mine")]
    )
    assert (cpp.files, cpp.test_files) == ((ProjectFile("tests.cpp", "course"),), ("tests.cpp",))
