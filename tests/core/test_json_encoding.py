"""Response JSON: byte for byte what Starlette's JSONResponse writes, with lists that write
their own text (`EncodedList`) spliced in."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from adline.core.json_encoding import EncodedList, JsonResponse, dumps, encode_json


class Listed(EncodedList):
    """Items given as dicts; its own text written as a deliberately separate path."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.given = items
        self.built = 0

    def __len__(self) -> int:
        return len(self.given)

    def build_items(self) -> list[dict[str, Any]]:
        self.built += 1
        return [dict(item) for item in self.given]

    def encode(self) -> str:
        return "[" + ",".join(dumps(item) for item in self.given) + "]"


def plain(value: Any) -> Any:
    """The same body with every EncodedList as the list it stands for."""
    if isinstance(value, EncodedList):
        return value.as_list()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def starlette_bytes(content: Any) -> bytes:
    return JSONResponse(content).body


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
objects = st.dictionaries(st.text(), scalars, max_size=4)
bodies = st.recursive(
    scalars | st.builds(Listed, st.lists(objects, max_size=3)),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text() | st.integers() | st.booleans(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(bodies)
def test_the_same_bytes_as_starlette(body: Any) -> None:
    assert JsonResponse(body).body == starlette_bytes(plain(body))


def test_a_body_without_encoded_lists_is_json_dumps() -> None:
    body = {"a": [1, 2.5, None, True, "é\n\u2028"], 3: {"x": -0.0}, None: 1e16}
    assert encode_json(body) == json.dumps(
        body, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


def test_an_encoded_list_writes_itself_until_its_items_are_read() -> None:
    buckets = Listed([{"n": 1}, {"n": 2}])
    body = {"granularity": buckets, "rows": [{"granularity": Listed([{"n": 3}])}]}
    assert (
        encode_json(body) == '{"granularity":[{"n":1},{"n":2}],"rows":[{"granularity":[{"n":3}]}]}'
    )
    assert buckets.built == 0
    # A migration that changes items in place: the list is then written from its items.
    for item in body["granularity"]:
        item["n"] *= 10
    assert buckets.built == 1
    assert encode_json(body).startswith('{"granularity":[{"n":10},{"n":20}]')
    assert buckets == [{"n": 10}, {"n": 20}] and len(buckets) == 2 and buckets[1] == {"n": 20}


def test_what_json_refuses_is_still_refused() -> None:
    with pytest.raises(ValueError):
        encode_json({"rows": Listed([]), "x": math.nan})
    with pytest.raises(TypeError):
        encode_json({"rows": Listed([]), "x": object()})
