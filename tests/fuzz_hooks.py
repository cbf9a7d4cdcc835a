"""Schemathesis hooks for `tests.fuzz_api` (SCHEMATHESIS_HOOKS=tests.fuzz_hooks): strategies for
the two string formats of /openapi.json whose rules JSON Schema cannot state, so that the valid
requests the fuzzer sends are valid by those rules too, as a client following the description
would send them."""

from __future__ import annotations

import base64
import json

import schemathesis
from hypothesis import strategies as st

from handyman_http.openapi_schemas import BASE64_TEXT_FORMAT, PROJECT_TREE_FORMAT

_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=200
)

schemathesis.openapi.format(
    BASE64_TEXT_FORMAT,
    st.one_of(
        st.just(" "),
        _text.map(lambda code: base64.b64encode(code.encode()).decode("ascii")),
    ),
)

_names = st.from_regex(r"[a-z][a-z0-9_]{0,11}\.(py|txt)", fullmatch=True)


@st.composite
def _project_trees(draw: st.DrawFn) -> str:
    names = draw(st.lists(_names, min_size=1, max_size=4, unique=True))
    main = draw(st.sampled_from(names))
    children = [
        {"name": name, "contents": draw(_text), "is_main_file": name == main} for name in names
    ]
    return json.dumps({"name": "project", "children": children})


schemathesis.openapi.format(PROJECT_TREE_FORMAT, _project_trees())
